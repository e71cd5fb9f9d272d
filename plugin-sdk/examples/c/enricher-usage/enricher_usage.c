/* enricher-usage: a Switchyard enricher in plain C. It watches chat completions that a provider
 * forwards in its own format (passthrough: /p/{provider}/v1/chat/completions) to an
 * OpenAI-compatible upstream, never changes a byte, and reports what it saw once, from `end`:
 *
 *   {"operation":"chat.completions","model":"<the request's>","usage":{<the answer's>},
 *    "audit_path":"/v1/chat/completions"}
 *
 * The host meters and logs the call with it (the access log's model, tokens and audit_path), as
 * it does a translated call's usage. Any other path is "not mine" (SY_E_UNSUPPORTED from begin).
 *
 *   plugins:
 *     - name: usage
 *       path: /abs/path/libenricher_usage.so
 *   enrichers:
 *     - plugin: usage
 *
 * The model comes from the first 16 KiB of the request body, the usage from the whole answer
 * (JSON, up to 1 MiB) or from the stream's `data:` lines (each up to 1 MiB; OpenAI sends usage
 * in the last chunk when the client asks). Past a bound it reports without usage.
 * Plugins/enricher-openai is the real one (Swift: Responses, embeddings, errors).
 * Build: make (see the Makefile for the flags every plugin should use). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "switchyard_plugin.h"
#include "switchyard_json.h" /* the C SDK's helpers: JSON members, */
#include "switchyard_sse.h"  /* a body that arrives in pieces, read line by line */

#define REQUEST_BYTES (16u << 10) /* enough to find "model" in any request we know */
#define RESPONSE_BYTES (1u << 20) /* a whole answer, or one stream line */

/* The host table, valid for the life of the process (set once in sy_plugin_entry). */
static const sy_host_api *host;

/* One observed call. Calls for one state never overlap; different calls run on several loops. */
typedef struct observation {
    sy_hinst hinst;
    int stream;            /* the answer is text/event-stream */
    int over;              /* a bound was passed, or the answer is an error: report no usage */
    char model[128];
    char usage[1024];      /* the last "usage" object seen, copied */
    sy_sse_buffer request; /* the head of the request body (its first REQUEST_BYTES) */
    sy_sse_buffer answer;  /* the whole answer, or the stream's unfinished line */
} observation;

/* Instances hold nothing but the host handle: the enricher has no config. */
typedef struct enricher {
    sy_hinst hinst;
} enricher;

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

/* Keeps the "usage" object of one answer or chunk, when it has one (not null) that fits. */
static void note_usage(observation *self, sy_bytes json) {
    sy_bytes usage;
    if (!sy_json_member_object(json, "usage", &usage)) return;
    if (usage.len >= sizeof self->usage) return;
    memcpy(self->usage, usage.ptr, usage.len);
    self->usage[usage.len] = '\0';
}

static const char *skip_blanks(const char *at, const char *end) {
    while (at < end && (*at == ' ' || *at == '\t' || *at == '\n' || *at == '\r')) at++;
    return at;
}

/* The request's "model": the first `"model": "<a string without escapes>"` in the head of the
 * body. A scan, not a parse: the head of a large request is not a whole JSON document. */
static void note_model(observation *self) {
    if (self->request.length == 0) return;
    const char *end = self->request.bytes + self->request.length;
    const char *key = self->request.bytes;
    while ((key = memmem(key, (size_t)(end - key), "\"model\"", 7)) != NULL) {
        const char *value = skip_blanks(key + 7, end);
        key += 7;
        if (value == end || *value != ':') continue; /* "model" was a value, not a key */
        value = skip_blanks(value + 1, end);
        if (value == end || *value != '"') return;
        const char *start = value + 1;
        const char *close = memchr(start, '"', (size_t)(end - start));
        if (close == NULL || memchr(start, '\\', (size_t)(close - start)) != NULL) return;
        /* The strict reader copies it only when it is a well-formed JSON string (UTF-8, no
         * control characters): the report must be JSON the host accepts, whatever the client
         * sent. */
        sy_bytes quoted = { (const uint8_t *)value, (size_t)(close + 1 - value) };
        if (!sy_json_string_copy(quoted, self->model, sizeof self->model)) self->model[0] = '\0';
        return;
    }
}

/* [control] */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)config;
    enricher *self = calloc(1, sizeof *self);
    if (self == NULL) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) {
    free(instance);
}

/* 1 when `path` is exactly /v1/chat/completions, or that with a query. */
static int is_chat_completions(sy_bytes path) {
    static const char route[] = "/v1/chat/completions";
    size_t length = sizeof route - 1;
    if (path.len < length || memcmp(path.ptr, route, length) != 0) return 0;
    return path.len == length || path.ptr[length] == '?';
}

