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
 * It reads bytes, not a parsed tree: the model from the first 16 KiB of the request body, the
 * usage from the whole answer (JSON, up to 1 MiB) or from the stream's `data:` lines (each up to
 * 1 MiB; OpenAI sends usage in the last chunk when the client asks). Past a bound it reports
 * without usage. Plugins/enricher-openai is the real one (Swift: Responses, embeddings, errors).
 * Build: make (see the Makefile for the flags every plugin should use). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "switchyard_plugin.h"

#define REQUEST_BYTES (16u << 10) /* enough to find "model" in any request we know */
#define RESPONSE_BYTES (1u << 20) /* a whole answer, or one stream line */

/* The host table, valid for the life of the process (set once in sy_plugin_entry). */
static const sy_host_api *host;

/* One observed call. Calls for one state never overlap; different calls run on several loops. */
typedef struct observation {
    sy_hinst hinst;
    int stream;           /* the answer is text/event-stream */
    int over;             /* a bound was passed: report without usage */
    char model[128];
    char usage[1024];     /* the last "usage" object seen, copied */
    char *buffer;         /* the request's head (first REQUEST_BYTES), then the answer or the current line */
    size_t length;
    int answering;        /* the response head arrived: buffer holds response bytes now */
} observation;

/* Instances hold nothing but the host handle: the enricher has no config. */
typedef struct enricher { sy_hinst hinst; } enricher;

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

static int blank(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

/* Where the value of the first `"name":` member in json[0..length) starts, or NULL. */
static const char *member(const char *json, size_t length, const char *name) {
    char quoted[32];
    size_t n = (size_t)snprintf(quoted, sizeof quoted, "\"%s\"", name);
    const char *p = json, *end = json + length;
    while ((p = memmem(p, (size_t)(end - p), quoted, n)) != NULL) {
        const char *value = p + n;
        while (value < end && blank(*value)) value++;
        if (value < end && *value == ':') {
            for (value++; value < end && blank(*value);) value++;
            return value < end ? value : NULL;
        }
        p += n;
    }
    return NULL;
}

/* Keeps the "usage" object of one answer or chunk, when it has one (not null). */
static void note_usage(observation *self, const char *json, size_t length) {
    const char *value = member(json, length, "usage"), *end = json + length, *close;
    if (!value || *value != '{') return;
    int depth = 0;
    for (close = value; close < end && (depth += (*close == '{') - (*close == '}')) > 0;) close++;
    if (close < end && (size_t)(close + 1 - value) < sizeof self->usage) {
        memcpy(self->usage, value, (size_t)(close + 1 - value));
        self->usage[close + 1 - value] = '\0';
    }
}

/* The request's "model", a plain string (no escapes), once. */
static void note_model(observation *self) {
    const char *value = member(self->buffer, self->length, "model");
    if (!value || *value != '"') return;
    const char *close = memchr(value + 1, '"', (size_t)(self->buffer + self->length - value - 1));
    if (close && (size_t)(close - value - 1) < sizeof self->model && !memchr(value + 1, '\\', (size_t)(close - value - 1)))
        snprintf(self->model, sizeof self->model, "%.*s", (int)(close - value - 1), value + 1);
}

static int append(observation *self, sy_bytes chunk, size_t bound) {
    if (self->length + chunk.len > bound) return 0;
    char *grown = realloc(self->buffer, self->length + chunk.len + 1);
    if (!grown) return 0;
    memcpy(grown + self->length, chunk.ptr, chunk.len);
    self->buffer = grown;
    self->length += chunk.len;
    return 1;
}

/* [control] */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)config;
    enricher *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) { free(instance); }

/* [any-thread] The request head: ours only for chat completions (query ignored). */
static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info, const sy_exchange_head *request,
                       sy_state *out_state, sy_error *error) {
    (void)call; (void)info;
    static const char route[] = "/v1/chat/completions";
    size_t n = sizeof route - 1;
    if (request->path.len < n || memcmp(request->path.ptr, route, n) != 0 || (request->path.len > n && request->path.ptr[n] != '?'))
        return fail(error, SY_E_UNSUPPORTED, "not a chat completion");
    observation *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = ((const enricher *)instance)->hinst;
    *out_state = self;
    return SY_OK;
}

