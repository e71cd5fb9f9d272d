/* slow_provider: a provider whose hooks take their time, for the slow-hook tests
 * (Tests/EndToEnd/test_slow_hooks.py). One source, several builds:
 *
 *   (default)                 `generate` answers in-process: sleeps `sleep_ms`, then writes
 *                             `chunks` words ("w0 w1 ..."), `chunk_sleep_ms` apart when streamed,
 *                             each followed by `pad` x's when set (to fill a slow client's buffers).
 *   -DUPSTREAM                `prepare` + response transformer against the OpenAI-style upstream
 *                             at `base_url` instead: `prepare` sleeps `sleep_ms`, every `data`
 *                             sleeps `chunk_sleep_ms`; the transformer passes the answer through.
 *   -DBLOCKING_GENERATE       the manifest declares "blocking_hooks": ["generate"]
 *   -DBLOCKING_UPSTREAM       ... ["prepare", "response"]
 *   -DBLOCKING_UNKNOWN        ... ["generate", "genrate"] (refused at load)
 *
 * Every hook logs through the host when a sink write fails (the status and how many chunks were
 * written) and when `generate` returns, so the tests can see what the plugin saw. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "switchyard_plugin.h"

#if defined(BLOCKING_GENERATE)
#define BLOCKING ",\"blocking_hooks\":[\"generate\"]"
#elif defined(BLOCKING_UPSTREAM)
#define BLOCKING ",\"blocking_hooks\":[\"prepare\",\"response\"]"
#elif defined(BLOCKING_UNKNOWN)
#define BLOCKING ",\"blocking_hooks\":[\"generate\",\"genrate\"]"
#else
#define BLOCKING ""
#endif

static const sy_host_api *host;

typedef struct slow {
    sy_hinst hinst;
    long sleep_ms, chunks, chunk_sleep_ms, pad;
    char base_url[256];
} slow;

static void pause_ms(long ms) {
    if (ms <= 0) return;
    struct timespec t = { ms / 1000, (ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0) {}
}

static void say(const slow *self, const char *text) {
    sy_bytes message = { (const uint8_t *)text, strlen(text) };
    host->log(self->hinst, NULL, SY_LOG_WARN, message);
}

static long number(sy_bytes config, const char *key, long fallback) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *at = memmem(config.ptr, config.len, quoted, strlen(quoted));
    if (!at) return fallback;
    at += strlen(quoted);
    while (*at == ' ' || *at == ':') at++;
    return strtol(at, NULL, 10);
}

static void string(sy_bytes config, const char *key, char *out, size_t capacity) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    const char *at = memmem(config.ptr, config.len, quoted, strlen(quoted));
    out[0] = 0;
    if (!at) return;
    at = strchr(at + strlen(quoted), '"');
    if (!at) return;
    const char *end = strchr(++at, '"');
    if (!end || (size_t)(end - at) >= capacity) return;
    memcpy(out, at, (size_t)(end - at));
    out[end - at] = 0;
}

/* The config is a JSON object, or empty (the host checks it against the schema; plugins `plugins
 * validate` exercises must refuse anything else themselves, with SY_E_CONFIG and a message). */
static int config_is_object(sy_bytes config, sy_error *error) {
    size_t at = 0;
    while (at < config.len && (config.ptr[at] == ' ' || config.ptr[at] == '\t' || config.ptr[at] == '\n' || config.ptr[at] == '\r')) at++;
    if (config.len == 0 || (at < config.len && config.ptr[at] == '{')) return 1;
    error->code = SY_E_CONFIG;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "config must be a JSON object");
    return 0;
}

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    if (!config_is_object(config, error)) return SY_E_CONFIG;
    slow *self = calloc(1, sizeof *self);
    self->hinst = hinst;
    self->sleep_ms = number(config, "sleep_ms", 0);
    self->chunks = number(config, "chunks", 3);
    self->chunk_sleep_ms = number(config, "chunk_sleep_ms", 0);
    self->pad = number(config, "pad", 0);
    if (self->pad < 0 || self->pad > 1 << 20) self->pad = 0;
    string(config, "base_url", self->base_url, sizeof self->base_url);
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) { free(instance); }

static sy_status emit(const slow *self, sy_sink out, uint32_t kind, const char *json, size_t length) {
    sy_bytes data = { (const uint8_t *)json, length };
    return host->sink_write(self->hinst, out, kind, data);
}

static sy_status stopped(const slow *self, sy_status status, long written) {
    char line[128];
    snprintf(line, sizeof line, "write returned %d after %ld chunks", status, written);
    say(self, line);
    return status;
}

