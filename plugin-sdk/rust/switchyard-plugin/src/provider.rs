//! switchyard.provider/1 in Rust: a provider either answers in-process (`generate`) or
//! describes an upstream request (`prepare`) and turns the answer into canonical output with a
//! `ResponseTransformer` it creates per call.

use crate::host::Call;
use crate::output::{HttpOut, Sink};
use crate::sys;
use crate::Error;

/// One provider instance's hooks. Shared: the host calls them from several event loops at once
/// for different calls ([any-thread]), so `&self` only; per-call state lives in the transformer.
/// Hooks must not block unless the manifest lists them in `blocking_hooks`.
pub trait Provider: Send + Sync {
    /// True: the host calls `generate` instead of prepare + HTTP + response.
    fn answers_locally(&self) -> bool {
        false
    }

    /// Answers in-process: the whole answer is written to `out` before this returns. `request`
    /// is the canonical JSON (borrowed for the call; `model` already the upstream model).
    fn generate(&self, call: &Call, request: &[u8], out: &mut Sink) -> Result<(), Error> {
        let _ = (call, request, out);
        Err(Error::unsupported("this provider has no generate hook"))
    }

    /// Describes the upstream request on `out` (method, URL, headers, body). The host sends it.
    fn prepare(&self, call: &Call, request: &[u8], out: &mut HttpOut) -> Result<(), Error> {
        let _ = (call, request, out);
        Err(Error::unsupported("this provider has no prepare hook"))
    }

    /// The upstream answered 2xx: a fresh transformer for this call (owned by the SDK from here
    /// on, dropped exactly once when the host frees the call's state). `call.request()` is the
    /// canonical request, so options such as `stream_options` need no state of yours.
    fn response(&self, call: &Call, status: u32, headers: &Headers) -> Result<Box<dyn ResponseTransformer>, Error>;

    /// False (the default): a non-2xx answer goes to the SDK's upstream error policy
    /// (`upstream_error`), and `response` never sees it. True: `response` gets every status.
    fn takes_error_responses(&self) -> bool {
        false
    }
}

/// Per-call state of a response: `data` for every chunk as the network delivered it (split
/// anywhere: buffer partial lines), then `end` (not called when the call was cut short). Owned
/// by the SDK; calls for one transformer never overlap, but may come from different threads
/// (hence Send).
pub trait ResponseTransformer: Send {
    fn data(&mut self, chunk: &[u8], out: &mut Sink) -> Result<(), Error>;
    fn end(&mut self, out: &mut Sink) -> Result<(), Error>;
}

/// The upstream's response headers, borrowed for `response`.
pub struct Headers<'a> {
    raw: &'a [sys::sy_header],
}

impl<'a> Headers<'a> {
    /// # Safety
    /// `headers` points to `count` host-owned headers valid for `'a` (or is NULL with count 0).
    pub(crate) unsafe fn new(headers: *const sys::sy_header, count: usize) -> Headers<'a> {
        let raw = if headers.is_null() || count == 0 { &[][..] } else { std::slice::from_raw_parts(headers, count) };
        Headers { raw }
    }

    /// The first value of `name`, compared without regard to ASCII case.
    pub fn get(&self, name: &str) -> Option<&'a [u8]> {
        self.iter().find(|(key, _)| key.eq_ignore_ascii_case(name.as_bytes())).map(|(_, value)| value)
    }

    /// (name, value) pairs as received.
    pub fn iter(&self) -> impl Iterator<Item = (&'a [u8], &'a [u8])> + 'a {
        self.raw.iter().map(|header| unsafe { (header.name.as_slice(), header.value.as_slice()) })
    }
}
