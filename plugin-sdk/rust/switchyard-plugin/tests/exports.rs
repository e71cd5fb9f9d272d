//! The exports `export_plugin!` emits, called the way the host calls them, through the C ABI:
//! negotiation, instance create/free, get_interface, the transformer's state lifecycle, the
//! upstream error policy on a non-2xx begin, and panics turned into SY_E_INTERNAL. The host side
//! here is a table of a few functions recording what the plugin writes; the real gateway loads the
//! example plugins in Tests/EndToEnd/test_rust_plugins.py.

use std::ffi::CStr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use switchyard_plugin::sys::{self, sy_bytes};
use switchyard_plugin::{Call, Error, Headers, Host, Plugin, Provider, ResponseTransformer, Sink};

static DROPPED: AtomicUsize = AtomicUsize::new(0);
static WRITES: Mutex<Vec<(u32, String)>> = Mutex::new(Vec::new());

struct Probe;

impl Plugin for Probe {
    fn new(_host: Host, config: &[u8]) -> Result<Self, Error> {
        match config {
            b"panic" => panic!("config said panic"),
            b"bad" => Err(Error::config("bad config")),
            _ => Ok(Probe),
        }
    }
    fn provider(&self) -> Option<&dyn Provider> {
        Some(self)
    }
}

impl Provider for Probe {
    fn response(&self, _call: &Call, _status: u32, _headers: &Headers) -> Result<Box<dyn ResponseTransformer>, Error> {
        Ok(Box::new(Echo))
    }
}

/// Writes each chunk back as {"n":len}; panics on the chunk "panic". Counts its drops.
struct Echo;

impl ResponseTransformer for Echo {
    fn data(&mut self, chunk: &[u8], out: &mut Sink) -> Result<(), Error> {
        if chunk == b"panic" {
            panic!("asked to");
        }
        out.json(format!("{{\"n\":{}}}", chunk.len()).as_bytes())
    }
    fn end(&mut self, _out: &mut Sink) -> Result<(), Error> {
        Ok(())
    }
}

