//! A safe layer over the Switchyard plugin ABI (`switchyard_plugin.h`), with no crates from a
//! registry. A plugin implements `Plugin` (and `Provider` and/or `Guardrail`) and calls
//! `export_plugin!`, which emits `sy_plugin_entry`, the only symbol the library exports.
//!
//! Rules the types carry (the header states them for every language):
//! - Ownership: whatever a hook receives (`&[u8]` request bodies, `Call`, `Headers`, `Sink`,
//!   `HttpOut`, `Verdict`) is BORROWED for that hook only, which the lifetimes enforce; copy what
//!   you keep. Whatever you hand over (`Sink::json`, `HttpOut::append_body`, `Verdict::reject`) the
//!   host copies before the call returns. Your instance (`Box<dyn Plugin>`) and each call's
//!   transformer are OWNED by the SDK and dropped exactly once.
//! - Threading: an instance is shared by the host's event loops (`Send + Sync`, `&self`); a
//!   transformer belongs to one call (`Send`, `&mut self`); sinks and builders are
//!   [hook-thread] (not `Send`); `Host` and `PausedVerdict` may go to any thread.
//! - Panics: every `extern "C"` function of the SDK runs its body under `catch_unwind`; a panic
//!   becomes `SY_E_INTERNAL` with its message and never unwinds into the host. Keep
//!   `panic = "unwind"` (the default) in your profile: with `abort` a panic kills the gateway.

pub use switchyard_plugin_sys as sys;

mod barrier;
mod error;
mod export;
mod guardrail;
mod host;
pub mod json;
mod output;
mod provider;
pub mod sse;
mod thunks;
pub mod upstream_error;

pub use error::Error;
pub use guardrail::{Guardrail, Inspection};
pub use host::{Call, Host, Level};
pub use output::{HttpOut, PausedVerdict, Sink, Verdict};
pub use provider::{Headers, Provider, ResponseTransformer};

/// One plugin instance per config entry. Created on the host's control thread with the entry's
/// `config` as JSON (borrowed for the call; the host has already checked it against the
/// manifest's config_schema); immutable afterwards, because every event loop uses it at once.
pub trait Plugin: Send + Sync + 'static {
    /// [control] `Err(Error::config(...))` rejects the entry (the operator sees the message).
    fn new(host: Host, config: &[u8]) -> Result<Self, Error>
    where
        Self: Sized;

    /// The provider side of this instance, when it is one.
    fn provider(&self) -> Option<&dyn Provider> {
        None
    }

    /// The guardrail side of this instance, when it is one (the phases are `export_plugin!`'s).
    fn guardrail(&self) -> Option<&dyn Guardrail> {
        None
    }
}

/// What `export_plugin!` expands to uses these; not part of the API.
#[doc(hidden)]
pub mod __private {
    pub use crate::export::{get_interface, instance_free, instance_new, negotiate, SyncTable};
    pub use crate::thunks::{guardrail_call_end, guardrail_inspect};
}
