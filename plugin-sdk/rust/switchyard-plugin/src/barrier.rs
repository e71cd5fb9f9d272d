//! The panic barrier every `extern "C"` function of the SDK runs its body in: a Rust panic must
//! never unwind into the host (that is undefined behaviour and takes the gateway down). A panic
//! becomes `SY_E_INTERNAL` with the panic's message; the default panic hook has already printed
//! it, with its location, to the gateway's stderr.

use crate::{sys, Error};
use std::panic::{catch_unwind, AssertUnwindSafe};

/// Runs `body` for hook `hook`; an `Err` or a panic is copied into `error` (NULL allowed) and
/// its status returned. `Ok(status)` is returned as is (`SY_OK`, `SY_PAUSE`).
///
/// AssertUnwindSafe: after a panic the SDK touches nothing `body` could have left half-changed
/// except the state a transformer owns, and the host then only frees that state.
pub(crate) fn guarded<F>(hook: &str, error: *mut sys::sy_error, body: F) -> sys::sy_status
where
    F: FnOnce() -> Result<sys::sy_status, Error>,
{
    let outcome = catch_unwind(AssertUnwindSafe(body)).unwrap_or_else(|payload| Err(panic_error(hook, payload)));
    match outcome {
        Ok(status) => status,
        // SAFETY: `error` is the host's sy_error for this call, or NULL.
        Err(failure) => unsafe { failure.fill(error) },
    }
}

/// For exports that return no status (`instance_free`, `state_free`, `call_end`): a panic is
/// swallowed after the panic hook printed it.
pub(crate) fn guarded_void<F: FnOnce()>(body: F) {
    let _ = catch_unwind(AssertUnwindSafe(body));
}

/// For exports that return a value (`get_interface`): `fallback` on a panic.
pub(crate) fn guarded_value<T, F: FnOnce() -> T>(fallback: T, body: F) -> T {
    catch_unwind(AssertUnwindSafe(body)).unwrap_or(fallback)
}

fn panic_error(hook: &str, payload: Box<dyn std::any::Any + Send>) -> Error {
    let text = if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_string()
    };
    Error::internal(format!("the plugin panicked in {}: {}", hook, text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_its_message() {
        let mut raw: sys::sy_error = unsafe { std::mem::zeroed() };
        let status = guarded("prepare", &mut raw, || -> Result<sys::sy_status, Error> { panic!("boom {}", 7) });
        assert_eq!(status, sys::SY_E_INTERNAL);
        let text: Vec<u8> = raw.message.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
        assert_eq!(String::from_utf8(text).unwrap(), "the plugin panicked in prepare: boom 7");
    }

    #[test]
    fn ok_and_errors_pass_through() {
        assert_eq!(guarded("x", std::ptr::null_mut(), || Ok(sys::SY_PAUSE)), sys::SY_PAUSE);
        assert_eq!(guarded("x", std::ptr::null_mut(), || Err(Error::config("no"))), sys::SY_E_CONFIG);
        assert_eq!(guarded_value(5, || -> i32 { panic!("x") }), 5);
    }
}