/* [any-thread] The response head: keep the model, switch the buffer over to the answer. */
static sy_status response(sy_state state, const sy_exchange_head *head, sy_error *error) {
    observation *self = state;
    (void)error;
    note_model(self);
    self->length = 0;
    self->answering = 1;
    self->over = head->http_status < 200 || head->http_status > 299; /* an error answer has no usage */
    for (size_t i = 0; i < head->header_count; i++) {
        const sy_header *h = &head->headers[i];
        if (h->name.len == 12 && strncasecmp((const char *)h->name.ptr, "content-type", 12) == 0)
            self->stream = memmem(h->value.ptr, h->value.len, "text/event-stream", 17) != NULL;
    }
    return SY_OK;
}

/* [any-thread] Body bytes of either phase, split anywhere. */
static sy_status data(sy_state state, uint32_t phase, sy_bytes chunk, sy_error *error) {
    observation *self = state;
    (void)error;
    if (phase == SY_PHASE_REQUEST) {
        if (!self->answering && self->length < REQUEST_BYTES) {
            sy_bytes head = { chunk.ptr, chunk.len < REQUEST_BYTES - self->length ? chunk.len : REQUEST_BYTES - self->length };
            append(self, head, REQUEST_BYTES);
        }
        return SY_OK;
    }
    if (self->over) return SY_OK;
    if (!append(self, chunk, RESPONSE_BYTES)) { self->over = 1; return SY_OK; }
    if (!self->stream) return SY_OK; /* a whole answer: read at the end */
    size_t start = 0;
    for (char *newline; (newline = memchr(self->buffer + start, '\n', self->length - start)) != NULL;
         start = (size_t)(newline - self->buffer) + 1) {
        const char *line = self->buffer + start;
        size_t length = (size_t)(newline - line);
        if (length >= 5 && memcmp(line, "data:", 5) == 0) note_usage(self, line + 5, length - 5);
    }
    memmove(self->buffer, self->buffer + start, self->length - start); /* keep the unfinished line */
    self->length -= start;
    return SY_OK;
}

/* [any-thread] The call is over: report once on `out` (a handle valid until this returns). */
static sy_status end(sy_state state, sy_status outcome, sy_sink out, sy_error *error) {
    observation *self = state;
    (void)outcome;
    if (!self->answering) note_model(self); /* no response arrived: the request is still buffered */
    else if (!self->stream && !self->over) note_usage(self, self->buffer, self->length);
    char report[1400];
    int n = snprintf(report, sizeof report, "{\"operation\":\"chat.completions\"");
    if (self->model[0]) n += snprintf(report + n, sizeof report - (size_t)n, ",\"model\":\"%s\"", self->model);
    if (self->usage[0] && !self->over) n += snprintf(report + n, sizeof report - (size_t)n, ",\"usage\":%s", self->usage);
    n += snprintf(report + n, sizeof report - (size_t)n, ",\"audit_path\":\"/v1/chat/completions\"}");
    sy_bytes bytes = { (const uint8_t *)report, (size_t)n };
    sy_status status = host->sink_write(self->hinst, out, SY_OUT_META_JSON, bytes); /* the host copies and checks */
    return status == SY_OK ? SY_OK : fail(error, status, "the host refused the report");
}

/* Exactly once after a begin that returned SY_OK. */
static void state_free(sy_state state) {
    observation *self = state;
    free(self->buffer);
    free(self);
}

static const sy_enricher_v1 table = {
    sizeof(sy_enricher_v1), SY_PHASE_REQUEST | SY_PHASE_RESPONSE, begin, response, data, end, state_free,
};

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_ENRICHER) == 0 ? &table : NULL;
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
