//! The host's services, behind safe methods. `Host` is what an instance keeps; `Call` is what a
//! hook of one request gets.

use crate::sys::{self, sy_bytes};
use crate::Error;
use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, Ordering};

/// The host table as this SDK reads it, set by `sy_plugin_entry`: a copy of what the host's
/// `struct_size` covers, zero-filled beyond (an older host's table is shorter than
/// `sy_host_api`: reading it through a `&sy_host_api` would read past its end, while in the copy
/// the newer functions are `None`). Leaked on purpose: it lives as long as the process, as the
/// host's own table does. The host's pointer is kept beside it, so a repeated entry call
/// (idempotent, as the ABI asks) reuses the copy.
static HOST_API: AtomicPtr<sys::sy_host_api> = AtomicPtr::new(std::ptr::null_mut());
static HOST_API_SOURCE: AtomicPtr<sys::sy_host_api> = AtomicPtr::new(std::ptr::null_mut());

/// # Safety
/// `api` is the host's table, valid for the life of the process, at least 8 bytes long.
pub(crate) unsafe fn set_host_api(api: *const sys::sy_host_api) {
    if HOST_API_SOURCE.load(Ordering::Acquire) == api as *mut _ && !HOST_API.load(Ordering::Acquire).is_null() {
        return;
    }
    let size = std::mem::size_of::<sys::sy_host_api>();
    let covered = ((*api).struct_size as usize).min(size);
    let mut copy: Box<std::mem::MaybeUninit<sys::sy_host_api>> = Box::new(std::mem::MaybeUninit::zeroed());
    // SAFETY: the host's table holds `covered` readable bytes; all-zero is a valid sy_host_api
    // (integers 0, functions None).
    std::ptr::copy_nonoverlapping(api as *const u8, copy.as_mut_ptr() as *mut u8, covered);
    let table = Box::into_raw(copy) as *mut sys::sy_host_api;
    HOST_API.store(table, Ordering::Release);
    HOST_API_SOURCE.store(api as *mut _, Ordering::Release);
}

pub(crate) fn host_api() -> Option<&'static sys::sy_host_api> {
    // SAFETY: the copy is never freed nor written after it was published.
    unsafe { HOST_API.load(Ordering::Acquire).as_ref() }
}

/// Log levels (`SY_LOG_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Trace = 0,
    Debug = 1,
    Info = 2,
    Warn = 3,
    Error = 4,
}

/// One plugin instance's view of the host: the host table plus the instance's host handle, which
/// names it in logs and metrics. Copy, Send and Sync: every function reached through it is
/// [thread-safe] (those that are not take a `Call`, `Sink`, `HttpOut` or `Verdict` instead).
/// Valid for the life of the instance; keep it in your instance.
#[derive(Clone, Copy)]
pub struct Host {
    pub(crate) api: &'static sys::sy_host_api,
    pub(crate) hinst: sys::sy_hinst,
}

// SAFETY: the host handle is an opaque token the host accepts from any thread; the table is
// immutable and its functions used here are [thread-safe].
unsafe impl Send for Host {}
unsafe impl Sync for Host {}

impl Host {
    /// The host's ABI minor (what it told `sy_plugin_entry`).
    pub fn abi_minor(&self) -> u32 {
        self.api.abi_minor
    }

    /// The raw table and handle, for services this layer does not wrap (`http_send`, extensions).
    pub fn raw(&self) -> (&'static sys::sy_host_api, sys::sy_hinst) {
        (self.api, self.hinst)
    }

    pub fn log_enabled(&self, level: Level) -> bool {
        match self.api.log_enabled {
            Some(enabled) => unsafe { enabled(self.hinst, level as u32) != 0 },
            None => false,
        }
    }

    /// One log line naming this instance's config entry (and the request, see `Call::log`).
    pub fn log(&self, level: Level, message: &str) {
        self.log_for(std::ptr::null_mut(), level, message)
    }

    pub(crate) fn log_for(&self, call: sys::sy_call, level: Level, message: &str) {
        if let Some(log) = self.api.log {
            // The host copies the message before it returns.
            unsafe { log(self.hinst, call, level as u32, sy_bytes::from_slice(message.as_bytes())) }
        }
    }

    pub fn now_unix_ns(&self) -> u64 {
        self.api.now_unix_ns.map(|now| unsafe { now() }).unwrap_or(0)
    }

    pub fn monotonic_ns(&self) -> u64 {
        self.api.monotonic_ns.map(|now| unsafe { now() }).unwrap_or(0)
    }

