//! The Switchyard plugin C ABI, major 1, written by hand from
//! `plugin-sdk/include/switchyard_plugin.h` (no bindgen: see docs/decisions/0030-rust-sdk.md).
//!
//! The header is the truth and its comments are the documentation; this crate repeats the shapes
//! only. `tests/layout.rs` compiles `plugin-sdk/abi/layout.c` against the header and compares every
//! struct size and field offset with the ones below, and fails on a struct or field of the header
//! this crate does not know.
//!
//! Ownership, as in the header: everything a host function or a hook receives is BORROWED for the
//! call; sinks, builders and verdicts are host-owned 64-bit handles passed by value; nothing is
//! freed across the line. Function pointers are `Option<...>`: NULL is `None`.
//!
//! Growth: a struct that may grow starts with `struct_size` and grows at its end only. Adding a
//! field here is one line in its `abi_structs!` block (the layout test picks it up by itself).
#![allow(non_camel_case_types)]

use std::os::raw::{c_char, c_void};

mod layout;
pub use layout::{layout_lines, struct_names};

// ---------------------------------------------------------------- versions

pub const SY_ABI_MAJOR: u32 = 1;
/// The minor these bindings describe (the header's SY_ABI_MINOR).
pub const SY_ABI_MINOR: u32 = 1;
pub const SY_PLUGIN_ENTRY_SYMBOL: &str = "sy_plugin_entry";

// ---------------------------------------------------------------- status and errors

pub type sy_status = i32;
pub const SY_OK: sy_status = 0;
pub const SY_PAUSE: sy_status = 1;
pub const SY_E_INVALID: sy_status = -1;
pub const SY_E_UNSUPPORTED: sy_status = -2;
pub const SY_E_NOMEM: sy_status = -3;
pub const SY_E_CANCELLED: sy_status = -4;
pub const SY_E_TOO_SMALL: sy_status = -5;
pub const SY_E_UPSTREAM: sy_status = -6;
pub const SY_E_TIMEOUT: sy_status = -7;
pub const SY_E_CONFIG: sy_status = -8;
pub const SY_E_ABI: sy_status = -9;
pub const SY_E_INTERNAL: sy_status = -10;
pub const SY_E_HANDLE: sy_status = -11;

pub const SY_ERROR_MESSAGE_CAPACITY: usize = 512;

// ---------------------------------------------------------------- handles and opaque types

/// Host's view of one plugin instance; host-owned, opaque.
#[repr(C)]
pub struct sy_hinst_s {
    _opaque: [u8; 0],
}
/// One request / stream / batch job; host-owned, opaque (a token, not an address).
#[repr(C)]
pub struct sy_call_s {
    _opaque: [u8; 0],
}
pub type sy_hinst = *mut sy_hinst_s;
pub type sy_call = *mut sy_call_s;
/// Plugin-owned instance; opaque to the host.
pub type sy_instance = *mut c_void;
/// Plugin-owned per-call state; opaque to the host.
pub type sy_state = *mut c_void;

/// Output handles: host-owned tokens passed by value ([hook-thread] for sinks and builders).
pub type sy_sink = u64;
pub type sy_http_out = u64;
pub type sy_verdict = u64;
pub const SY_HANDLE_NONE: u64 = 0;

pub const SY_OUT_JSON: u32 = 1;
pub const SY_OUT_ERROR_JSON: u32 = 2;
pub const SY_OUT_META_JSON: u32 = 3;
pub const SY_OUT_BYTES: u32 = 4;

pub const SY_OP_CHAT_COMPLETIONS: u32 = 1;
pub const SY_OP_EMBEDDINGS: u32 = 2;
pub const SY_OP_RESPONSES: u32 = 3;
pub const SY_OP_MESSAGES: u32 = 4;
pub const SY_OP_MODELS: u32 = 5;
pub const SY_OP_COUNT_TOKENS: u32 = 6;
pub const SY_OP_PASSTHROUGH: u32 = 7;
pub const SY_OP_FILES: u32 = 8;
pub const SY_OP_BATCHES: u32 = 9;

