/* misbehaving_provider: a working provider that misbehaves on demand, for the process-isolation
 * tests (Tests/EndToEnd/test_isolation.py) and bench/isolation.py.
 *
 * Config (JSON, every key optional):
 *   "fault"     "segfault" | "abort" | "hang" | "leak" | "none" (default)
 *   "hook"      where the fault happens: "instance_new", "prepare", "generate", "data", "end"
 *               (default "generate")
 *   "base_url"  set: prepare + response transformer against this OpenAI-style upstream;
 *               absent: `generate` answers in-process with `text` (streamed as words)
 *   "text"      the in-process answer (default "all good"); "chunks": repeat it that many times
 *   "leak_mb"   megabytes leaked (and touched) per faulting call (default 64)
 *   "after"     "data" faults only once this many data calls of the response have passed
 *               (default 0: at the first), so a stream can break after chunks reached the client
 *   "sleep_ms"  `generate` first waits this long, 10 ms at a time, and gives up (logging "generate
 *               saw the client leave") as soon as host->call_cancelled says the client has gone
 *   "linger_ms" before faulting, fork a child that keeps every inherited descriptor (the runner's
 *               socket included) open this long: the runner's end must still be seen at once
 *   "flood"     1: before faulting, start threads that log and print lines without end
 *   "paced"     1: ask the mock upstream (docs/mock-upstream.md) for 40 chunks 5 ms apart, so
 *               the transformer sees them in separate data calls
 *
 * A fault at instance_new happens at once; in a request hook only when the request's JSON
 * contains the word "MISBEHAVE", so the same instance answers ordinary requests normally (the
 * tests see a restarted runner answer again). A leak that cannot get its memory aborts. */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

enum fault { FAULT_NONE, FAULT_SEGFAULT, FAULT_ABORT, FAULT_HANG, FAULT_LEAK };

typedef struct misbehaving {
    sy_hinst hinst;
    enum fault fault;
    char hook[32];
    char base_url[256];
    char text[256];
    long chunks, leak_mb, after, paced, sleep_ms, linger_ms, flood;
} misbehaving;

static void string(sy_bytes config, const char *key, char *out, size_t capacity, const char *fallback) {
    char quoted[64];
    snprintf(quoted, sizeof quoted, "\"%s\"", key);
    snprintf(out, capacity, "%s", fallback);
    const char *at = memmem(config.ptr, config.len, quoted, strlen(quoted));
    if (!at) return;
    at = memchr(at + strlen(quoted), '"', config.len - (size_t)(at + strlen(quoted) - (const char *)config.ptr));
    if (!at) return;
    const char *end = memchr(at + 1, '"', config.len - (size_t)(at + 1 - (const char *)config.ptr));
    if (!end || (size_t)(end - at - 1) >= capacity) return;
    memcpy(out, at + 1, (size_t)(end - at - 1));
    out[end - at - 1] = 0;
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

static void *flood_log(void *self) {
    for (;;) host->log(((const misbehaving *)self)->hinst, 0, SY_LOG_WARN, (sy_bytes){ (const uint8_t *)"flooding the log", 16 });
    return NULL;
}

static void *flood_output(void *unused) {
    (void)unused;
    static const char line[] = "flooding stdout\n";
    for (;;) if (write(1, line, sizeof line - 1) < 0) return NULL;
}

static void misbehave(const misbehaving *self) {
    if (self->flood) {
        pthread_t thread;
        pthread_create(&thread, NULL, flood_log, (void *)self);
        pthread_create(&thread, NULL, flood_output, NULL);
    }
    if (self->linger_ms > 0 && fork() == 0) {
        /* No exec: fork copies descriptors whatever their close-on-exec flag. */
        struct timespec pause_for = { self->linger_ms / 1000, (self->linger_ms % 1000) * 1000000L };
        nanosleep(&pause_for, NULL);
        _exit(0);
    }
    switch (self->fault) {
    case FAULT_SEGFAULT: { volatile int *nowhere = NULL; *nowhere = 42; break; }
    case FAULT_ABORT: abort();
    case FAULT_HANG: for (;;) pause();
    case FAULT_LEAK: {
        size_t size = (size_t)self->leak_mb << 20;
        char *block = malloc(size);
        if (!block) abort();
        memset(block, 0x5a, size); /* touched: resident, not just reserved */
        break;
    }
    default: break;
    }
}

/* The fault of `hook`, when the request asks for it. */
static void maybe_misbehave(const misbehaving *self, const char *hook, sy_bytes request) {
    if (strcmp(self->hook, hook) != 0) return;
    if (request.len && memmem(request.ptr, request.len, "MISBEHAVE", 9)) misbehave(self);
}

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    misbehaving *self = calloc(1, sizeof *self);
    char fault[32];
    self->hinst = hinst;
    string(config, "fault", fault, sizeof fault, "none");
    string(config, "hook", self->hook, sizeof self->hook, "generate");
    string(config, "base_url", self->base_url, sizeof self->base_url, "");
    string(config, "text", self->text, sizeof self->text, "all good");
    self->chunks = number(config, "chunks", 1);
    self->leak_mb = number(config, "leak_mb", 64);
    self->after = number(config, "after", 0);
    self->paced = number(config, "paced", 0);
    self->sleep_ms = number(config, "sleep_ms", 0);
    self->linger_ms = number(config, "linger_ms", 0);
    self->flood = number(config, "flood", 0);
    if (strcmp(fault, "segfault") == 0) self->fault = FAULT_SEGFAULT;
    else if (strcmp(fault, "abort") == 0) self->fault = FAULT_ABORT;
    else if (strcmp(fault, "hang") == 0) self->fault = FAULT_HANG;
    else if (strcmp(fault, "leak") == 0) self->fault = FAULT_LEAK;
    else if (strcmp(fault, "none") != 0) {
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "unknown fault \"%s\"", fault);
        free(self);
        return SY_E_CONFIG;
    }
    if (strcmp(self->hook, "instance_new") == 0) misbehave(self);
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) { free(instance); }

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static sy_status emit(const misbehaving *self, sy_sink out, const char *json, size_t length) {
    sy_bytes data = { (const uint8_t *)json, length };
    return host->sink_write(self->hinst, out, SY_OUT_JSON, data);
}

