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
 * where 1.N is the minor negotiated. It is also a guardrail (all phases) whose inspect logs
 * "abi=1.N inspect <phase> <the same finding>" and allows the document, and an enricher whose
 * begin logs "abi=1.N enricher begin <the same finding>" and declines the call.
 *
 * It uses ABI 1.1 only behind SY_HAS, so the same source
 * builds against the released 1.0 header (-I plugin-sdk/abi/released/1.0) and the current one,
 * and the 1.1 build still runs on a 1.0 host. It never reads the host table past struct_size:
 * the old-host harness (old_host.c) puts the table's end against an unmapped page to prove it.
 *
 *   -DBLOCKING   the manifest declares "blocking_hooks": ["generate"] (the host runs it on a worker)
 *   -DUPSTREAM   no generate: prepare sends the request to the config's "base_url" (an
 *                OpenAI-style upstream, + "/chat/completions"), and the response transformer
 *                ignores the upstream's bytes and answers "abi=1.N prepare=... begin=... data=...
 *                end=..." with what each hook found ("-" for a hook that did not run)
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

typedef struct probe {
    sy_hinst hinst;
    char base_url[256]; /* UPSTREAM only; immutable after instance_new */
} probe;

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)error;
    probe *self = calloc(1, sizeof *self);
    if (!self) return SY_E_NOMEM;
    self->hinst = hinst;
    /* "base_url":"..." (a plain string), when present. */
    const char *key = memmem(config.ptr, config.len, "\"base_url\"", 10);
    if (key) {
        const char *end = (const char *)config.ptr + config.len, *start = memchr(key + 10, '"', (size_t)(end - key - 10));
        const char *stop = start ? memchr(start + 1, '"', (size_t)(end - start - 1)) : NULL;
        if (stop && (size_t)(stop - start - 1) < sizeof self->base_url) memcpy(self->base_url, start + 1, (size_t)(stop - start - 1));
    }
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) { free(instance); }

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

#ifndef UPSTREAM
static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes request, sy_sink out, sy_error *error) {
    (void)request; (void)error;
    sy_hinst hinst = ((const probe *)instance)->hinst;
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
#endif

static sy_status inspect(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t phase,
                         sy_bytes json, sy_verdict verdict, sy_error *error) {
    (void)info; (void)json; (void)verdict; (void)error;
    char found[128], line[192];
    describe_deadline(call, found, sizeof found);
    int length = snprintf(line, sizeof line, "abi=1.%u inspect %s %s", negotiated_minor,
                          phase == SY_PHASE_REQUEST ? "request" : phase == SY_PHASE_RESPONSE ? "response" : "chunk", found);
    sy_bytes message = { (const uint8_t *)line, (size_t)length };
    host->log(((const probe *)instance)->hinst, call, SY_LOG_WARN, message);
    return SY_OK; /* nothing patched, nothing rejected: allowed */
}

#ifdef UPSTREAM
/* ---- prepare + response transformer: what each provider hook on the loop finds */

static char prepare_found[128]; /* the last prepare's finding (the tests send one request at a time) */

static sy_status prepare(sy_instance instance, sy_call call, const sy_call_info *info, sy_bytes canonical,
                         sy_http_out out, sy_error *error) {
    (void)info; (void)error;
    const probe *self = instance;
    describe_deadline(call, prepare_found, sizeof prepare_found);
    char url[320];
    int length = snprintf(url, sizeof url, "%s/chat/completions", self->base_url);
    sy_bytes url_bytes = { (const uint8_t *)url, (size_t)length };
    sy_bytes name = { (const uint8_t *)"content-type", 12 }, value = { (const uint8_t *)"application/json", 16 };
    sy_status status = host->http_out_set_url(self->hinst, out, url_bytes);
    if (status == SY_OK) status = host->http_out_add_header(self->hinst, out, name, value);
    if (status == SY_OK) status = host->http_out_append_body(self->hinst, out, canonical);
    return status;
}

typedef struct exchange {
    const probe *self;
    sy_call call;
    uint32_t stream;
    char begin[128], data[128];
} exchange;

static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t status,
                       const sy_header *headers, size_t count, sy_state *out_state, sy_error *error) {
    (void)status; (void)headers; (void)count; (void)error;
    exchange *state = calloc(1, sizeof *state);
    if (!state) return SY_E_NOMEM;
    state->self = instance;
    state->call = call;
    state->stream = info->stream;
    describe_deadline(call, state->begin, sizeof state->begin);
    snprintf(state->data, sizeof state->data, "-");
    *out_state = state;
    return SY_OK;
}