pub const SY_LOG_TRACE: u32 = 0;
pub const SY_LOG_DEBUG: u32 = 1;
pub const SY_LOG_INFO: u32 = 2;
pub const SY_LOG_WARN: u32 = 3;
pub const SY_LOG_ERROR: u32 = 4;

pub const SY_METRIC_COUNTER: u32 = 1;
pub const SY_METRIC_GAUGE: u32 = 2;
pub const SY_METRIC_HISTOGRAM: u32 = 3;

pub const SY_IFACE_PROVIDER: &str = "switchyard.provider/1";
pub const SY_IFACE_GUARDRAIL: &str = "switchyard.guardrail/1";
pub const SY_IFACE_ENRICHER: &str = "switchyard.enricher/1";
pub const SY_IFACE_BATCH: &str = "switchyard.batch/1";

pub const SY_BATCH_CREATE: u32 = 1;
pub const SY_BATCH_GET: u32 = 2;
pub const SY_BATCH_CANCEL: u32 = 3;
pub const SY_BATCH_RESULTS: u32 = 4;
pub const SY_BATCH_PART_OPEN: u32 = 1;
pub const SY_BATCH_PART_ITEM: u32 = 2;
pub const SY_BATCH_PART_CLOSE: u32 = 3;

pub const SY_PATCH_REPLACE: u32 = 1;
pub const SY_PATCH_JSON_PATCH: u32 = 2;
pub const SY_PHASE_REQUEST: u32 = 1;
pub const SY_PHASE_RESPONSE: u32 = 2;
pub const SY_PHASE_CHUNK: u32 = 4;
pub const SY_MAX_HOLD_BYTES: u32 = 16384;

/// [planned: the host does not honour it yet]
pub const SY_F_SERIALIZE_INSTANCE: u32 = 1;

// ---------------------------------------------------------------- function pointer types

pub type sy_plugin_entry_fn = unsafe extern "C" fn(negotiate: *mut sy_negotiate) -> sy_status;