    /// A secret by name (an environment variable of the gateway), owned by the caller; `None`
    /// when it is not set. Uses the host's two-call pattern.
    pub fn secret_get(&self, name: &str) -> Result<Option<Vec<u8>>, Error> {
        let get = self.api.secret_get.ok_or_else(|| Error::unsupported("the host has no secret_get"))?;
        let name = sy_bytes::from_slice(name.as_bytes());
        let mut buffer: Vec<u8> = Vec::new();
        for _ in 0..4 {
            let mut length = 0usize;
            let status = unsafe { get(self.hinst, name, buffer.as_mut_ptr(), buffer.len(), &mut length) };
            match status {
                sys::SY_OK => {
                    buffer.truncate(length);
                    return Ok(Some(buffer));
                }
                sys::SY_E_TOO_SMALL => buffer.resize(length, 0),
                sys::SY_E_INVALID => return Ok(None),
                other => return Err(Error::new(other, format!("secret_get failed (status {})", other))),
            }
        }
        Err(Error::internal("secret_get kept growing"))
    }

    /// [control] Defines a metric; only inside `Plugin::new`. `label_names` comma-separated.
    pub fn metric_define(&self, kind: u32, name: &str, label_names: &str) -> Result<u32, Error> {
        let define = self.api.metric_define.ok_or_else(|| Error::unsupported("the host has no metric_define"))?;
        let mut id = 0u32;
        let status = unsafe {
            define(self.hinst, kind, sy_bytes::from_slice(name.as_bytes()), sy_bytes::from_slice(label_names.as_bytes()), &mut id)
        };
        Error::check(status, "the metric definition").map(|_| id)
    }

    /// [thread-safe] Records a value of a metric defined in `Plugin::new`.
    pub fn metric_record(&self, id: u32, value: f64, label_values: &[&str]) -> Result<(), Error> {
        let record = self.api.metric_record.ok_or_else(|| Error::unsupported("the host has no metric_record"))?;
        let labels: Vec<sy_bytes> = label_values.iter().map(|label| sy_bytes::from_slice(label.as_bytes())).collect();
        Error::check(unsafe { record(self.hinst, id, value, labels.as_ptr(), labels.len()) }, "the metric value")
    }
}

/// One request, as a hook sees it: the host's call token and, in hooks that get one, the call's
/// description. Borrowed: valid until the hook returns (`'a`); not Send (`call_metadata` is
/// [hook-thread]). Copy what you keep.
pub struct Call<'a> {
    pub(crate) host: Host,
    pub(crate) raw: sys::sy_call,
    pub(crate) info: Option<&'a sys::sy_call_info>,
    pub(crate) _not_send: PhantomData<*const ()>,
}

impl<'a> Call<'a> {
    /// # Safety
    /// `info` is NULL or the host's `sy_call_info` for the running hook.
    pub(crate) unsafe fn new(host: Host, raw: sys::sy_call, info: *const sys::sy_call_info) -> Call<'a> {
        Call { host, raw, info: info.as_ref(), _not_send: PhantomData }
    }

    pub fn host(&self) -> Host {
        self.host
    }

    /// True once the client has gone away (or the call has ended): stop work for it.
    pub fn cancelled(&self) -> bool {
        match self.host.api.call_cancelled {
            Some(cancelled) => unsafe { cancelled(self.raw) != 0 },
            None => false,
        }
    }

    /// The plan's facts as JSON (`{"request_id","endpoint","mode","model",...}`), borrowed until
    /// the hook returns; empty once the call has ended.
    pub fn metadata(&self) -> &'a [u8] {
        match self.host.api.call_metadata {
            Some(metadata) => unsafe { metadata(self.raw).as_slice() },
            None => &[],
        }
    }

    /// A log line naming the config entry and this request (`request_id=`).
    pub fn log(&self, level: Level, message: &str) {
        self.host.log_for(self.raw, level, message)
    }

    /// `SY_OP_*` of the call (0 when the hook got no description).
    pub fn operation(&self) -> u32 {
        self.info.map(|info| info.operation).unwrap_or(0)
    }
    /// True when the client asked for a stream (SSE).
    pub fn stream(&self) -> bool {
        self.info.map(|info| info.stream != 0).unwrap_or(false)
    }
    /// 0 for the first attempt, 1 for the first fallback, ...
    pub fn attempt(&self) -> u32 {
        self.info.map(|info| info.attempt).unwrap_or(0)
    }
    pub fn request_id(&self) -> &'a [u8] {
        self.info.map(|info| unsafe { info.request_id.as_slice() }).unwrap_or(&[])
    }
    /// The model as the upstream knows it.
    pub fn upstream_model(&self) -> &'a [u8] {
        self.info.map(|info| unsafe { info.upstream_model.as_slice() }).unwrap_or(&[])
    }
    /// The canonical request this call answers (see sy_call_info.request).
    pub fn request(&self) -> &'a [u8] {
        self.info.map(|info| unsafe { info.request.as_slice() }).unwrap_or(&[])
    }
    /// The raw call token, for services this layer does not wrap.
    pub fn raw(&self) -> sys::sy_call {
        self.raw
    }
}
