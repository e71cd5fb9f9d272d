//! The entry's config, read once in `Plugin::new` (the host has checked it against the manifest's
//! config_schema already) and immutable afterwards.

use switchyard_plugin::json::{self, Value};
use switchyard_plugin::{Error, Host};

/// Where `panic_on` (a test aid) makes the plugin panic, to show that the SDK's barrier turns
/// a panic into an error for that one call.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum PanicHook {
    Prepare,
    Response,
    Data,
    End,
}

pub struct Config {
    pub chat_completions_url: String,
    /// `Bearer <key>`, read from the configured environment variable once.
    pub authorization: Option<Vec<u8>>,
    pub stream_usage: bool,
    pub panic_on: Option<PanicHook>,
}

impl Config {
    pub fn parse(host: Host, config: &[u8]) -> Result<Config, Error> {
        let config = json::parse(config).map_err(|error| Error::config(format!("config is not JSON: {}", error)))?;
        let base_url = config.get("base_url").and_then(Value::as_str).ok_or_else(|| Error::config("\"base_url\" is required"))?;
        if !(base_url.starts_with("http://") || base_url.starts_with("https://")) {
            return Err(Error::config("\"base_url\" must be an http:// or https:// URL"));
        }
        let authorization = match config.get("api_key_env").and_then(Value::as_str) {
            None => None,
            Some(variable) => {
                let key = host
                    .secret_get(variable)?
                    .ok_or_else(|| Error::config(format!("the environment variable {} (api_key_env) is not set", variable)))?;
                let mut value = b"Bearer ".to_vec();
                value.extend_from_slice(&key);
                Some(value)
            }
        };
        let panic_on = match config.get("panic_on").and_then(Value::as_str) {
            None => None,
            Some("prepare") => Some(PanicHook::Prepare),
            Some("response") => Some(PanicHook::Response),
            Some("data") => Some(PanicHook::Data),
            Some("end") => Some(PanicHook::End),
            Some(other) => return Err(Error::config(format!("\"panic_on\" cannot be \"{}\"", other))),
        };
        Ok(Config {
            chat_completions_url: format!("{}/chat/completions", base_url.trim_end_matches('/')),
            authorization,
            stream_usage: config.get("stream_usage").and_then(Value::as_bool).unwrap_or(true),
            panic_on,
        })
    }

    pub fn panic_if(&self, hook: PanicHook) {
        panic_if(self.panic_on, hook)
    }
}

pub fn panic_if(configured: Option<PanicHook>, hook: PanicHook) {
    if configured == Some(hook) {
        panic!("panic_on: {:?} (a test aid)", hook);
    }
}
