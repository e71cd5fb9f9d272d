/* deadline_probe: a provider for the ABI compatibility matrix (scripts/check-abi-matrix.sh,
 * Tests/EndToEnd/test_abi_matrix.py). It answers every chat completion in-process (`generate`)
 * with one line that says what it found out about the host it runs in:
 *
 *   "abi=1.N deadline_in_ms=D"   the host has call_deadline_ns (ABI 1.1) and set a deadline,
 *                                D ms after now
 *   "abi=1.N no deadline (host has no call_deadline_ns)"   a 1.0 host (SY_HAS is false)
 *   "abi=1.N no deadline (built for ABI 1.0)"              this build's header is 1.0
 *   "abi=1.N no deadline (none set)"                        a 1.1 host that sets none
 *
 * where 1.N is the minor negotiated. It uses ABI 1.1 only behind SY_HAS, so the same source
 * builds against the released 1.0 header (-I plugin-sdk/abi/released/1.0) and the current one,
 * and the 1.1 build still runs on a 1.0 host. It never reads the host table past struct_size:
 * the old-host harness (old_host.c) puts the table's end against an unmapped page to prove it.
 *
 *   -DBLOCKING   the manifest declares "blocking_hooks": ["generate"] (the host runs it on a worker)
 *   -DUNCHECKED  a deliberate bug, the matrix's negative control: calls call_deadline_ns without
 *                SY_HAS, which on a 1.0 host reads past the end of its table (old_host: SIGSEGV)
 *
 * The same line also goes to the host's log (level warn), for the tests to read. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"

#ifdef BLOCKING
#define BLOCKING_HOOKS ",\"blocking_hooks\":[\"generate\"]"
#else
#define BLOCKING_HOOKS ""
#endif

/* The host table and the negotiated minor, set once in sy_plugin_entry. */
static const sy_host_api *host;
static uint32_t negotiated_minor;

/* sizeof(sy_host_api) in ABI 1.0: every function this plugin calls without SY_HAS is in it. */
#define HOST_TABLE_SIZE_1_0 (offsetof(sy_host_api, call_route) + sizeof(void *))

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)config; (void)error;
    *out = hinst; /* the instance is the host's handle: all this plugin needs */
    return SY_OK;
}

static void instance_free(sy_instance instance) { (void)instance; }

/* What this build and this host say about the deadline of the running hook. */
static void describe_deadline(sy_call call, char *out, size_t capacity) {
#if SY_ABI_MINOR >= 1
#ifndef UNCHECKED
    if (!SY_HAS(sy_host_api, host, call_deadline_ns)) {
#else
    if (0) {
#endif
        snprintf(out, capacity, "no deadline (host has no call_deadline_ns)");
        return;
    }
    uint64_t deadline = host->call_deadline_ns(call);
    if (deadline == 0) {
        snprintf(out, capacity, "no deadline (none set)");
        return;
    }
    uint64_t now = host->monotonic_ns();
    long long left_ms = deadline >= now ? (long long)((deadline - now) / 1000000u) : -(long long)((now - deadline) / 1000000u);
    snprintf(out, capacity, "deadline_in_ms=%lld", left_ms);
#else
    (void)call;
    snprintf(out, capacity, "no deadline (built for ABI 1.0)");
#endif
}

static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes request, sy_sink out, sy_error *error) {
    (void)request; (void)error;
    sy_hinst hinst = instance;
    char found[128], line[192], json[768];
    describe_deadline(call, found, sizeof found);
    int line_length = snprintf(line, sizeof line, "abi=1.%u %s", negotiated_minor, found);
    sy_bytes message = { (const uint8_t *)line, (size_t)line_length };
    host->log(hinst, call, SY_LOG_WARN, message);
    const int model_length = (int)info->upstream_model.len;
    const char *model = (const char *)info->upstream_model.ptr;
    int length;
    if (info->stream) {
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion.chunk\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"delta\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}",
            model_length, model, line);
    } else {
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}",
            model_length, model, line);
    }
    sy_bytes answer = { (const uint8_t *)json, (size_t)length };
    sy_status status = host->sink_write(hinst, out, SY_OUT_JSON, answer);
    if (status != SY_OK) return status;
    static const char usage[] = "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    sy_bytes meta = { (const uint8_t *)usage, sizeof usage - 1 };
    return host->sink_write(hinst, out, SY_OUT_META_JSON, meta);
}

static const sy_provider_v1 provider = { sizeof(sy_provider_v1), NULL, NULL, generate, NULL, NULL };

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.deadline-probe", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"chat_completions\"]"
    BLOCKING_HOOKS "}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    /* Only what the block's own struct_size covers is read or written. */
    if (negotiate->struct_size < offsetof(sy_negotiate, abi_minor)) return SY_E_ABI;
    if (negotiate->abi_major != SY_ABI_MAJOR) {
        negotiate->abi_major = SY_ABI_MAJOR;
        return SY_E_ABI;
    }
    if (negotiate->struct_size < sizeof(sy_negotiate)) return SY_E_ABI;
    if (!negotiate->host || negotiate->host->struct_size < HOST_TABLE_SIZE_1_0) return SY_E_ABI;
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiated_minor = negotiate->abi_minor;
    negotiate->plugin = &plugin;
    return SY_OK;
}
