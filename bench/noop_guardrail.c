/* noop-guardrail: the cheapest guardrail there is, for the bench's "guardrail cost" figure. It
 * declares every phase (request, response, chunk) and allows everything: inspect returns SY_OK
 * and writes no verdict, so what a request pays with it on is the host's own cost of running one
 * guardrail (the scope check, the canonical JSON lent to it, a verdict, the call across the ABI),
 * nothing of the plugin's. The bench runs it on the chat model in the request and response
 * phases, and on the stream model in the chunk phase (where it never holds text back).
 *
 *   plugins:
 *     - name: noop
 *       path: /abs/path/libnoop_guardrail.so
 *   guardrails:
 *     - {plugin: noop, phases: [request, response]}
 *
 * bench/targets.py builds it with cc into the run's work dir, with the flags of
 * plugin-sdk/examples/c/provider-static/Makefile. */
#include <string.h>
#include "switchyard_plugin.h"

/* [control] No config and no state: the instance is a token the host never looks into. */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)hinst; (void)config; (void)error;
    *out = NULL;
    return SY_OK;
}

/* [control] Nothing was allocated. */
static void instance_free(sy_instance instance) { (void)instance; }

/* [any-thread] Allows: no verdict written, nothing kept (`json` is borrowed, `verdict` ends
 * when this returns). */
static sy_status inspect(sy_instance instance, sy_call call, const sy_call_info *info,
                         uint32_t phase, sy_bytes json, sy_verdict verdict, sy_error *error) {
    (void)instance; (void)call; (void)info; (void)phase; (void)json; (void)verdict; (void)error;
    return SY_OK;
}

static const sy_guardrail_v1 guardrail = {
    sizeof(sy_guardrail_v1), SY_PHASE_REQUEST | SY_PHASE_RESPONSE | SY_PHASE_CHUNK, inspect, NULL /* call_end: no per-call state */,
};

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_GUARDRAIL) == 0 ? &guardrail : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.bench.noop-guardrail", "1.0.0",
    "{\"kinds\":[\"guardrail\"],\"interfaces\":[\"switchyard.guardrail/1\"],\"toolchain\":\"c\","
    "\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false}}",
    0, 0, instance_new, instance_free, get_interface,
};

/* The only exported symbol: negotiate, hand over the static table. The host table is not kept:
 * this guardrail never calls the host. */
SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) {
        negotiate->abi_major = SY_ABI_MAJOR;
        return SY_E_ABI;
    }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    negotiate->plugin = &plugin;
    return SY_OK;
}