/// Every struct of the ABI, in the header's order. The macro also records each field for the
/// layout test (`layout_lines`), so a field added here is checked without another edit.
macro_rules! abi_structs {
    ($( $(#[$meta:meta])* pub struct $name:ident { $( $(#[$field_meta:meta])* pub $field:ident : $type:ty, )* } )*) => {
        $(
            $(#[$meta])*
            #[repr(C)]
            #[derive(Clone, Copy)]
            pub struct $name { $( $(#[$field_meta])* pub $field: $type, )* }
        )*
        // (struct name, size, [(field name, offset, size)]) of every struct above.
        pub(crate) fn struct_layouts() -> Vec<(&'static str, usize, Vec<(&'static str, usize, usize)>)> {
            vec![$( (stringify!($name), std::mem::size_of::<$name>(), vec![$( {
                let value = std::mem::MaybeUninit::<$name>::uninit();
                let base = value.as_ptr();
                // SAFETY: addr_of! computes the field's address without reading or referencing the
                // uninitialized value (offset_of! would need Rust 1.77).
                let field = unsafe { std::ptr::addr_of!((*base).$field) };
                (stringify!($field), field as usize - base as usize, size_of_pointee(field))
            } ),*]) ),*]
        }
    };
}

abi_structs! {
    /// Host-allocated and zeroed before every call that takes one; the plugin fills it on failure.
    /// Borrowed: valid until the function it was passed to returns.
    pub struct sy_error {
        pub struct_size: u32,
        pub code: i32,
        pub http_status: u32,
        pub retryable: u32,
        pub message: [c_char; SY_ERROR_MESSAGE_CAPACITY],
    }

    /// UTF-8 or raw bytes as pointer + length; `ptr` may be NULL when `len` is 0. Borrowed.
    pub struct sy_bytes {
        pub ptr: *const u8,
        pub len: usize,
    }

    pub struct sy_header {
        pub name: sy_bytes,
        pub value: sy_bytes,
    }

    /// What the host planned for this call. Host-owned, borrowed for the duration of the hook.
    pub struct sy_call_info {
        pub struct_size: u32,
        pub operation: u32,
        pub stream: u32,
        pub attempt: u32,
        pub request_id: sy_bytes,
        pub upstream_model: sy_bytes,
        pub request: sy_bytes,
    }

    /// An out-of-band HTTP request sent through the host; borrowed by http_send.
    pub struct sy_http_request {
        pub struct_size: u32,
        pub timeout_ms: u32,
        pub method: sy_bytes,
        pub url: sy_bytes,
        pub body: sy_bytes,
        pub headers: *const sy_header,
        pub header_count: usize,
    }

    /// Plugin-owned; must stay valid until on_done. Callbacks are serialized on a host thread.
    pub struct sy_http_handler {
        pub struct_size: u32,
        pub ctx: *mut c_void,
        pub on_headers: Option<unsafe extern "C" fn(ctx: *mut c_void, request: u64, status: u32, headers: *const sy_header, count: usize)>,
        pub on_data: Option<unsafe extern "C" fn(ctx: *mut c_void, request: u64, chunk: sy_bytes) -> sy_status>,
        pub on_done: Option<unsafe extern "C" fn(ctx: *mut c_void, request: u64, result: sy_status)>,
    }

    /// Handed to sy_plugin_entry; host-owned, valid for the life of the process. [thread-safe]
    /// unless the header says otherwise. A function newer than 1.0 is there only when
    /// `struct_size` covers it (see `switchyard_plugin::Host`).
    pub struct sy_host_api {
        pub struct_size: u32,
        pub abi_minor: u32,
        pub log_enabled: Option<unsafe extern "C" fn(h: sy_hinst, level: u32) -> u32>,
        pub log: Option<unsafe extern "C" fn(h: sy_hinst, call: sy_call, level: u32, message: sy_bytes)>,
        pub now_unix_ns: Option<unsafe extern "C" fn() -> u64>,
        pub monotonic_ns: Option<unsafe extern "C" fn() -> u64>,
        pub alloc: Option<unsafe extern "C" fn(h: sy_hinst, size: usize) -> *mut c_void>,
        pub free: Option<unsafe extern "C" fn(h: sy_hinst, pointer: *mut c_void)>,
        /// [control] inside instance_new only.
        pub metric_define: Option<unsafe extern "C" fn(h: sy_hinst, kind: u32, name: sy_bytes, label_names: sy_bytes, out_id: *mut u32) -> sy_status>,
        pub metric_record: Option<unsafe extern "C" fn(h: sy_hinst, id: u32, value: f64, label_values: *const sy_bytes, label_count: usize) -> sy_status>,
        pub secret_get: Option<unsafe extern "C" fn(h: sy_hinst, name: sy_bytes, buffer: *mut u8, capacity: usize, out_len: *mut usize) -> sy_status>,
        pub http_send: Option<unsafe extern "C" fn(h: sy_hinst, call: sy_call, request: *const sy_http_request, handler: *const sy_http_handler, out_request: *mut u64) -> sy_status>,
        pub http_cancel: Option<unsafe extern "C" fn(h: sy_hinst, request: u64)>,
        pub resume: Option<unsafe extern "C" fn(h: sy_hinst, verdict: sy_verdict, result: sy_status) -> sy_status>,
        pub call_cancelled: Option<unsafe extern "C" fn(call: sy_call) -> u32>,
        /// [hook-thread] the bytes are valid until the hook that asked returns.
        pub call_metadata: Option<unsafe extern "C" fn(call: sy_call) -> sy_bytes>,
        pub get_extension: Option<unsafe extern "C" fn(h: sy_hinst, extension_id: *const c_char) -> *const c_void>,
        /// [hook-thread]
        pub sink_write: Option<unsafe extern "C" fn(h: sy_hinst, sink: sy_sink, kind: u32, data: sy_bytes) -> sy_status>,
        /// [hook-thread] the four builder functions of prepare().
        pub http_out_set_method: Option<unsafe extern "C" fn(h: sy_hinst, out: sy_http_out, method: sy_bytes) -> sy_status>,
        pub http_out_set_url: Option<unsafe extern "C" fn(h: sy_hinst, out: sy_http_out, url: sy_bytes) -> sy_status>,
        pub http_out_add_header: Option<unsafe extern "C" fn(h: sy_hinst, out: sy_http_out, name: sy_bytes, value: sy_bytes) -> sy_status>,
        pub http_out_append_body: Option<unsafe extern "C" fn(h: sy_hinst, out: sy_http_out, data: sy_bytes) -> sy_status>,
        pub verdict_patch: Option<unsafe extern "C" fn(h: sy_hinst, verdict: sy_verdict, format: u32, document: sy_bytes) -> sy_status>,
        pub verdict_reject: Option<unsafe extern "C" fn(h: sy_hinst, verdict: sy_verdict, http_status: u32, openai_error_json: sy_bytes) -> sy_status>,
        pub verdict_hold: Option<unsafe extern "C" fn(h: sy_hinst, verdict: sy_verdict, bytes: usize) -> sy_status>,
        /// [thread-safe] the bytes are valid until the hook that asked returns.
        pub call_route: Option<unsafe extern "C" fn(call: sy_call, model: sy_bytes) -> sy_bytes>,
        /// 1.1 [thread-safe] the monotonic_ns() instant by which the running hook must return, 0 = none.
        /// Absent from a 1.0 host's table: check with sy_has!(host, sy_host_api, call_deadline_ns).
        pub call_deadline_ns: Option<unsafe extern "C" fn(call: sy_call) -> u64>,
    }

    /// begin -> data* -> end, then state_free exactly once. Static, plugin-owned.
    pub struct sy_transformer_v1 {
        pub struct_size: u32,
        pub begin: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, http_status: u32, headers: *const sy_header, header_count: usize, out_state: *mut sy_state, error: *mut sy_error) -> sy_status>,
        pub data: Option<unsafe extern "C" fn(state: sy_state, chunk: sy_bytes, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub end: Option<unsafe extern "C" fn(state: sy_state, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub state_free: Option<unsafe extern "C" fn(state: sy_state)>,
    }

    /// switchyard.provider/1. Static, plugin-owned.
    pub struct sy_provider_v1 {
        pub struct_size: u32,
        pub prepare: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, canonical_json: sy_bytes, out: sy_http_out, error: *mut sy_error) -> sy_status>,
        pub response: *const sy_transformer_v1,
        pub generate: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, canonical_json: sy_bytes, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub passthrough: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, method: sy_bytes, path: sy_bytes, out: sy_http_out, error: *mut sy_error) -> sy_status>,
        pub batch: *const sy_provider_batch_v1,
    }

    /// Inline batches of a provider. Static, plugin-owned.
    pub struct sy_provider_batch_v1 {
        pub struct_size: u32,
        pub request: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, op: u32, batch_id: sy_bytes, out: sy_http_out, error: *mut sy_error) -> sy_status>,
        pub create_part: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, part: u32, index: u64, line: sy_bytes, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub status: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, upstream_object: sy_bytes, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub result: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, line: sy_bytes, out: sy_sink, error: *mut sy_error) -> sy_status>,
    }

    /// switchyard.guardrail/1. Static, plugin-owned.
    pub struct sy_guardrail_v1 {
        pub struct_size: u32,
        pub phases: u32,
        pub inspect: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, phase: u32, json: sy_bytes, verdict: sy_verdict, error: *mut sy_error) -> sy_status>,
        pub call_end: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call)>,
    }

    /// A request or response head an enricher observes; borrowed for the hook.
    pub struct sy_exchange_head {
        pub struct_size: u32,
        pub http_status: u32,
        pub method: sy_bytes,
        pub path: sy_bytes,
        pub headers: *const sy_header,
        pub header_count: usize,
    }

    /// switchyard.enricher/1. Static, plugin-owned.
    pub struct sy_enricher_v1 {
        pub struct_size: u32,
        pub phases: u32,
        pub begin: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, request: *const sy_exchange_head, out_state: *mut sy_state, error: *mut sy_error) -> sy_status>,
        pub response: Option<unsafe extern "C" fn(state: sy_state, response: *const sy_exchange_head, error: *mut sy_error) -> sy_status>,
        pub data: Option<unsafe extern "C" fn(state: sy_state, phase: u32, chunk: sy_bytes, error: *mut sy_error) -> sy_status>,
        pub end: Option<unsafe extern "C" fn(state: sy_state, outcome: sy_status, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub state_free: Option<unsafe extern "C" fn(state: sy_state)>,
    }

    /// switchyard.batch/1 (a batch preparer). Static, plugin-owned.
    pub struct sy_batch_v1 {
        pub struct_size: u32,
        pub begin: Option<unsafe extern "C" fn(instance: sy_instance, call: sy_call, info: *const sy_call_info, out_state: *mut sy_state, error: *mut sy_error) -> sy_status>,
        pub line: Option<unsafe extern "C" fn(state: sy_state, line_number: u64, line: sy_bytes, out: sy_sink, error: *mut sy_error) -> sy_status>,
        pub end: Option<unsafe extern "C" fn(state: sy_state, error: *mut sy_error) -> sy_status>,
        pub state_free: Option<unsafe extern "C" fn(state: sy_state)>,
    }

    /// The plugin's descriptor: static, plugin-owned, valid for the life of the process.
    pub struct sy_plugin_api {
        pub struct_size: u32,
        pub abi_minor: u32,
        pub id: *const c_char,
        pub version: *const c_char,
        pub manifest_json: *const c_char,
        pub flags: u32,
        pub reserved: u32,
        /// [control]
        pub instance_new: Option<unsafe extern "C" fn(host_instance: sy_hinst, config_json: sy_bytes, out_instance: *mut sy_instance, error: *mut sy_error) -> sy_status>,
        /// [control]
        pub instance_free: Option<unsafe extern "C" fn(instance: sy_instance)>,
        /// [thread-safe]
        pub get_interface: Option<unsafe extern "C" fn(instance: sy_instance, interface_id: *const c_char) -> *const c_void>,
    }

    /// In/out block of sy_plugin_entry; host-owned, borrowed for the call.
    pub struct sy_negotiate {
        pub struct_size: u32,
        pub abi_major: u32,
        pub abi_minor: u32,
        pub required_minor: u32,
        pub host: *const sy_host_api,
        pub plugin: *const sy_plugin_api,
    }
}

