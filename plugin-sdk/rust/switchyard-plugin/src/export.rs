//! `export_plugin!` and the exports it wires up: negotiation, instance create/free and
//! get_interface. Each `extern "C"` function runs its body behind the panic barrier.

use crate::barrier::{guarded, guarded_value, guarded_void, install_panic_hook};
use crate::host::{host_api, set_host_api, Host};
use crate::sys;
use crate::{Error, Plugin};
use std::ffi::CStr;
use std::os::raw::{c_char, c_void};

/// A static ABI table. The tables hold raw pointers (to 'static strings and tables), which makes
/// them !Sync for Rust although nothing ever writes them.
#[repr(transparent)]
pub struct SyncTable<T>(pub T);
// SAFETY: the tables are immutable statics whose pointers lead to immutable statics.
unsafe impl<T> Sync for SyncTable<T> {}

/// Exports `sy_plugin_entry` for the `Plugin` type `$plugin`, with a static descriptor.
///
/// ```ignore
/// switchyard_plugin::export_plugin! {
///     plugin: MyProvider,
///     id: "com.example.provider.mine",
///     version: "0.1.0",
///     manifest: include_str!("../manifest.json"),
///     guardrail_phases: switchyard_plugin::sys::SY_PHASE_REQUEST, // guardrails only
/// }
/// ```
/// `id`, `version` and `manifest` must be string literals (or `include_str!`): they get a NUL
/// appended at compile time.
#[macro_export]
macro_rules! export_plugin {
    (plugin: $plugin:ty, id: $id:expr, version: $version:expr, manifest: $manifest:expr $(, guardrail_phases: $phases:expr)? $(,)?) => {
        const _: () = {
            use $crate::sys as __sys;
            static __PLUGIN_API: $crate::__private::SyncTable<__sys::sy_plugin_api> =
                $crate::__private::SyncTable(__sys::sy_plugin_api {
                    struct_size: ::std::mem::size_of::<__sys::sy_plugin_api>() as u32,
                    abi_minor: __sys::SY_ABI_MINOR,
                    id: concat!($id, "\0").as_ptr() as *const ::std::os::raw::c_char,
                    version: concat!($version, "\0").as_ptr() as *const ::std::os::raw::c_char,
                    manifest_json: concat!($manifest, "\0").as_ptr() as *const ::std::os::raw::c_char,
                    flags: 0,
                    reserved: 0,
                    instance_new: Some($crate::__private::instance_new::<$plugin>),
                    instance_free: Some($crate::__private::instance_free),
                    get_interface: Some(__get_interface),
                });
            static __GUARDRAIL: $crate::__private::SyncTable<__sys::sy_guardrail_v1> =
                $crate::__private::SyncTable(__sys::sy_guardrail_v1 {
                    struct_size: ::std::mem::size_of::<__sys::sy_guardrail_v1>() as u32,
                    phases: 0 $(| $phases)?,
                    inspect: Some($crate::__private::guardrail_inspect),
                    call_end: Some($crate::__private::guardrail_call_end),
                });

            /// [thread-safe] The tables this instance serves.
            unsafe extern "C" fn __get_interface(
                instance: __sys::sy_instance,
                interface_id: *const ::std::os::raw::c_char,
            ) -> *const ::std::os::raw::c_void {
                $crate::__private::get_interface(instance, interface_id, &__GUARDRAIL.0)
            }

            /// The only exported symbol: negotiates and hands over the static descriptor.
            #[no_mangle]
            pub unsafe extern "C" fn sy_plugin_entry(negotiate: *mut __sys::sy_negotiate) -> __sys::sy_status {
                $crate::__private::negotiate(negotiate, &__PLUGIN_API.0)
            }
        };
    };
}

/// The 1.0 `sy_host_api`: up to and including `call_route` (200 bytes, abi/layout-1.0.txt).
const HOST_TABLE_SIZE_OF_ABI_1_0: usize = 200;

