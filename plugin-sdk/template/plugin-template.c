/* plugin-template.c -- start here for a provider that calls an upstream over HTTP.
 *
 * The host owns the network: `prepare` only *describes* the upstream request through the
 * host's builder, and the response comes back through a push transformer
 * (begin -> data* -> end -> state_free). This template forwards OpenAI-format requests to
 * `base_url` + /chat/completions and passes a whole (non-stream) JSON answer back; replace the
 * marked parts with your provider's translation. Build like examples/c/provider-static. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"
#include "switchyard_upstream_error.h" /* the upstream error policy every provider shares */

static const sy_host_api *host; /* set once in sy_plugin_entry; valid for the process */

/* Immutable after instance_new: every event loop uses it at once. */
typedef struct instance {
    sy_hinst hinst; /* names this instance in every host call */
    char url[512];
} instance;

/* One per call: data() and end() get the state, not the instance, so it keeps the hinst. */
typedef struct response {
    sy_hinst hinst;
    sy_upstream_error_body *error; /* a non-2xx answer's first 64 KiB, else NULL */
    size_t length;
    char *body;                    /* the answer so far */
} response;

static sy_bytes bytes(const char *text) {
    sy_bytes result = { (const uint8_t *)text, strlen(text) };
    return result;
}

static sy_status fail(sy_error *error, sy_status code, uint32_t http_status, const char *message) {
    error->code = code;
    error->http_status = http_status;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

/* [control] Parse the config once. REPLACE: read your provider's settings. */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)config;
    instance *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, 0, "out of memory");
    self->hinst = hinst;
    snprintf(self->url, sizeof self->url, "%s", "http://127.0.0.1:8081/v1/chat/completions");
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance self) {
    free(self);
}

/* [any-thread] Describe the upstream request. `canonical_json` is borrowed: the builder copies.
 * `out` is a handle, valid on this thread until prepare returns: use it only through
 * host->http_out_*. REPLACE: translate the canonical (OpenAI-style) JSON into your provider's
 * format. */
static sy_status prepare(sy_instance raw, sy_call call, const sy_call_info *info,
                         sy_bytes canonical_json, sy_http_out out, sy_error *error) {
    const instance *self = raw;
    sy_hinst h = self->hinst;
    (void)call;
    if (info->stream) return fail(error, SY_E_UNSUPPORTED, 400, "this template does not stream");
    /* The builder checks what it gets (absolute http(s) URL, no line breaks in headers): a
     * refusal is a bug in this plugin, so say so rather than send half a request. */
    sy_status status = host->http_out_set_method(h, out, bytes("POST"));
    if (status == SY_OK) status = host->http_out_set_url(h, out, bytes(self->url));
    if (status == SY_OK) {
        sy_bytes json = bytes("application/json");
        status = host->http_out_add_header(h, out, bytes("Content-Type"), json);
    }
    if (status == SY_OK) status = host->http_out_append_body(h, out, canonical_json);
    if (status != SY_OK) {
        return fail(error, SY_E_INTERNAL, 0, "the host refused the upstream request (see its log)");
    }
    return SY_OK;
}

/* [any-thread] The upstream's status and headers arrived: make the per-call state. */
static sy_status begin(sy_instance raw, sy_call call, const sy_call_info *info, uint32_t status,
                       const sy_header *headers, size_t count, sy_state *out_state,
                       sy_error *error) {
    (void)call;
    (void)info;
    (void)headers;
    (void)count;
    response *state = calloc(1, sizeof *state);
    if (state == NULL) return fail(error, SY_E_NOMEM, 0, "out of memory");
    if (status < 200 || status > 299) {
        /* Keep the first 64 KiB of the error for end() (64 KiB: so only for an error). */
        state->error = sy_upstream_error_body_new(status);
        if (state->error == NULL) {
            free(state);
            return fail(error, SY_E_NOMEM, 0, "out of memory");
        }
    }
    state->hinst = ((const instance *)raw)->hinst;
    *out_state = state;
    return SY_OK;
}

/* [any-thread] Body bytes, in arbitrary pieces: buffer them (or parse incrementally). A stream
 * would write each chunk to `out` here: a fresh handle every call, valid until it returns. */
static sy_status data(sy_state raw, sy_bytes chunk, sy_sink out, sy_error *error) {
    (void)out;
    response *state = raw;
    if (state->error) {
        sy_upstream_error_body_append(state->error, chunk);
        return SY_OK;
    }
    if (chunk.len == 0) return SY_OK;
    char *grown = realloc(state->body, state->length + chunk.len);
    if (!grown) return fail(error, SY_E_NOMEM, 0, "out of memory");
    memcpy(grown + state->length, chunk.ptr, chunk.len);
    state->body = grown;
    state->length += chunk.len;
    return SY_OK;
}

/* [any-thread] The body is complete. REPLACE: translate your provider's answer into canonical
 * JSON (docs/canonical.md: also the usage record every answer carries, SY_OUT_META_JSON).
 * A non-2xx answer follows the SDK's policy (switchyard_upstream_error.h): the upstream's
 * {"error":{...}} or one quoting its body, SY_E_UPSTREAM with its status, retryable for 408, 429
 * and 5xx. REPLACE that too if your upstream's errors have another shape.
 * The host checks every write: SY_OUT_JSON must be one JSON object, SY_OUT_ERROR_JSON an
 * {"error":{...}} object; a write it refuses returns SY_E_INVALID and fails the call (a 502). */
static sy_status end(sy_state raw, sy_sink out, sy_error *error) {
    response *state = raw;
    if (state->error != NULL) {
        return sy_upstream_error_finish(host, state->hinst, out, state->error, error);
    }
    sy_bytes body = { (const uint8_t *)state->body, state->length };
    return host->sink_write(state->hinst, out, SY_OUT_JSON, body);
}

/* Exactly once per begin that succeeded, also after errors and cancellation. */
static void state_free(sy_state raw) {
    response *state = raw;
    free(state->error);
    free(state->body);
    free(state);
}

static const sy_transformer_v1 transformer = {
    sizeof(sy_transformer_v1), begin, data, end, state_free,
};
static const sy_provider_v1 provider = {
    sizeof(sy_provider_v1), prepare, &transformer, NULL /* generate */, NULL /* passthrough */,
    NULL /* batch */,
};

static const void *get_interface(sy_instance self, const char *id) {
    (void)self;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "com.example.provider.template", "0.1.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"toolchain\":\"c\"}",
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
