//! The `extern "C"` hooks of the provider, transformer and guardrail tables. Each one finds the
//! instance or the call's state behind the host's opaque pointer, wraps the host's borrowed
//! arguments in the safe types, and runs the trait method behind the panic barrier.

use crate::barrier::{guarded, guarded_void};
use crate::export::{instance_ref, SyncTable};
use crate::host::{Call, Host};
use crate::output::{HttpOut, Sink, Verdict};
use crate::provider::{Headers, ResponseTransformer};
use crate::sys;
use crate::upstream_error::UpstreamErrorBody;
use crate::{Error, Inspection};

pub(crate) static TRANSFORMER: SyncTable<sys::sy_transformer_v1> = SyncTable(sys::sy_transformer_v1 {
    struct_size: std::mem::size_of::<sys::sy_transformer_v1>() as u32,
    begin: Some(begin),
    data: Some(data),
    end: Some(end),
    state_free: Some(state_free),
});

/// A provider that calls an upstream: prepare + the response transformer.
pub(crate) static UPSTREAM_PROVIDER: SyncTable<sys::sy_provider_v1> = SyncTable(sys::sy_provider_v1 {
    struct_size: std::mem::size_of::<sys::sy_provider_v1>() as u32,
    prepare: Some(prepare),
    response: &TRANSFORMER.0,
    generate: None,
    passthrough: None,
    batch: std::ptr::null(),
});

/// A provider that answers in-process.
pub(crate) static GENERATOR: SyncTable<sys::sy_provider_v1> = SyncTable(sys::sy_provider_v1 {
    struct_size: std::mem::size_of::<sys::sy_provider_v1>() as u32,
    prepare: None,
    response: std::ptr::null(),
    generate: Some(generate),
    passthrough: None,
    batch: std::ptr::null(),
});

/// One call's response state: owned by the SDK from `begin` to `state_free` (exactly once).
struct CallState {
    host: Host,
    transformer: Box<dyn ResponseTransformer>,
}

fn provider_of(instance: &crate::export::Instance) -> Result<&dyn crate::Provider, Error> {
    instance.plugin.provider().ok_or_else(|| Error::internal("the instance is not a provider"))
}

/// [any-thread]
unsafe extern "C" fn prepare(
    instance: sys::sy_instance,
    call: sys::sy_call,
    info: *const sys::sy_call_info,
    canonical_json: sys::sy_bytes,
    out: sys::sy_http_out,
    error: *mut sys::sy_error,
) -> sys::sy_status {
    guarded("prepare", error, || {
        let instance = instance_ref(instance)?;
        let call = Call::new(instance.host, call, info);
        provider_of(instance)?.prepare(&call, canonical_json.as_slice(), &mut HttpOut::new(instance.host, out))?;
        Ok(sys::SY_OK)
    })
}

/// [any-thread]
unsafe extern "C" fn generate(
    instance: sys::sy_instance,
    call: sys::sy_call,
    info: *const sys::sy_call_info,
    canonical_json: sys::sy_bytes,
    out: sys::sy_sink,
    error: *mut sys::sy_error,
) -> sys::sy_status {
    guarded("generate", error, || {
        let instance = instance_ref(instance)?;
        let call = Call::new(instance.host, call, info);
        provider_of(instance)?.generate(&call, canonical_json.as_slice(), &mut Sink::new(instance.host, out))?;
        Ok(sys::SY_OK)
    })
}

/// [any-thread] A non-2xx status goes to the SDK's error policy unless the provider takes it.
#[allow(clippy::too_many_arguments)]
unsafe extern "C" fn begin(
    instance: sys::sy_instance,
    call: sys::sy_call,
    info: *const sys::sy_call_info,
    http_status: u32,
    headers: *const sys::sy_header,
    header_count: usize,
    out_state: *mut sys::sy_state,
    error: *mut sys::sy_error,
) -> sys::sy_status {
    guarded("begin", error, || {
        let instance = instance_ref(instance)?;
        if out_state.is_null() {
            return Err(Error::invalid("NULL out_state"));
        }
        let provider = provider_of(instance)?;
        let call = Call::new(instance.host, call, info);
        let transformer: Box<dyn ResponseTransformer> = if (200..300).contains(&http_status) || provider.takes_error_responses() {
            provider.response(&call, http_status, &Headers::new(headers, header_count))?
        } else {
            Box::new(UpstreamErrorBody::new(http_status))
        };
        let state = Box::new(CallState { host: instance.host, transformer });
        *out_state = Box::into_raw(state) as sys::sy_state;
        Ok(sys::SY_OK)
    })
}

unsafe fn state_mut<'a>(state: sys::sy_state) -> Result<&'a mut CallState, Error> {
    (state as *mut CallState).as_mut().ok_or_else(|| Error::invalid("NULL state"))
}

/// [any-thread] never concurrently for one state.
unsafe extern "C" fn data(state: sys::sy_state, chunk: sys::sy_bytes, out: sys::sy_sink, error: *mut sys::sy_error) -> sys::sy_status {
    guarded("data", error, || {
        let state = state_mut(state)?;
        state.transformer.data(chunk.as_slice(), &mut Sink::new(state.host, out))?;
        Ok(sys::SY_OK)
    })
}

/// [any-thread] never concurrently for one state.
unsafe extern "C" fn end(state: sys::sy_state, out: sys::sy_sink, error: *mut sys::sy_error) -> sys::sy_status {
    guarded("end", error, || {
        let state = state_mut(state)?;
        state.transformer.end(&mut Sink::new(state.host, out))?;
        Ok(sys::SY_OK)
    })
}

/// Exactly once per state, also after an error; drops the transformer. NULL (a begin that
/// failed) is fine.
unsafe extern "C" fn state_free(state: sys::sy_state) {
    guarded_void("state_free", || {
        if !state.is_null() {
            drop(Box::from_raw(state as *mut CallState));
        }
    })
}

/// [any-thread]
///
/// # Safety
/// The host's arguments as sy_guardrail_v1.inspect describes them.
pub unsafe extern "C" fn guardrail_inspect(
    instance: sys::sy_instance,
    call: sys::sy_call,
    info: *const sys::sy_call_info,
    phase: u32,
    json: sys::sy_bytes,
    verdict: sys::sy_verdict,
    error: *mut sys::sy_error,
) -> sys::sy_status {
    guarded("inspect", error, || {
        let instance = instance_ref(instance)?;
        let guardrail = instance.plugin.guardrail().ok_or_else(|| Error::internal("the instance is not a guardrail"))?;
        let call = Call::new(instance.host, call, info);
        match guardrail.inspect(&call, phase, json.as_slice(), &Verdict::new(instance.host, verdict))? {
            Inspection::Done => Ok(sys::SY_OK),
            Inspection::Paused => Ok(sys::SY_PAUSE),
        }
    })
}

/// [any-thread] once per call the entry inspected.
///
/// # Safety
/// `instance` is one instance_new returned and instance_free has not freed.
pub unsafe extern "C" fn guardrail_call_end(instance: sys::sy_instance, call: sys::sy_call) {
    guarded_void("call_end", || {
        if let Ok(instance) = instance_ref(instance) {
            if let Some(guardrail) = instance.plugin.guardrail() {
                guardrail.call_end(&Call::new(instance.host, call, std::ptr::null()));
            }
        }
    })
}