/* [any-thread] The request head: ours only for chat completions (query ignored). */
static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info,
                       const sy_exchange_head *request, sy_state *out_state, sy_error *error) {
    (void)call;
    (void)info;
    if (!is_chat_completions(request->path)) {
        return fail(error, SY_E_UNSUPPORTED, "not a chat completion");
    }
    observation *self = calloc(1, sizeof *self);
    if (self == NULL) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = ((const enricher *)instance)->hinst;
    *out_state = self;
    return SY_OK;
}

/* [any-thread] The response head: the request is complete, so its model can be read. */
static sy_status response(sy_state state, const sy_exchange_head *head, sy_error *error) {
    observation *self = state;
    (void)error;
    note_model(self);
    self->over = head->http_status < 200 || head->http_status > 299; /* an error has no usage */
    for (size_t i = 0; i < head->header_count; i++) {
        const sy_header *header = &head->headers[i];
        sy_bytes name = header->name;
        sy_bytes value = header->value;
        if (name.len == 12 && strncasecmp((const char *)name.ptr, "content-type", 12) == 0) {
            self->stream = memmem(value.ptr, value.len, "text/event-stream", 17) != NULL;
        }
    }
    return SY_OK;
}

/* [any-thread] Body bytes of either phase, split anywhere; `chunk` is borrowed. */
static sy_status data(sy_state state, uint32_t phase, sy_bytes chunk, sy_error *error) {
    observation *self = state;
    (void)error;
    if (phase == SY_PHASE_REQUEST) {
        size_t room = REQUEST_BYTES - self->request.length;
        if (chunk.len > room) chunk.len = room; /* only the head is kept */
        sy_sse_buffer_append(&self->request, chunk); /* out of memory: no model, that is all */
        return SY_OK;
    }
    if (self->over) return SY_OK;
    size_t unfinished = self->answer.length - self->answer.read; /* the lines read are dropped */
    if (unfinished + chunk.len > RESPONSE_BYTES || !sy_sse_buffer_append(&self->answer, chunk)) {
        self->over = 1;
        return SY_OK;
    }
    sy_bytes json;
    while (self->stream && sy_sse_buffer_next_data(&self->answer, &json)) {
        note_usage(self, json);
    }
    return SY_OK;
}

/* [any-thread] The call is over: report once on `out` (a handle valid until this returns). */
static sy_status end(sy_state state, sy_status outcome, sy_sink out, sy_error *error) {
    observation *self = state;
    (void)outcome;
    if (self->model[0] == '\0') note_model(self); /* no response arrived */
    if (!self->stream && !self->over) {
        sy_bytes answer = { (const uint8_t *)self->answer.bytes, self->answer.length };
        note_usage(self, answer);
    }
    /* Room for every piece: the model is under 128 bytes, the usage under 1024. */
    char report[1400];
    size_t room = sizeof report;
    int length = snprintf(report, room, "{\"operation\":\"chat.completions\"");
    if (self->model[0] != '\0') {
        length += snprintf(report + length, room - (size_t)length, ",\"model\":\"%s\"",
                           self->model);
    }
    if (self->usage[0] != '\0' && !self->over) {
        length += snprintf(report + length, room - (size_t)length, ",\"usage\":%s", self->usage);
    }
    length += snprintf(report + length, room - (size_t)length,
                       ",\"audit_path\":\"/v1/chat/completions\"}");
    sy_bytes bytes = { (const uint8_t *)report, (size_t)length };
    /* The host copies and checks the report (SY_OUT_META_JSON). */
    sy_status status = host->sink_write(self->hinst, out, SY_OUT_META_JSON, bytes);
    if (status != SY_OK) return fail(error, status, "the host refused the report");
    return SY_OK;
}

/* Exactly once after a begin that returned SY_OK. */
static void state_free(sy_state state) {
    observation *self = state;
    sy_sse_buffer_free(&self->request);
    sy_sse_buffer_free(&self->answer);
    free(self);
}

static const sy_enricher_v1 table = {
    sizeof(sy_enricher_v1), SY_PHASE_REQUEST | SY_PHASE_RESPONSE, begin, response, data, end,
    state_free,
};

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    if (strcmp(id, SY_IFACE_ENRICHER) == 0) return &table;
    return NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.example.enricher-usage", "1.0.0",
    "{\"kinds\":[\"enricher\"],\"interfaces\":[\"switchyard.enricher/1\"],\"toolchain\":\"c\","
    "\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false}}",
    0, 0, instance_new, instance_free, get_interface,
};

/* The only exported symbol: negotiate, hand over the static table. */
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
