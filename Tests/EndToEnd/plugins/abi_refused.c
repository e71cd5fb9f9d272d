/* abi_refused: plugins the host must refuse at load, one per build, for the rejection half of
 * the ABI matrix (Tests/EndToEnd/test_abi_matrix.py):
 *   -DMAJOR2               built for ABI 2.x: refuses major 1 and says it is major 2
 *   -DNEEDS_MINOR7         needs host ABI 1.7 (refuses older hosts with required_minor 7)
 *   -DSHORT_PLUGIN_TABLE   sy_plugin_api.struct_size ends before instance_new
 *   -DSHORT_GUARDRAIL_TABLE a guardrail whose sy_guardrail_v1.struct_size is 16 (1.0: 24)
 * Without a variant it is a working guardrail that allows everything (the control). */
#include <string.h>
#include "switchyard_plugin.h"

static sy_status inspect(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t phase,
                         sy_bytes json, sy_verdict verdict, sy_error *error) {
    (void)instance; (void)call; (void)info; (void)phase; (void)json; (void)verdict; (void)error;
    return SY_OK;
}

static const sy_guardrail_v1 guardrail = {
#ifdef SHORT_GUARDRAIL_TABLE
    16,
#else
    sizeof(sy_guardrail_v1),
#endif
    SY_PHASE_REQUEST, inspect, NULL,
};

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)hinst; (void)config; (void)error;
    *out = NULL;
    return SY_OK;
}

static void instance_free(sy_instance instance) { (void)instance; }

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_GUARDRAIL) == 0 ? &guardrail : NULL;
}

static const sy_plugin_api plugin = {
#ifdef SHORT_PLUGIN_TABLE
    (uint32_t)offsetof(sy_plugin_api, instance_new),
#else
    sizeof(sy_plugin_api),
#endif
    SY_ABI_MINOR, "dev.switchyard.test.abi-refused", "0.1.0",
    "{\"kinds\":[\"guardrail\"],\"interfaces\":[\"switchyard.guardrail/1\"]}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
#if defined(MAJOR2)
    (void)&plugin; /* never handed out: no host of major 1 gets this far */
    if (negotiate->abi_major != 2) {
        negotiate->abi_major = 2;
        return SY_E_ABI;
    }
    return SY_E_INTERNAL;
#else
    if (negotiate->abi_major != SY_ABI_MAJOR) {
        negotiate->abi_major = SY_ABI_MAJOR;
        return SY_E_ABI;
    }
#if defined(NEEDS_MINOR7)
    if (negotiate->abi_minor < 7) {
        negotiate->required_minor = 7;
        return SY_E_ABI;
    }
#endif
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    negotiate->plugin = &plugin;
    return SY_OK;
#endif
}