impl Drop for Echo {
    fn drop(&mut self) {
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

switchyard_plugin::export_plugin! {
    plugin: Probe,
    id: "test.probe",
    version: "1.2.3",
    manifest: "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]}",
}

extern "C" {
    fn sy_plugin_entry(negotiate: *mut sys::sy_negotiate) -> sys::sy_status;
}

unsafe extern "C" fn sink_write(_h: sys::sy_hinst, _sink: sys::sy_sink, kind: u32, data: sy_bytes) -> sys::sy_status {
    WRITES.lock().unwrap().push((kind, String::from_utf8(data.as_slice().to_vec()).unwrap()));
    sys::SY_OK
}

fn host_table() -> &'static sys::sy_host_api {
    let mut api: sys::sy_host_api = unsafe { std::mem::zeroed() };
    api.struct_size = std::mem::size_of::<sys::sy_host_api>() as u32;
    api.abi_minor = sys::SY_ABI_MINOR;
    api.sink_write = Some(sink_write);
    Box::leak(Box::new(api))
}

fn negotiate_block(host: &'static sys::sy_host_api, major: u32, minor: u32) -> sys::sy_negotiate {
    sys::sy_negotiate {
        struct_size: std::mem::size_of::<sys::sy_negotiate>() as u32,
        abi_major: major,
        abi_minor: minor,
        required_minor: 0,
        host,
        plugin: std::ptr::null(),
    }
}

fn message(error: &sys::sy_error) -> String {
    unsafe { CStr::from_ptr(error.message.as_ptr()) }.to_string_lossy().into_owned()
}

fn fresh_error() -> sys::sy_error {
    let mut error: sys::sy_error = unsafe { std::mem::zeroed() };
    error.struct_size = std::mem::size_of::<sys::sy_error>() as u32;
    error
}

// One test: the exports share one host table and one sink recorder, as in a process.
#[test]
fn the_exports_behave_as_the_header_says() {
    let host = host_table();

    // Negotiation: another major is refused with ours written back; the minor is the lower one.
    let mut block = negotiate_block(host, 2, 0);
    assert_eq!(unsafe { sy_plugin_entry(&mut block) }, sys::SY_E_ABI);
    assert_eq!(block.abi_major, sys::SY_ABI_MAJOR);
    assert!(block.plugin.is_null());
    let mut block = negotiate_block(host, 1, sys::SY_ABI_MINOR + 7);
    assert_eq!(unsafe { sy_plugin_entry(&mut block) }, sys::SY_OK);
    assert_eq!(block.abi_minor, sys::SY_ABI_MINOR);
    let mut short = negotiate_block(host, 1, 0);
    short.struct_size = 16;
    assert_eq!(unsafe { sy_plugin_entry(&mut short) }, sys::SY_E_ABI);
    assert_eq!(unsafe { sy_plugin_entry(std::ptr::null_mut()) }, sys::SY_E_INVALID);
    let mut block = negotiate_block(host, 1, 0);
    assert_eq!(unsafe { sy_plugin_entry(&mut block) }, sys::SY_OK);
    assert_eq!(block.abi_minor, 0);
    let api = unsafe { &*block.plugin };
    assert_eq!(api.struct_size as usize, std::mem::size_of::<sys::sy_plugin_api>());
    assert_eq!(unsafe { CStr::from_ptr(api.id) }.to_str().unwrap(), "test.probe");
    assert_eq!(unsafe { CStr::from_ptr(api.version) }.to_str().unwrap(), "1.2.3");
    assert!(unsafe { CStr::from_ptr(api.manifest_json) }.to_str().unwrap().starts_with("{\"kinds\""));

    // instance_new: a config error, a panic, then a good one.
    let instance_new = api.instance_new.unwrap();
    let hinst = 0x1000 as sys::sy_hinst;
    let mut instance: sys::sy_instance = std::ptr::null_mut();
    let mut error = fresh_error();
    assert_eq!(unsafe { instance_new(hinst, sy_bytes::from_slice(b"bad"), &mut instance, &mut error) }, sys::SY_E_CONFIG);
    assert_eq!(message(&error), "bad config");
    let mut error = fresh_error();
    assert_eq!(unsafe { instance_new(hinst, sy_bytes::from_slice(b"panic"), &mut instance, &mut error) }, sys::SY_E_INTERNAL);
    assert!(message(&error).starts_with("the plugin panicked in instance_new ("), "{}", message(&error));
    assert!(message(&error).ends_with("): config said panic"), "{}", message(&error));
    assert!(instance.is_null());
    let mut error = fresh_error();
    assert_eq!(unsafe { instance_new(hinst, sy_bytes::from_slice(b"{}"), &mut instance, &mut error) }, sys::SY_OK);
    assert!(!instance.is_null());

    // get_interface: the provider table (prepare + transformer), nothing else.
    let get_interface = api.get_interface.unwrap();
    let id = |text: &str| std::ffi::CString::new(text).unwrap();
    assert!(unsafe { get_interface(instance, id(sys::SY_IFACE_GUARDRAIL).as_ptr()) }.is_null());
    assert!(unsafe { get_interface(instance, id("switchyard.nothing/1").as_ptr()) }.is_null());
    assert!(unsafe { get_interface(instance, std::ptr::null()) }.is_null());
    let provider = unsafe { &*(get_interface(instance, id(sys::SY_IFACE_PROVIDER).as_ptr()) as *const sys::sy_provider_v1) };
    assert!(provider.prepare.is_some() && provider.generate.is_none());
    let transformer = unsafe { &*provider.response };
    let (begin, data, end, state_free) =
        (transformer.begin.unwrap(), transformer.data.unwrap(), transformer.end.unwrap(), transformer.state_free.unwrap());

    let run_begin = |status: u32| -> sys::sy_state {
        let mut state: sys::sy_state = std::ptr::null_mut();
        let mut error = fresh_error();
        let result = unsafe { begin(instance, std::ptr::null_mut(), std::ptr::null(), status, std::ptr::null(), 0, &mut state, &mut error) };
        assert_eq!(result, sys::SY_OK);
        state
    };

    // A 2xx answer: the provider's transformer, dropped exactly once by state_free.
    let state = run_begin(200);
    let mut error = fresh_error();
    assert_eq!(unsafe { data(state, sy_bytes::from_slice(b"abc"), 7, &mut error) }, sys::SY_OK);
    assert_eq!(unsafe { end(state, 8, &mut error) }, sys::SY_OK);
    assert_eq!(DROPPED.load(Ordering::SeqCst), 0);
    unsafe { state_free(state) };
    assert_eq!(DROPPED.load(Ordering::SeqCst), 1);
    assert_eq!(WRITES.lock().unwrap().drain(..).collect::<Vec<_>>(), vec![(sys::SY_OUT_JSON, "{\"n\":3}".to_string())]);

    // A panic in data: SY_E_INTERNAL, and the state is still freed once.
    let state = run_begin(200);
    let mut error = fresh_error();
    assert_eq!(unsafe { data(state, sy_bytes::from_slice(b"panic"), 7, &mut error) }, sys::SY_E_INTERNAL);
    assert!(message(&error).contains("panicked in data"));
    unsafe { state_free(state) };
    assert_eq!(DROPPED.load(Ordering::SeqCst), 2);
    unsafe { state_free(std::ptr::null_mut()) }; // a begin that failed left no state

    // A 503: the SDK's error policy, not the provider's transformer.
    let state = run_begin(503);
    let mut error = fresh_error();
    assert_eq!(unsafe { data(state, sy_bytes::from_slice(b"<html>busy</html>"), 7, &mut error) }, sys::SY_OK);
    let mut error = fresh_error();
    assert_eq!(unsafe { end(state, 8, &mut error) }, sys::SY_E_UPSTREAM);
    assert_eq!((error.http_status, error.retryable), (503, 1));
    assert_eq!(message(&error), "upstream returned HTTP 503: <html>busy</html>");
    unsafe { state_free(state) };
    assert_eq!(DROPPED.load(Ordering::SeqCst), 2);
    let writes: Vec<_> = WRITES.lock().unwrap().drain(..).collect();
    assert_eq!(writes.len(), 1);
    assert_eq!(writes[0].0, sys::SY_OUT_ERROR_JSON);
    assert!(writes[0].1.contains("\"type\":\"overloaded_error\""), "{}", writes[0].1);

    unsafe { api.instance_free.unwrap()(instance) };
}