/// sy_plugin_entry's body: a different major is refused with ours written back (so the host can
/// say "plugin is built for ABI N.x"); the minor becomes min(host, ours); the host table is kept
/// for the life of the process. Fast, idempotent, no host calls.
///
/// # Safety
/// `negotiate` is NULL or the host's negotiation block.
pub unsafe fn negotiate(negotiate: *mut sys::sy_negotiate, plugin: &'static sys::sy_plugin_api) -> sys::sy_status {
    guarded_value(sys::SY_E_INTERNAL, || {
        let block = match negotiate.as_mut() {
            Some(block) => block,
            None => return sys::SY_E_INVALID,
        };
        // Nothing past the struct_size the host gave is read: `abi_major` needs 8 bytes, the
        // rest the whole block (a host too old or broken for this one is refused).
        if (block.struct_size as usize) < 8 {
            return sys::SY_E_ABI;
        }
        if block.abi_major != sys::SY_ABI_MAJOR {
            block.abi_major = sys::SY_ABI_MAJOR;
            return sys::SY_E_ABI;
        }
        if (block.struct_size as usize) < std::mem::size_of::<sys::sy_negotiate>() || block.host.is_null() {
            return sys::SY_E_ABI;
        }
        // Every 1.0 host function must be there: the SDK calls them without sy_has!.
        if ((*block.host).struct_size as usize) < HOST_TABLE_SIZE_OF_ABI_1_0 {
            return sys::SY_E_ABI;
        }
        if block.abi_minor > sys::SY_ABI_MINOR {
            block.abi_minor = sys::SY_ABI_MINOR;
        }
        // A copy bounded by the host's struct_size (checked above to hold the 1.0 table).
        set_host_api(block.host);
        install_panic_hook();
        block.plugin = plugin;
        sys::SY_OK
    })
}

/// What the SDK keeps per instance: the host handle and the plugin, owned, dropped in
/// instance_free. The pointer to it is the `sy_instance` the host holds.
pub(crate) struct Instance {
    pub(crate) host: Host,
    pub(crate) plugin: Box<dyn Plugin>,
}

/// The instance behind the host's `sy_instance` (borrowed for the hook).
///
/// # Safety
/// `instance` is NULL or a pointer instance_new returned and instance_free has not freed.
pub(crate) unsafe fn instance_ref<'a>(instance: sys::sy_instance) -> Result<&'a Instance, Error> {
    (instance as *const Instance).as_ref().ok_or_else(|| Error::invalid("NULL instance"))
}

/// [control] Creates `P` from the entry's config.
///
/// # Safety
/// The host's arguments as the ABI describes them.
pub unsafe extern "C" fn instance_new<P: Plugin>(
    hinst: sys::sy_hinst,
    config_json: sys::sy_bytes,
    out_instance: *mut sys::sy_instance,
    error: *mut sys::sy_error,
) -> sys::sy_status {
    guarded("instance_new", error, || {
        let api = host_api().ok_or_else(|| Error::internal("instance_new before sy_plugin_entry"))?;
        if out_instance.is_null() {
            return Err(Error::invalid("NULL out_instance"));
        }
        let host = Host { api, hinst };
        let plugin = P::new(host, config_json.as_slice())?;
        let instance = Box::new(Instance { host, plugin: Box::new(plugin) });
        *out_instance = Box::into_raw(instance) as sys::sy_instance;
        Ok(sys::SY_OK)
    })
}

/// [control] Drops the instance, once, after its last call.
///
/// # Safety
/// `instance` came from instance_new and is not used again.
pub unsafe extern "C" fn instance_free(instance: sys::sy_instance) {
    guarded_void("instance_free", || {
        if !instance.is_null() {
            drop(Box::from_raw(instance as *mut Instance));
        }
    })
}

/// [thread-safe] The provider table when the instance is a provider, the guardrail table when it
/// is a guardrail with phases, NULL otherwise.
///
/// # Safety
/// `interface_id` is NULL or a NUL-terminated string; `instance` as for instance_ref.
pub unsafe fn get_interface(
    instance: sys::sy_instance,
    interface_id: *const c_char,
    guardrail: &'static sys::sy_guardrail_v1,
) -> *const c_void {
    guarded_value(std::ptr::null(), || {
        if interface_id.is_null() {
            return std::ptr::null();
        }
        let id = CStr::from_ptr(interface_id).to_bytes();
        let instance = match instance_ref(instance) {
            Ok(instance) => instance,
            Err(_) => return std::ptr::null(),
        };
        if id == sys::SY_IFACE_PROVIDER.as_bytes() {
            match instance.plugin.provider() {
                Some(provider) if provider.answers_locally() => &crate::thunks::GENERATOR.0 as *const _ as *const c_void,
                Some(_) => &crate::thunks::UPSTREAM_PROVIDER.0 as *const _ as *const c_void,
                None => std::ptr::null(),
            }
        } else if id == sys::SY_IFACE_GUARDRAIL.as_bytes() && guardrail.phases != 0 && instance.plugin.guardrail().is_some() {
            guardrail as *const _ as *const c_void
        } else {
            std::ptr::null()
        }
    })
}
