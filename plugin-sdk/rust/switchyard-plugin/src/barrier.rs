//! The panic barrier every `extern "C"` function of the SDK runs its body in: a Rust panic must
//! never unwind into the host (that is undefined behaviour and takes the gateway down). A panic
//! becomes `SY_E_INTERNAL` with the panic's message and location, which the host logs with the
//! request. The library's panic hook (each cdylib has its own std, so its own hook) stays quiet
//! for panics inside a barrier: the default hook would print to the gateway's stderr, and with
//! RUST_BACKTRACE set spend a few hundred milliseconds on the event loop resolving a backtrace.
//! Panics elsewhere (a thread of the plugin's own) still go to the previous hook.

use crate::{sys, Error};
use std::cell::{Cell, RefCell};
use std::io::Write;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Once;

thread_local! {
    /// How many barriers this thread is inside (hooks do not nest today; a count costs nothing).
    static BARRIER_DEPTH: Cell<u32> = const { Cell::new(0) };
    /// Where the last panic inside a barrier happened, for its error message.
    static PANIC_LOCATION: RefCell<Option<String>> = const { RefCell::new(None) };
}

/// Installs the quiet hook once per library (from sy_plugin_entry: no I/O, idempotent).
pub(crate) fn install_panic_hook() {
    static INSTALL: Once = Once::new();
    INSTALL.call_once(|| {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if BARRIER_DEPTH.with(Cell::get) > 0 {
                let location = info.location().map(|at| format!("{}:{}", at.file(), at.line()));
                PANIC_LOCATION.with(|slot| *slot.borrow_mut() = location);
            } else {
                previous(info)
            }
        }));
    });
}

/// `body` under catch_unwind, with the thread marked as inside a barrier.
fn caught<T, F: FnOnce() -> T>(body: F) -> std::thread::Result<T> {
    BARRIER_DEPTH.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(body));
    BARRIER_DEPTH.with(|depth| depth.set(depth.get() - 1));
    result
}

/// Runs `body` for hook `hook`; an `Err` or a panic is copied into `error` (NULL allowed) and
/// its status returned. `Ok(status)` is returned as is (`SY_OK`, `SY_PAUSE`).
///
/// AssertUnwindSafe: after a panic the SDK touches nothing `body` could have left half-changed
/// except the state a transformer owns, and the host then only frees that state.
pub(crate) fn guarded<F>(hook: &str, error: *mut sys::sy_error, body: F) -> sys::sy_status
where
    F: FnOnce() -> Result<sys::sy_status, Error>,
{
    let outcome = caught(body).unwrap_or_else(|payload| Err(panic_error(hook, payload)));
    match outcome {
        Ok(status) => status,
        // SAFETY: `error` is the host's sy_error for this call, or NULL.
        Err(failure) => unsafe { failure.fill(error) },
    }
}

/// For exports that return no status (`instance_free`, `state_free`, `call_end`): a panic
/// cannot be returned, so it is written to stderr (the gateway's log) with the hook's name, and
/// swallowed.
pub(crate) fn guarded_void<F: FnOnce()>(hook: &str, body: F) {
    if let Err(payload) = caught(body) {
        let failure = panic_error(hook, payload);
        let _ = writeln!(std::io::stderr(), "switchyard-plugin: {}", failure.message);
    }
}

/// For exports that return a value (`get_interface`): `fallback` on a panic.
pub(crate) fn guarded_value<T, F: FnOnce() -> T>(fallback: T, body: F) -> T {
    match caught(body) {
        Ok(value) => value,
        Err(payload) => {
            forget_payload(payload);
            fallback
        }
    }
}

/// A panic's payload is never dropped: its Drop could panic again, and that unwind would cross
/// the `extern "C"` boundary. A few bytes leaked per panic.
fn forget_payload(payload: Box<dyn std::any::Any + Send>) {
    std::mem::forget(payload);
}

fn panic_error(hook: &str, payload: Box<dyn std::any::Any + Send>) -> Error {
    let text = if let Some(text) = payload.downcast_ref::<&str>() {
        text.to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "(no message)".to_string()
    };
    forget_payload(payload);
    match PANIC_LOCATION.with(|slot| slot.borrow_mut().take()) {
        Some(location) => Error::internal(format!("the plugin panicked in {} ({}): {}", hook, location, text)),
        None => Error::internal(format!("the plugin panicked in {}: {}", hook, text)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_panic_becomes_internal_with_its_message_and_location() {
        install_panic_hook();
        let mut raw: sys::sy_error = unsafe { std::mem::zeroed() };
        let status = guarded("prepare", &mut raw, || -> Result<sys::sy_status, Error> { panic!("boom {}", 7) });
        assert_eq!(status, sys::SY_E_INTERNAL);
        let text: Vec<u8> = raw.message.iter().take_while(|c| **c != 0).map(|c| *c as u8).collect();
        let text = String::from_utf8(text).unwrap();
        assert!(text.starts_with("the plugin panicked in prepare (switchyard-plugin/src/barrier.rs:"), "{}", text);
        assert!(text.ends_with("): boom 7"), "{}", text);
    }

    #[test]
    fn ok_and_errors_pass_through() {
        assert_eq!(guarded("x", std::ptr::null_mut(), || Ok(sys::SY_PAUSE)), sys::SY_PAUSE);
        assert_eq!(guarded("x", std::ptr::null_mut(), || Err(Error::config("no"))), sys::SY_E_CONFIG);
        assert_eq!(guarded_value(5, || -> i32 { panic!("x") }), 5);
    }
}
