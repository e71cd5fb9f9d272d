//! The shared upstream error policy, so providers do not each write it (the C and Swift SDKs use
//! the same table): which OpenAI error type a status is, which statuses the router may retry
//! elsewhere, and how much of an error body is kept and passed on.

use crate::json::{self, Value};
use crate::output::Sink;
use crate::provider::ResponseTransformer;
use crate::Error;

/// At most this much of an upstream error body is kept (the rest is read and dropped).
pub const KEPT_BODY_BYTES: usize = 64 * 1024;
/// How much of a body that is not an OpenAI error goes into the synthesized message.
pub const EXCERPT_BYTES: usize = 200;

/// The OpenAI error `type` for an upstream status.
pub fn error_type(status: u32) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        429 => "rate_limit_error",
        503 => "overloaded_error",
        500..=599 => "api_error",
        402..=499 => "invalid_request_error",
        _ => "api_error",
    }
}

/// True for statuses another attempt may succeed on: 408, 429 and every 5xx (and above).
pub fn is_retryable(status: u32) -> bool {
    status == 408 || status == 429 || status >= 500
}

/// The error write for the client and the hook's error, from an upstream status and the kept
/// body. A body `{"error":{...}}` is passed on as it came; anything else becomes
/// `{"error":{"message":"upstream returned HTTP <status>: <first 200 bytes>","type":...,
/// "param":null,"code":null}}`. The hook's error is `SY_E_UPSTREAM` with `http_status` = the
/// upstream status and `retryable` per `is_retryable`.
pub fn upstream_error(status: u32, body: &[u8]) -> (Vec<u8>, Error) {
    let body = &body[..body.len().min(KEPT_BODY_BYTES)];
    let parsed = json::parse(body).ok();
    let upstream_error = parsed.as_ref().and_then(|document| document.get("error")).filter(|error| error.is_object());
    let (write, message) = match upstream_error {
        Some(error) => {
            let message = error.get("message").and_then(Value::as_str).unwrap_or("");
            let message = if message.is_empty() { format!("upstream returned HTTP {}", status) } else { message.to_string() };
            (body.to_vec(), message)
        }
        None => {
            let excerpt = String::from_utf8_lossy(&body[..body.len().min(EXCERPT_BYTES)]);
            let message = if excerpt.is_empty() {
                format!("upstream returned HTTP {}", status)
            } else {
                format!("upstream returned HTTP {}: {}", status, excerpt)
            };
            let document = Value::Object(vec![(
                "error".to_string(),
                Value::Object(vec![
                    ("message".to_string(), Value::String(message.clone())),
                    ("type".to_string(), Value::String(error_type(status).to_string())),
                    ("param".to_string(), Value::Null),
                    ("code".to_string(), Value::Null),
                ]),
            )]);
            (document.to_bytes(), message)
        }
    };
    (write, Error::upstream(status, is_retryable(status), message))
}

/// The transformer the SDK runs for a non-2xx upstream answer: keeps the first
/// `KEPT_BODY_BYTES`, then writes the error and fails the call with `upstream_error`'s error.
pub struct UpstreamErrorBody {
    status: u32,
    body: Vec<u8>,
}

impl UpstreamErrorBody {
    pub fn new(status: u32) -> UpstreamErrorBody {
        UpstreamErrorBody { status, body: Vec::new() }
    }
}

impl ResponseTransformer for UpstreamErrorBody {
    fn data(&mut self, chunk: &[u8], _out: &mut Sink) -> Result<(), Error> {
        let room = KEPT_BODY_BYTES.saturating_sub(self.body.len());
        self.body.extend_from_slice(&chunk[..chunk.len().min(room)]);
        Ok(())
    }

    fn end(&mut self, out: &mut Sink) -> Result<(), Error> {
        let (write, error) = upstream_error(self.status, &self.body);
        // A refused or cancelled write changes nothing: the call fails with the upstream error.
        let _ = out.error(&write);
        Err(error)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn types_by_status() {
        let table = [
            (400, "invalid_request_error"), (401, "authentication_error"), (403, "permission_error"),
            (404, "not_found_error"), (429, "rate_limit_error"), (503, "overloaded_error"), (500, "api_error"),
            (502, "api_error"), (599, "api_error"), (402, "invalid_request_error"), (408, "invalid_request_error"),
            (422, "invalid_request_error"), (499, "invalid_request_error"), (302, "api_error"), (200, "api_error"),
            (0, "api_error"), (600, "api_error"),
        ];
        for (status, expected) in table {
            assert_eq!(error_type(status), expected, "status {}", status);
        }
    }

    #[test]
    fn retryable_statuses() {
        for status in [408, 429, 500, 502, 503, 504, 599] {
            assert!(is_retryable(status), "{}", status);
        }
        for status in [400, 401, 403, 404, 409, 422, 499, 200, 302] {
            assert!(!is_retryable(status), "{}", status);
        }
    }

    #[test]
    fn an_openai_error_body_is_passed_on() {
        let body = br#"{"error":{"message":"slow down","type":"rate_limit_error","param":null,"code":"x"}}"#;
        let (write, error) = upstream_error(429, body);
        assert_eq!(write, body.to_vec());
        assert_eq!(error, Error::upstream(429, true, "slow down"));
    }

    #[test]
    fn other_bodies_become_an_openai_error_with_an_excerpt() {
        let body = "<html>".to_string() + &"x".repeat(300);
        let (write, error) = upstream_error(502, body.as_bytes());
        let document = json::parse(&write).unwrap();
        let inner = document.get("error").unwrap();
        let expected = format!("upstream returned HTTP 502: {}", &body[..200]);
        assert_eq!(inner.get("message").unwrap().as_str().unwrap(), expected);
        assert_eq!(inner.get("type").unwrap().as_str().unwrap(), "api_error");
        assert_eq!(inner.get("param"), Some(&Value::Null));
        assert_eq!(inner.get("code"), Some(&Value::Null));
        assert_eq!((error.code, error.http_status, error.retryable), (crate::sys::SY_E_UPSTREAM, 502, true));
        // "error" that is not an object, and an empty body:
        let (write, error) = upstream_error(404, br#"{"error":"nope"}"#);
        assert!(String::from_utf8(write).unwrap().contains(r#""type":"not_found_error""#));
        assert!(!error.retryable);
        let (_, error) = upstream_error(400, b"");
        assert_eq!(error.message, "upstream returned HTTP 400");
    }

    #[test]
    fn the_excerpt_is_lossy_utf8_cut_at_200_bytes() {
        let mut body = vec![b'a'; 199];
        body.extend_from_slice("é".as_bytes()); // cut inside the character
        let (write, _) = upstream_error(500, &body);
        let message = json::parse(&write).unwrap().get("error").unwrap().get("message").unwrap().as_str().unwrap().to_string();
        assert!(message.ends_with(&format!("{}\u{fffd}", "a".repeat(199))), "{}", message);
    }

    #[test]
    fn only_the_first_64_kib_are_kept() {
        let mut body = br#"{"error":{"message":"big","pad":""#.to_vec();
        body.extend(std::iter::repeat(b'x').take(KEPT_BODY_BYTES));
        body.extend_from_slice(br#""}}"#);
        // Past the bound the document no longer parses: the synthesized error is written.
        let (write, error) = upstream_error(500, &body);
        assert!(write.len() < 1024);
        assert!(error.message.starts_with("upstream returned HTTP 500: {\"error\""));
    }
}