/// Handle types passed by value, pinned by size like fields (`sy_sink size=8`).
pub(crate) fn handle_sizes() -> Vec<(&'static str, usize)> {
    vec![
        ("sy_sink", std::mem::size_of::<sy_sink>()),
        ("sy_http_out", std::mem::size_of::<sy_http_out>()),
        ("sy_verdict", std::mem::size_of::<sy_verdict>()),
    ]
}

/// SY_HAS: does table `$table` (a `&$type` the other side filled) carry a non-NULL function
/// `$field`? Use before calling a function added in a later minor: it is there only when the other
/// side's `struct_size` covers it. The field is read only when it is covered.
#[macro_export]
macro_rules! sy_has {
    ($table:expr, $type:ty, $field:ident) => {{
        let table: &$type = $table;
        let base = table as *const $type as usize;
        let field = ::std::ptr::addr_of!(table.$field);
        let end = field as usize - base + $crate::size_of_pointee(field);
        (table.struct_size as usize) >= end && table.$field.is_some()
    }};
}

/// The size of the value a raw pointer points to, without reading it (for `sy_has!`).
pub fn size_of_pointee<T>(_pointer: *const T) -> usize {
    std::mem::size_of::<T>()
}

impl sy_bytes {
    /// Borrows `data` for as long as the caller keeps it alive (the host copies what it keeps).
    pub fn from_slice(data: &[u8]) -> sy_bytes {
        sy_bytes { ptr: data.as_ptr(), len: data.len() }
    }

    /// # Safety
    /// `ptr` must point to `len` readable bytes (or be NULL with `len` 0) for the lifetime `'a`,
    /// which the caller picks no longer than the borrow the ABI grants (the current call).
    pub unsafe fn as_slice<'a>(&self) -> &'a [u8] {
        if self.ptr.is_null() || self.len == 0 {
            &[]
        } else {
            std::slice::from_raw_parts(self.ptr, self.len)
        }
    }
}
