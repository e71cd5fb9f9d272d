//! A plugin that is both a provider answering in-process (`generate`) and a guardrail, through
//! the C ABI as the host calls it: get_interface hands out the generate table and the guardrail
//! table with the macro's phases; the verdict goes through the host's functions.

use std::ffi::{CStr, CString};
use std::sync::Mutex;
use switchyard_plugin::sys::{self, sy_bytes};
use switchyard_plugin::{Call, Error, Guardrail, Headers, Host, Inspection, Plugin, Provider, ResponseTransformer, Sink, Verdict};

static EVENTS: Mutex<Vec<String>> = Mutex::new(Vec::new());

struct Both;

impl Plugin for Both {
    fn new(_host: Host, _config: &[u8]) -> Result<Self, Error> {
        Ok(Both)
    }
    fn provider(&self) -> Option<&dyn Provider> {
        Some(self)
    }
    fn guardrail(&self) -> Option<&dyn Guardrail> {
        Some(self)
    }
}

impl Provider for Both {
    fn answers_locally(&self) -> bool {
        true
    }
    fn generate(&self, call: &Call, request: &[u8], out: &mut Sink) -> Result<(), Error> {
        assert!(call.stream());
        out.json(request)
    }
    fn response(&self, _call: &Call, _status: u32, _headers: &Headers) -> Result<Box<dyn ResponseTransformer>, Error> {
        Err(Error::internal("not used"))
    }
}

impl Guardrail for Both {
    fn inspect(&self, _call: &Call, phase: u32, json: &[u8], verdict: &Verdict) -> Result<Inspection, Error> {
        match json {
            b"reject" => verdict.reject(403, br#"{"error":{"message":"no"}}"#)?,
            b"patch" => verdict.replace(br#"{"patched":true}"#)?,
            b"pause" => return Ok(Inspection::Paused),
            b"fail" => return Err(Error::invalid("cannot read it")),
            _ => {}
        }
        EVENTS.lock().unwrap().push(format!("inspected phase {}", phase));
        Ok(Inspection::Done)
    }
    fn call_end(&self, _call: &Call) {
        EVENTS.lock().unwrap().push("call_end".to_string());
    }
}

switchyard_plugin::export_plugin! {
    plugin: Both,
    id: "test.both",
    version: "0.0.1",
    manifest: "{}",
    guardrail_phases: sys::SY_PHASE_REQUEST | sys::SY_PHASE_RESPONSE,
}

extern "C" {
    fn sy_plugin_entry(negotiate: *mut sys::sy_negotiate) -> sys::sy_status;
}

unsafe extern "C" fn sink_write(_h: sys::sy_hinst, sink: sys::sy_sink, kind: u32, data: sy_bytes) -> sys::sy_status {
    EVENTS.lock().unwrap().push(format!("sink {} kind {}: {}", sink, kind, String::from_utf8_lossy(data.as_slice())));
    sys::SY_OK
}
unsafe extern "C" fn verdict_reject(_h: sys::sy_hinst, verdict: sys::sy_verdict, status: u32, body: sy_bytes) -> sys::sy_status {
    EVENTS.lock().unwrap().push(format!("verdict {} reject {}: {}", verdict, status, String::from_utf8_lossy(body.as_slice())));
    sys::SY_OK
}
unsafe extern "C" fn verdict_patch(_h: sys::sy_hinst, verdict: sys::sy_verdict, format: u32, body: sy_bytes) -> sys::sy_status {
    EVENTS.lock().unwrap().push(format!("verdict {} patch {}: {}", verdict, format, String::from_utf8_lossy(body.as_slice())));
    sys::SY_OK
}

#[test]
fn generate_and_inspect_through_the_tables() {
    let mut api: sys::sy_host_api = unsafe { std::mem::zeroed() };
    api.struct_size = std::mem::size_of::<sys::sy_host_api>() as u32;
    api.sink_write = Some(sink_write);
    api.verdict_reject = Some(verdict_reject);
    api.verdict_patch = Some(verdict_patch);
    let api: &'static sys::sy_host_api = Box::leak(Box::new(api));
    let mut block = sys::sy_negotiate {
        struct_size: std::mem::size_of::<sys::sy_negotiate>() as u32,
        abi_major: 1,
        abi_minor: 0,
        required_minor: 0,
        host: api,
        plugin: std::ptr::null(),
    };
    assert_eq!(unsafe { sy_plugin_entry(&mut block) }, sys::SY_OK);
    let plugin = unsafe { &*block.plugin };
    let mut instance: sys::sy_instance = std::ptr::null_mut();
    let mut error: sys::sy_error = unsafe { std::mem::zeroed() };
    assert_eq!(unsafe { plugin.instance_new.unwrap()(0x10 as sys::sy_hinst, sy_bytes::from_slice(b"{}"), &mut instance, &mut error) }, sys::SY_OK);
    let get = |id: &str| unsafe { plugin.get_interface.unwrap()(instance, CString::new(id).unwrap().as_ptr()) };

    let provider = unsafe { &*(get(sys::SY_IFACE_PROVIDER) as *const sys::sy_provider_v1) };
    assert!(provider.prepare.is_none() && provider.response.is_null());
    let mut info: sys::sy_call_info = unsafe { std::mem::zeroed() };
    info.stream = 1;
    let status = unsafe {
        provider.generate.unwrap()(instance, std::ptr::null_mut(), &info, sy_bytes::from_slice(b"{\"a\":1}"), 42, &mut error)
    };
    assert_eq!(status, sys::SY_OK);

    let guardrail = unsafe { &*(get(sys::SY_IFACE_GUARDRAIL) as *const sys::sy_guardrail_v1) };
    assert_eq!(guardrail.phases, sys::SY_PHASE_REQUEST | sys::SY_PHASE_RESPONSE);
    let inspect = |json: &[u8], error: &mut sys::sy_error| unsafe {
        guardrail.inspect.unwrap()(instance, std::ptr::null_mut(), &info, sys::SY_PHASE_REQUEST, sy_bytes::from_slice(json), 9, error)
    };
    assert_eq!(inspect(b"fine", &mut error), sys::SY_OK);
    assert_eq!(inspect(b"reject", &mut error), sys::SY_OK);
    assert_eq!(inspect(b"patch", &mut error), sys::SY_OK);
    assert_eq!(inspect(b"pause", &mut error), sys::SY_PAUSE);
    assert_eq!(inspect(b"fail", &mut error), sys::SY_E_INVALID);
    assert_eq!(unsafe { CStr::from_ptr(error.message.as_ptr()) }.to_str().unwrap(), "cannot read it");
    unsafe { guardrail.call_end.unwrap()(instance, std::ptr::null_mut()) };
    unsafe { plugin.instance_free.unwrap()(instance) };

    assert_eq!(*EVENTS.lock().unwrap(), vec![
        "sink 42 kind 1: {\"a\":1}".to_string(),
        "inspected phase 1".to_string(),
        "verdict 9 reject 403: {\"error\":{\"message\":\"no\"}}".to_string(),
        "inspected phase 1".to_string(),
        "verdict 9 patch 1: {\"patched\":true}".to_string(),
        "inspected phase 1".to_string(),
        "call_end".to_string(),
    ]);
}
