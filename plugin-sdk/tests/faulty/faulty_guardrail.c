/* faulty_guardrail.c: a working guardrail (it rejects a request whose text holds "forbidden",
 * and lets everything else through, in the request and response phases) with at most one fault,
 * chosen by a -DFAULT_* define; the Makefile builds libfaulty_guardrail_<fault>.so:
 *
 *   FAULT_NONE            no fault: it passes the validator
 *   FAULT_PAUSE_FOREVER   inspect returns SY_PAUSE and never resumes
 *   FAULT_BAD_REJECT      rejects everything with HTTP status 200 and a body that is not an error
 *   FAULT_BAD_PATCH       patches every document with bytes that are not JSON
 *
 * Config: {} only. */
#include <stdio.h>
#include <string.h>
#include "switchyard_plugin.h"

static const sy_host_api *host; /* set once in sy_plugin_entry; valid for the process */

static inline sy_bytes text_bytes(const char *text) { return (sy_bytes){ (const uint8_t *)text, strlen(text) }; }

/* [control] The instance is the host's handle itself: nothing else to keep. */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    size_t at = 0, end = config.len;
    while (at < end && (config.ptr[at] == ' ' || config.ptr[at] == '\n')) at++;
    while (end > at && (config.ptr[end - 1] == ' ' || config.ptr[end - 1] == '\n')) end--;
    if (config.len != 0 && !(end - at == 2 && config.ptr[at] == '{' && config.ptr[at + 1] == '}')) {
        error->code = SY_E_CONFIG;
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "this guardrail takes no config: {} only");
        return SY_E_CONFIG;
    }
    *out = hinst;
    return SY_OK;
}

static void instance_free(sy_instance instance) { (void)instance; }

/* [any-thread] `json` and `verdict` are valid until this returns (SY_OK). */
static sy_status inspect(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t phase,
                         sy_bytes json, sy_verdict verdict, sy_error *error) {
    (void)call; (void)info; (void)phase; (void)error;
    sy_hinst hinst = instance;
#if defined(FAULT_PAUSE_FOREVER)
    (void)hinst; (void)json; (void)verdict;
    return SY_PAUSE;
#elif defined(FAULT_BAD_REJECT)
    (void)json;
    return host->verdict_reject(hinst, verdict, 200, text_bytes("rejected")) == SY_OK ? SY_OK : SY_E_INTERNAL;
#elif defined(FAULT_BAD_PATCH)
    (void)json;
    host->verdict_patch(hinst, verdict, SY_PATCH_REPLACE, text_bytes("{\"model\":"));
    return SY_OK;
#else
    if (json.ptr && memmem(json.ptr, json.len, "forbidden", 9))
        host->verdict_reject(hinst, verdict, 400, text_bytes("{\"error\":{\"message\":\"forbidden word\",\"type\":\"invalid_request_error\"}}"));
    return SY_OK;
#endif
}

static const sy_guardrail_v1 guardrail = { sizeof(sy_guardrail_v1), SY_PHASE_REQUEST | SY_PHASE_RESPONSE, inspect, NULL };

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_GUARDRAIL) == 0 ? &guardrail : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.faulty-guardrail", "1.0.0",
    "{\"kinds\":[\"guardrail\"],\"interfaces\":[\"switchyard.guardrail/1\"],\"toolchain\":\"c\","
    "\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{}}}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) {
        negotiate->abi_major = SY_ABI_MAJOR;
        return SY_E_ABI;
    }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &plugin;
    return SY_OK;
}
