//! switchyard.guardrail/1 in Rust.

use crate::host::Call;
use crate::output::Verdict;
use crate::Error;

/// How `inspect` finished.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Inspection {
    /// The verdict is complete: nothing done allows, `reject`/`replace`/`json_patch` decide.
    Done,
    /// The decision comes later, through `Verdict::paused()` ... `PausedVerdict::resume`.
    Paused,
}

/// One guardrail instance. Shared: `inspect` runs for different calls concurrently, from several
/// event loops ([any-thread]); it must not block.
pub trait Guardrail: Send + Sync {
    /// Inspects `json` (canonical, borrowed for the call) in `phase` (`SY_PHASE_*`). An `Err`
    /// means the guardrail itself failed (the entry's on_error decides), not a rejection.
    fn inspect(&self, call: &Call, phase: u32, json: &[u8], verdict: &Verdict) -> Result<Inspection, Error>;

    /// The call has ended (once per call this entry inspected): release per-call state.
    fn call_end(&self, call: &Call) {
        let _ = call;
    }
}
