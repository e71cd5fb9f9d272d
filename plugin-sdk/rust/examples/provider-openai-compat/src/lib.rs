//! An OpenAI-compatible provider in Rust, on the switchyard-plugin SDK: `prepare` describes
//! POST {base_url}/chat/completions with the configured key, the transformers turn the upstream's
//! JSON or server-sent events into canonical output, and a non-2xx answer goes to the SDK's
//! shared error policy.
//!
//!   plugins:
//!     - name: rust-openai
//!       path: /abs/path/librust_provider_openai.so
//!       config: { base_url: "https://api.openai.com/v1", api_key_env: OPENAI_API_KEY }

mod config;
mod transform;

use config::{Config, PanicHook};
use switchyard_plugin::json::{self, Value};
use switchyard_plugin::sys::SY_OP_CHAT_COMPLETIONS;
use switchyard_plugin::{Call, Error, Headers, Host, HttpOut, Plugin, Provider, ResponseTransformer};
use transform::{StreamResponse, WholeResponse};

/// One config entry. Immutable after `new`: the host calls it from every event loop at once.
struct OpenAiCompat {
    config: Config,
}

impl Plugin for OpenAiCompat {
    fn new(host: Host, config: &[u8]) -> Result<Self, Error> {
        Ok(OpenAiCompat { config: Config::parse(host, config)? })
    }

    fn provider(&self) -> Option<&dyn Provider> {
        Some(self)
    }
}

impl Provider for OpenAiCompat {
    fn prepare(&self, call: &Call, request: &[u8], out: &mut HttpOut) -> Result<(), Error> {
        self.config.panic_if(PanicHook::Prepare);
        if call.operation() != SY_OP_CHAT_COMPLETIONS {
            return Err(Error::unsupported(format!("this provider serves chat completions only (operation {})", call.operation())));
        }
        out.set_method("POST")?;
        out.set_url(&self.config.chat_completions_url)?;
        out.add_header("Content-Type", b"application/json")?;
        out.add_header("Accept", if call.stream() { b"text/event-stream" } else { b"application/json" })?;
        if let Some(authorization) = &self.config.authorization {
            out.add_header("Authorization", authorization)?;
        }
        if call.stream() && self.config.stream_usage && !client_asked_for_usage(request) {
            // Every stream is metered: ask for the usage chunk; the transformer keeps it from a
            // client that did not ask for it.
            out.append_body(&with_usage_requested(request)?)
        } else {
            out.append_body(request)
        }
    }

    fn response(&self, call: &Call, _status: u32, _headers: &Headers) -> Result<Box<dyn ResponseTransformer>, Error> {
        self.config.panic_if(PanicHook::Response);
        let panic_on = self.config.panic_on;
        if call.stream() {
            Ok(Box::new(StreamResponse::new(client_asked_for_usage(call.request()), panic_on)))
        } else {
            Ok(Box::new(WholeResponse::new(panic_on)))
        }
    }
}

/// `stream_options.include_usage: true` in the canonical request.
fn client_asked_for_usage(request: &[u8]) -> bool {
    json::parse(request)
        .ok()
        .and_then(|body| body.get("stream_options").and_then(|options| options.get("include_usage")).and_then(Value::as_bool))
        .unwrap_or(false)
}

/// The request with `stream_options.include_usage` set.
fn with_usage_requested(request: &[u8]) -> Result<Vec<u8>, Error> {
    let mut body = json::parse(request).map_err(|error| Error::invalid(format!("the request is not JSON: {}", error)))?;
    if !body.is_object() {
        return Err(Error::invalid("the request is not a JSON object"));
    }
    match body.get_mut("stream_options") {
        Some(options) if options.is_object() => options.set("include_usage", Value::Bool(true)),
        _ => body.set("stream_options", Value::Object(vec![("include_usage".to_string(), Value::Bool(true))])),
    }
    Ok(body.to_bytes())
}

switchyard_plugin::export_plugin! {
    plugin: OpenAiCompat,
    id: "dev.switchyard.example.rust-provider-openai",
    version: "0.1.0",
    manifest: include_str!("../manifest.json"),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn usage_is_requested_without_losing_other_options() {
        let body = with_usage_requested(br#"{"model":"m","stream":true,"stream_options":{"x":1}}"#).unwrap();
        assert_eq!(body, br#"{"model":"m","stream":true,"stream_options":{"x":1,"include_usage":true}}"#.to_vec());
        let body = with_usage_requested(br#"{"model":"m"}"#).unwrap();
        assert!(client_asked_for_usage(&body));
        assert!(!client_asked_for_usage(br#"{"stream_options":{"include_usage":false}}"#));
        assert!(with_usage_requested(b"[1]").is_err());
    }
}