static sy_status data(sy_state raw, sy_bytes chunk, sy_sink out, sy_error *error) {
    (void)chunk; (void)out; (void)error;
    exchange *state = raw;
    describe_deadline(state->call, state->data, sizeof state->data);
    return SY_OK;
}

static sy_status end(sy_state raw, sy_sink out, sy_error *error) {
    (void)error;
    exchange *state = raw;
    char found[128], text[640], json[1024];
    describe_deadline(state->call, found, sizeof found);
    snprintf(text, sizeof text, "abi=1.%u prepare=%s begin=%s data=%s end=%s", negotiated_minor, prepare_found,
             state->begin, state->data, found);
    int length = state->stream
        ? snprintf(json, sizeof json, "{\"object\":\"chat.completion.chunk\",\"model\":\"probe\",\"choices\":[{\"index\":0,"
                   "\"delta\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}", text)
        : snprintf(json, sizeof json, "{\"object\":\"chat.completion\",\"model\":\"probe\",\"choices\":[{\"index\":0,"
                   "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}", text);
    sy_bytes answer = { (const uint8_t *)json, (size_t)length };
    sy_status status = host->sink_write(state->self->hinst, out, SY_OUT_JSON, answer);
    if (status != SY_OK) return status;
    static const char usage[] = "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";
    sy_bytes meta = { (const uint8_t *)usage, sizeof usage - 1 };
    return host->sink_write(state->self->hinst, out, SY_OUT_META_JSON, meta);
}

static void state_free(sy_state state) { free(state); }

static const sy_transformer_v1 transformer = { sizeof(sy_transformer_v1), begin, data, end, state_free };
static const sy_provider_v1 provider = { sizeof(sy_provider_v1), prepare, &transformer, NULL, NULL, NULL };
#else
static const sy_provider_v1 provider = { sizeof(sy_provider_v1), NULL, NULL, generate, NULL, NULL };
#endif

static sy_status enricher_begin(sy_instance instance, sy_call call, const sy_call_info *info,
                                const sy_exchange_head *request, sy_state *out_state, sy_error *error) {
    (void)info; (void)request; (void)out_state; (void)error;
    char found[128], line[192];
    describe_deadline(call, found, sizeof found);
    int length = snprintf(line, sizeof line, "abi=1.%u enricher begin %s", negotiated_minor, found);
    sy_bytes message = { (const uint8_t *)line, (size_t)length };
    host->log(((const probe *)instance)->hinst, call, SY_LOG_WARN, message);
    return SY_E_UNSUPPORTED; /* "not mine": nothing more to observe */
}
static sy_status enricher_data(sy_state state, uint32_t phase, sy_bytes chunk, sy_error *error) {
    (void)state; (void)phase; (void)chunk; (void)error;
    return SY_OK;
}
static sy_status enricher_end(sy_state state, sy_status outcome, sy_sink out, sy_error *error) {
    (void)state; (void)outcome; (void)out; (void)error;
    return SY_OK;
}
static void enricher_state_free(sy_state state) { (void)state; }

static const sy_enricher_v1 enricher = {
    sizeof(sy_enricher_v1), SY_PHASE_REQUEST, enricher_begin, NULL, enricher_data, enricher_end, enricher_state_free,
};
static const sy_guardrail_v1 guardrail = {
    sizeof(sy_guardrail_v1), SY_PHASE_REQUEST | SY_PHASE_RESPONSE | SY_PHASE_CHUNK, inspect, NULL,
};

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    if (strcmp(id, SY_IFACE_PROVIDER) == 0) return &provider;
    if (strcmp(id, SY_IFACE_ENRICHER) == 0) return &enricher;
    return strcmp(id, SY_IFACE_GUARDRAIL) == 0 ? &guardrail : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.deadline-probe", "1.0.0",
    "{\"kinds\":[\"provider\",\"guardrail\",\"enricher\"],"
    "\"interfaces\":[\"switchyard.provider/1\",\"switchyard.guardrail/1\",\"switchyard.enricher/1\"],"
    "\"operations\":[\"chat_completions\"]"
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
