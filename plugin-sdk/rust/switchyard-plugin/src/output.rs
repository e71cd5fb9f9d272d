//! The host-owned output handles a hook receives: a sink for canonical output, a builder for the
//! upstream request, a guardrail's verdict. Each wraps the opaque 64-bit handle and copies
//! nothing itself: the host copies every argument before its function returns.

use crate::host::Host;
use crate::sys::{self, sy_bytes};
use crate::Error;
use std::marker::PhantomData;

/// Where a provider hook writes canonical output ([hook-thread]). Borrowed: only the hook it was
/// passed to may use it (`'a`), and not from another thread (not Send); the host refuses any
/// other use with `SY_E_HANDLE`.
pub struct Sink<'a> {
    host: Host,
    handle: sys::sy_sink,
    _hook: PhantomData<&'a *const ()>,
}

impl<'a> Sink<'a> {
    pub(crate) fn new(host: Host, handle: sys::sy_sink) -> Sink<'a> {
        Sink { host, handle, _hook: PhantomData }
    }

    /// One write of `kind` (`SY_OUT_*`). `Err(cancelled)` when the client is gone; another error
    /// when the host refused the bytes (the call has failed: return the error).
    pub fn write(&mut self, kind: u32, data: &[u8]) -> Result<(), Error> {
        let write = self.host.api.sink_write.ok_or_else(|| Error::unsupported("the host has no sink_write"))?;
        let status = unsafe { write(self.host.hinst, self.handle, kind, sy_bytes::from_slice(data)) };
        Error::check(status, "an output write")
    }
    /// One JSON object: a whole response, or one stream chunk.
    pub fn json(&mut self, object: &[u8]) -> Result<(), Error> {
        self.write(sys::SY_OUT_JSON, object)
    }
    /// One OpenAI-shaped error object `{"error":{...}}` for the client.
    pub fn error(&mut self, object: &[u8]) -> Result<(), Error> {
        self.write(sys::SY_OUT_ERROR_JSON, object)
    }
    /// Usage and attributes, e.g. `{"usage":{...}}`.
    pub fn meta(&mut self, object: &[u8]) -> Result<(), Error> {
        self.write(sys::SY_OUT_META_JSON, object)
    }
}

/// The upstream request `prepare` describes ([hook-thread], borrowed like `Sink`).
pub struct HttpOut<'a> {
    host: Host,
    handle: sys::sy_http_out,
    _hook: PhantomData<&'a *const ()>,
}

impl<'a> HttpOut<'a> {
    pub(crate) fn new(host: Host, handle: sys::sy_http_out) -> HttpOut<'a> {
        HttpOut { host, handle, _hook: PhantomData }
    }

    /// An HTTP token; "POST" when never set.
    pub fn set_method(&mut self, method: &str) -> Result<(), Error> {
        let set = self.host.api.http_out_set_method.ok_or_else(|| Error::unsupported("no http_out_set_method"))?;
        Error::check(unsafe { set(self.host.hinst, self.handle, sy_bytes::from_slice(method.as_bytes())) }, "the upstream method")
    }
    /// An absolute http(s) URL.
    pub fn set_url(&mut self, url: &str) -> Result<(), Error> {
        let set = self.host.api.http_out_set_url.ok_or_else(|| Error::unsupported("no http_out_set_url"))?;
        Error::check(unsafe { set(self.host.hinst, self.handle, sy_bytes::from_slice(url.as_bytes())) }, "the upstream URL")
    }
    pub fn add_header(&mut self, name: &str, value: &[u8]) -> Result<(), Error> {
        let add = self.host.api.http_out_add_header.ok_or_else(|| Error::unsupported("no http_out_add_header"))?;
        let status = unsafe { add(self.host.hinst, self.handle, sy_bytes::from_slice(name.as_bytes()), sy_bytes::from_slice(value)) };
        // Name the header, never its value: it may be a credential.
        Error::check(status, &format!("the upstream header {}", name))
    }
    pub fn append_body(&mut self, data: &[u8]) -> Result<(), Error> {
        let append = self.host.api.http_out_append_body.ok_or_else(|| Error::unsupported("no http_out_append_body"))?;
        Error::check(unsafe { append(self.host.hinst, self.handle, sy_bytes::from_slice(data)) }, "the upstream body")
    }
}