#ifndef UPSTREAM
static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes request, sy_sink out, sy_error *error) {
    (void)call; (void)request; (void)error;
    const slow *self = instance;
    char json[512];
    int n;
    sy_status status = SY_OK;
    pause_ms(self->sleep_ms);
    if (info->stream) {
        char *padding = calloc(1, (size_t)self->pad + 1);
        memset(padding, 'x', (size_t)self->pad);
        char *chunk = malloc((size_t)self->pad + 256);
        for (long i = 0; i < self->chunks; i++) {
            if (i > 0) pause_ms(self->chunk_sleep_ms);
            n = snprintf(chunk, (size_t)self->pad + 256, "{\"object\":\"chat.completion.chunk\",\"model\":\"slow-1\",\"choices\":"
                "[{\"index\":0,\"delta\":{\"content\":\"%sw%ld%s\"},\"finish_reason\":null}]}", i ? " " : "", i, padding);
            if ((status = emit(self, out, SY_OUT_JSON, chunk, (size_t)n)) != SY_OK) {
                free(chunk);
                free(padding);
                return stopped(self, status, i);
            }
        }
        free(chunk);
        free(padding);
        n = snprintf(json, sizeof json, "{\"object\":\"chat.completion.chunk\",\"model\":\"slow-1\",\"choices\":"
            "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        if ((status = emit(self, out, SY_OUT_JSON, json, (size_t)n)) != SY_OK) return stopped(self, status, self->chunks);
    } else {
        char text[256] = "";
        for (long i = 0; i < self->chunks && strlen(text) < 200; i++) {
            char word[32];
            snprintf(word, sizeof word, "%sw%ld", i ? " " : "", i);
            strcat(text, word);
        }
        n = snprintf(json, sizeof json, "{\"object\":\"chat.completion\",\"model\":\"slow-1\",\"choices\":[{\"index\":0,"
            "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}", text);
        if ((status = emit(self, out, SY_OUT_JSON, json, (size_t)n)) != SY_OK) return stopped(self, status, 0);
    }
    say(self, "generate returned");
    return SY_OK;
}

static const sy_provider_v1 provider = { sizeof(sy_provider_v1), NULL, NULL, generate, NULL, NULL };

#else
static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static sy_status prepare(sy_instance instance, sy_call call, const sy_call_info *info,
                         sy_bytes canonical, sy_http_out out, sy_error *error) {
    (void)call; (void)info; (void)error;
    const slow *self = instance;
    char url[300];
    pause_ms(self->sleep_ms);
    snprintf(url, sizeof url, "%s/chat/completions", self->base_url);
    host->http_out_set_url(self->hinst, out, text(url));
    host->http_out_add_header(self->hinst, out, text("Content-Type"), text("application/json"));
    host->http_out_append_body(self->hinst, out, canonical);
    return SY_OK;
}

/* The answer buffered (non-stream) or split into SSE events (stream). */
typedef struct pass {
    const slow *self;
    int stream;
    long written;
    size_t length, capacity;
    char *buffer;
} pass;

static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t status,
                       const sy_header *headers, size_t count, sy_state *out_state, sy_error *error) {
    (void)call; (void)headers; (void)count;
    pass *state = calloc(1, sizeof *state);
    state->self = instance;
    state->stream = info->stream && status == 200;
    *out_state = state;
    if (status != 200) {
        error->http_status = status;
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "upstream answered %u", status);
        return SY_E_UPSTREAM;
    }
    return SY_OK;
}

/* Writes each complete "data: {...}" line of the buffer; keeps the rest. */
static sy_status flush_events(pass *state, sy_sink out) {
    size_t start = 0;
    for (size_t i = 0; i < state->length; i++) {
        if (state->buffer[i] != '\n') continue;
        const char *line = state->buffer + start;
        size_t length = i - start;
        start = i + 1;
        if (length > 6 && memcmp(line, "data: ", 6) == 0 && line[6] == '{') {
            sy_status status = emit(state->self, out, SY_OUT_JSON, line + 6, length - 6);
            if (status != SY_OK) return stopped(state->self, status, state->written);
            state->written++;
        }
    }
    memmove(state->buffer, state->buffer + start, state->length - start);
    state->length -= start;
    return SY_OK;
}

static sy_status data(sy_state raw, sy_bytes chunk, sy_sink out, sy_error *error) {
    (void)error;
    pass *state = raw;
    pause_ms(state->self->chunk_sleep_ms);
    if (state->length + chunk.len > state->capacity) {
        state->capacity = (state->length + chunk.len) * 2;
        state->buffer = realloc(state->buffer, state->capacity);
    }
    memcpy(state->buffer + state->length, chunk.ptr, chunk.len);
    state->length += chunk.len;
    return state->stream ? flush_events(state, out) : SY_OK;
}

static sy_status end(sy_state raw, sy_sink out, sy_error *error) {
    (void)error;
    pass *state = raw;
    if (state->stream) return flush_events(state, out);
    return emit(state->self, out, SY_OUT_JSON, state->buffer, state->length);
}

static void state_free(sy_state raw) {
    pass *state = raw;
    free(state->buffer);
    free(state);
}

static const sy_transformer_v1 transformer = { sizeof(sy_transformer_v1), begin, data, end, state_free };
static const sy_provider_v1 provider = { sizeof(sy_provider_v1), prepare, &transformer, NULL, NULL, NULL };
#endif

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.slow-provider", "0.1.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]" BLOCKING "}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &plugin;
    return SY_OK;
}
