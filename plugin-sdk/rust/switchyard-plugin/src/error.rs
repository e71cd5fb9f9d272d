//! What a hook returns when it fails: a status, a message for the operator, and for the client an
//! HTTP status suggestion and whether the router may fail over. Owned (a `String`), copied into
//! the host's `sy_error` when the hook returns.

use crate::sys;

/// A failed hook. `message` reaches the operator's log; clients see it (after the provider's
/// name) only with `SY_E_INVALID`, `SY_E_UNSUPPORTED`, `SY_E_UPSTREAM` and `SY_E_TIMEOUT`, so
/// keep URLs, addresses and secrets out of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Error {
    /// One of the `SY_E_*` statuses (negative).
    pub code: sys::sy_status,
    pub message: String,
    /// The status suggested for the client; 0 lets the host decide.
    pub http_status: u32,
    /// True lets the router fail over to the next attempt.
    pub retryable: bool,
}

impl Error {
    pub fn new(code: sys::sy_status, message: impl Into<String>) -> Error {
        Error { code, message: message.into(), http_status: 0, retryable: false }
    }
    /// `SY_E_CONFIG`: instance_new rejects the entry's config (the operator sees the message with
    /// the config file and line).
    pub fn config(message: impl Into<String>) -> Error {
        Error::new(sys::SY_E_CONFIG, message)
    }
    /// `SY_E_INVALID`: bad input (malformed JSON, a missing field).
    pub fn invalid(message: impl Into<String>) -> Error {
        Error::new(sys::SY_E_INVALID, message)
    }
    /// `SY_E_UNSUPPORTED`: the request asks for something this plugin cannot honour.
    pub fn unsupported(message: impl Into<String>) -> Error {
        Error::new(sys::SY_E_UNSUPPORTED, message)
    }
    /// `SY_E_INTERNAL`: a bug in the plugin.
    pub fn internal(message: impl Into<String>) -> Error {
        Error::new(sys::SY_E_INTERNAL, message)
    }
    /// `SY_E_UPSTREAM` with the client status and retryability.
    pub fn upstream(http_status: u32, retryable: bool, message: impl Into<String>) -> Error {
        Error { code: sys::SY_E_UPSTREAM, message: message.into(), http_status, retryable }
    }
    /// `SY_E_CANCELLED`: the client went away (a sink said so); return promptly.
    pub fn cancelled() -> Error {
        Error::new(sys::SY_E_CANCELLED, "the client went away")
    }

    /// A host function's status as a result: `SY_OK` is `Ok`, anything else an error naming `what`.
    pub fn check(status: sys::sy_status, what: &str) -> Result<(), Error> {
        if status == sys::SY_OK {
            Ok(())
        } else if status == sys::SY_E_CANCELLED {
            Err(Error::cancelled())
        } else {
            Err(Error::new(status, format!("the host refused {} (status {})", what, status)))
        }
    }

    /// Copies this error into the host's zeroed `sy_error` (message truncated to 511 bytes at a
    /// character boundary, NUL-terminated) and returns the status to hand back.
    ///
    /// # Safety
    /// `target` is NULL or the `sy_error` the host passed to the running hook.
    pub unsafe fn fill(&self, target: *mut sys::sy_error) -> sys::sy_status {
        let code = if self.code >= 0 { sys::SY_E_INTERNAL } else { self.code };
        if let Some(error) = target.as_mut() {
            error.code = code;
            error.http_status = self.http_status;
            error.retryable = u32::from(self.retryable);
            let bytes = truncated(&self.message, sys::SY_ERROR_MESSAGE_CAPACITY - 1);
            for (slot, byte) in error.message.iter_mut().zip(bytes.iter()) {
                *slot = *byte as std::os::raw::c_char;
            }
            error.message[bytes.len()] = 0;
        }
        code
    }
}

impl std::fmt::Display for Error {
    fn fmt(&self, formatter: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(formatter, "{} (status {})", self.message, self.code)
    }
}

/// The longest prefix of `text` of at most `limit` bytes that ends on a character boundary.
pub(crate) fn truncated(text: &str, limit: usize) -> &[u8] {
    let mut end = text.len().min(limit);
    while !text.is_char_boundary(end) {
        end -= 1;
    }
    &text.as_bytes()[..end]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fill_truncates_at_a_character_boundary_and_terminates() {
        let mut raw: sys::sy_error = unsafe { std::mem::zeroed() };
        let message = "é".repeat(400); // 800 bytes, two per character
        let status = unsafe { Error::upstream(503, true, message).fill(&mut raw) };
        assert_eq!(status, sys::SY_E_UPSTREAM);
        assert_eq!((raw.code, raw.http_status, raw.retryable), (sys::SY_E_UPSTREAM, 503, 1));
        let length = raw.message.iter().position(|c| *c == 0).unwrap();
        assert_eq!(length, 510);
        let bytes: Vec<u8> = raw.message[..length].iter().map(|c| *c as u8).collect();
        assert!(std::str::from_utf8(&bytes).is_ok());
    }

    #[test]
    fn a_non_negative_code_becomes_internal() {
        let mut raw: sys::sy_error = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { Error::new(0, "no").fill(&mut raw) }, sys::SY_E_INTERNAL);
    }
}