/// A guardrail's decision about the JSON it inspects. Doing nothing allows it. Valid until
/// `inspect` returns (`'a`); to finish later, return `Inspection::Paused` with `paused()`.
pub struct Verdict<'a> {
    host: Host,
    handle: sys::sy_verdict,
    _hook: PhantomData<&'a ()>,
}

impl<'a> Verdict<'a> {
    pub(crate) fn new(host: Host, handle: sys::sy_verdict) -> Verdict<'a> {
        Verdict { host, handle, _hook: PhantomData }
    }

    /// Fails the request with `http_status` (0 = 400) and an OpenAI-shaped error body.
    pub fn reject(&self, http_status: u32, error_json: &[u8]) -> Result<(), Error> {
        reject(self.host, self.handle, http_status, error_json)
    }
    /// Replaces the inspected document with `document` (one JSON object).
    pub fn replace(&self, document: &[u8]) -> Result<(), Error> {
        patch(self.host, self.handle, sys::SY_PATCH_REPLACE, document)
    }
    /// Applies an RFC 6902 JSON Patch (an array of operations) to the inspected document.
    pub fn json_patch(&self, operations: &[u8]) -> Result<(), Error> {
        patch(self.host, self.handle, sys::SY_PATCH_JSON_PATCH, operations)
    }
    /// Chunk phase: keep the last `bytes` bytes of the text back for the next inspect.
    pub fn hold(&self, bytes: usize) -> Result<(), Error> {
        let hold = self.host.api.verdict_hold.ok_or_else(|| Error::unsupported("no verdict_hold"))?;
        Error::check(unsafe { hold(self.host.hinst, self.handle, bytes) }, "the hold")
    }
    /// The verdict for a decision finished later, from any thread: return `Inspection::Paused`
    /// from `inspect`, then call `PausedVerdict::resume` exactly once.
    pub fn paused(&self) -> PausedVerdict {
        PausedVerdict { host: self.host, handle: self.handle }
    }
}

/// A verdict whose `inspect` returned `Inspection::Paused`: usable from any thread until
/// `resume` (which consumes it) or the guardrail's deadline. Owned token; Send.
pub struct PausedVerdict {
    host: Host,
    handle: sys::sy_verdict,
}

impl PausedVerdict {
    pub fn reject(&self, http_status: u32, error_json: &[u8]) -> Result<(), Error> {
        reject(self.host, self.handle, http_status, error_json)
    }
    pub fn replace(&self, document: &[u8]) -> Result<(), Error> {
        patch(self.host, self.handle, sys::SY_PATCH_REPLACE, document)
    }
    /// Ends the pause: `Ok(())` = the verdict as patched/rejected; `Err` = the guardrail failed
    /// (its on_error applies).
    pub fn resume(self, result: Result<(), Error>) -> Result<(), Error> {
        let resume = self.host.api.resume.ok_or_else(|| Error::unsupported("no resume"))?;
        let status = match result {
            Ok(()) => sys::SY_OK,
            Err(error) => if error.code < 0 { error.code } else { sys::SY_E_INTERNAL },
        };
        Error::check(unsafe { resume(self.host.hinst, self.handle, status) }, "the resume")
    }
}

fn reject(host: Host, handle: sys::sy_verdict, http_status: u32, error_json: &[u8]) -> Result<(), Error> {
    let reject = host.api.verdict_reject.ok_or_else(|| Error::unsupported("no verdict_reject"))?;
    Error::check(unsafe { reject(host.hinst, handle, http_status, sy_bytes::from_slice(error_json)) }, "the rejection")
}

fn patch(host: Host, handle: sys::sy_verdict, format: u32, document: &[u8]) -> Result<(), Error> {
    let patch = host.api.verdict_patch.ok_or_else(|| Error::unsupported("no verdict_patch"))?;
    Error::check(unsafe { patch(host.hinst, handle, format, sy_bytes::from_slice(document)) }, "the patch")
}