/* ---- in-process answers */

static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes request, sy_sink out, sy_error *error) {
    (void)error;
    const misbehaving *self = instance;
    char json[1024];
    int n;
    sy_status status;
    maybe_misbehave(self, "generate", request);
    for (long waited = 0; waited < self->sleep_ms; waited += 10) {
        if (host->call_cancelled(call)) {
            sy_bytes line = text("generate saw the client leave");
            host->log(self->hinst, call, SY_LOG_WARN, line);
            return SY_E_CANCELLED;
        }
        struct timespec pause_for = { 0, 10 * 1000000L };
        nanosleep(&pause_for, NULL);
    }
    if (info->stream) {
        for (long i = 0; i < self->chunks; i++) {
            n = snprintf(json, sizeof json, "{\"object\":\"chat.completion.chunk\",\"model\":\"misbehaving-1\",\"choices\":"
                "[{\"index\":0,\"delta\":{\"content\":\"%s%s\"},\"finish_reason\":null}]}", i ? " " : "", self->text);
            if ((status = emit(self, out, json, (size_t)n)) != SY_OK) return status;
        }
        n = snprintf(json, sizeof json, "{\"object\":\"chat.completion.chunk\",\"model\":\"misbehaving-1\",\"choices\":"
            "[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}");
        return emit(self, out, json, (size_t)n);
    }
    n = snprintf(json, sizeof json, "{\"object\":\"chat.completion\",\"model\":\"misbehaving-1\",\"choices\":[{\"index\":0,"
        "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}],"
        "\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2,\"total_tokens\":3}}", self->text);
    return emit(self, out, json, (size_t)n);
}

static const sy_provider_v1 local_provider = { sizeof(sy_provider_v1), NULL, NULL, generate, NULL, NULL };

/* ---- prepare + transformer against the upstream (passes OpenAI's answer through) */

static sy_status prepare(sy_instance instance, sy_call call, const sy_call_info *info,
                         sy_bytes canonical, sy_http_out out, sy_error *error) {
    (void)call; (void)info; (void)error;
    const misbehaving *self = instance;
    char url[300];
    maybe_misbehave(self, "prepare", canonical);
    snprintf(url, sizeof url, "%s/chat/completions", self->base_url);
    host->http_out_set_url(self->hinst, out, text(url));
    host->http_out_add_header(self->hinst, out, text("Content-Type"), text("application/json"));
    if (self->paced) {
        host->http_out_add_header(self->hinst, out, text("x-mock-chunks"), text("40"));
        host->http_out_add_header(self->hinst, out, text("x-mock-chunk-delay-ms"), text("5"));
    }
    host->http_out_append_body(self->hinst, out, canonical);
    return SY_OK;
}

typedef struct pass {
    const misbehaving *self;
    int stream, misbehave;
    long calls;
    size_t length, capacity;
    char *buffer;
} pass;

static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t status,
                       const sy_header *headers, size_t count, sy_state *out_state, sy_error *error) {
    (void)call; (void)headers; (void)count;
    pass *state = calloc(1, sizeof *state);
    state->self = instance;
    state->stream = info->stream && status == 200;
    state->misbehave = info->request.len && memmem(info->request.ptr, info->request.len, "MISBEHAVE", 9) != NULL;
    *out_state = state;
    if (status != 200) {
        error->http_status = status;
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "upstream answered %u", status);
        return SY_E_UPSTREAM;
    }
    return SY_OK;
}

static sy_status flush_events(pass *state, sy_sink out) {
    size_t start = 0;
    for (size_t i = 0; i < state->length; i++) {
        if (state->buffer[i] != '\n') continue;
        const char *line = state->buffer + start;
        size_t length = i - start;
        start = i + 1;
        if (length > 6 && memcmp(line, "data: ", 6) == 0 && line[6] == '{') {
            sy_status status = emit(state->self, out, line + 6, length - 6);
            if (status != SY_OK) return status;
        }
    }
    memmove(state->buffer, state->buffer + start, state->length - start);
    state->length -= start;
    return SY_OK;
}

static sy_status data(sy_state raw, sy_bytes chunk, sy_sink out, sy_error *error) {
    (void)error;
    pass *state = raw;
    if (state->misbehave && strcmp(state->self->hook, "data") == 0 && state->calls++ >= state->self->after) misbehave(state->self);
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
    if (state->misbehave && strcmp(state->self->hook, "end") == 0) misbehave(state->self);
    if (state->stream) return flush_events(state, out);
    return emit(state->self, out, state->buffer, state->length);
}

static void state_free(sy_state raw) {
    pass *state = raw;
    free(state->buffer);
    free(state);
}

static const sy_transformer_v1 transformer = { sizeof(sy_transformer_v1), begin, data, end, state_free };
static const sy_provider_v1 upstream_provider = { sizeof(sy_provider_v1), prepare, &transformer, NULL, NULL, NULL };

static const void *get_interface(sy_instance instance, const char *id) {
    const misbehaving *self = instance;
    if (strcmp(id, SY_IFACE_PROVIDER) != 0) return NULL;
    return self && self->base_url[0] ? (const void *)&upstream_provider : (const void *)&local_provider;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.misbehaving-provider", "0.1.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &plugin;
    return SY_OK;
}
