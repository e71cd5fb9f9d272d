/* test_guardrail: a guardrail whose behaviour the config chooses, for the guardrail chain's
 * end-to-end tests (Tests/EndToEnd/test_guardrail_chain.py). Config keys (all optional):
 *
 *   "tag": "a"          request phase: appends " [a]" to the last "content" string of the
 *                       request (a whole-document replace), so the echo provider's answer shows
 *                       which guardrails ran, in which order; response phase: the same on the
 *                       answer's content
 *   "reject": "why"     rejects with status 403 (or "status") and that message
 *   "fail": true        returns SY_E_INTERNAL ("deliberate failure")
 *   "pause_ms": N       returns SY_PAUSE and decides N ms later on a thread of its own
 *   "block_ms": N       blocks inside inspect for N ms (what a guardrail must not do)
 *   "resume_status": S  the status that thread resumes with (default SY_OK)
 *   "phases": B         SY_PHASE_* bits it declares (default request | response)
 *   "redact": "word"    chunk phase: the word becomes "***" in the text, and a text that ends
 *                       with the start of the word holds that start back (verdict_hold)
 *   "stop": "word"      chunk phase: a text containing the word ends the stream (reject)
 *
 * Every inspect and call_end logs a line ("inspect PHASE", "call_end") through the host, which
 * names the request, so the tests can count them. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct guard {
    sy_hinst hinst;
    char tag[32], reject[128], redact[32], stop[32];
    long status, pause_ms, resume_status, block_ms;
    int fail;
    sy_guardrail_v1 table; /* per instance: its phases come from the config */
} guard;

/* The value after "key": in a flat config object: a string into `out`, or a number. */
static int config_string(const char *config, const char *key, char *out, size_t capacity) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":\"", key);
    const char *start = strstr(config, pattern);
    if (!start) return 0;
    start += strlen(pattern);
    size_t n = 0;
    while (start[n] && start[n] != '"' && n + 1 < capacity) { out[n] = start[n]; n++; }
    out[n] = 0;
    return 1;
}

static long config_number(const char *config, const char *key, long fallback) {
    char pattern[64];
    snprintf(pattern, sizeof pattern, "\"%s\":", key);
    const char *start = strstr(config, pattern);
    if (!start) return fallback;
    start += strlen(pattern);
    if (strncmp(start, "true", 4) == 0) return 1;
    return strtol(start, NULL, 10);
}

static void say(sy_hinst h, sy_call call, const char *text) {
    sy_bytes message = { (const uint8_t *)text, strlen(text) };
    host->log(h, call, SY_LOG_INFO, message);
}

/* The document with " [tag]" inserted before the closing quote of its last "content" string. */
static uint8_t *tagged(const uint8_t *json, size_t len, const char *tag, size_t *out_len) {
    const char *marker = "\"content\":\"";
    size_t m = strlen(marker);
    size_t at = 0;
    for (size_t i = 0; i + m <= len; i++) if (memcmp(json + i, marker, m) == 0) at = i + m;
    if (at == 0) return NULL;
    size_t end = at;
    while (end < len && json[end] != '"') end += json[end] == '\\' ? 2 : 1;
    char insert[48];
    int extra = snprintf(insert, sizeof insert, " [%s]", tag);
    uint8_t *out = malloc(len + (size_t)extra);
    memcpy(out, json, end);
    memcpy(out + end, insert, (size_t)extra);
    memcpy(out + end + extra, json + end, len - end);
    *out_len = len + (size_t)extra;
    return out;
}

/* The span of the last "content" string value (escapes left as they are). */
static int content_span(const uint8_t *json, size_t len, size_t *start, size_t *end) {
    const char *marker = "\"content\":\"";
    size_t m = strlen(marker);
    *start = 0;
    for (size_t i = 0; i + m <= len; i++) if (memcmp(json + i, marker, m) == 0) *start = i + m;
    if (*start == 0) return 0;
    *end = *start;
    while (*end < len && json[*end] != '"') *end += json[*end] == '\\' ? 2 : 1;
    return 1;
}

/* Chunk phase: redact and hold, or stop. */
static void decide_chunk(const guard *self, sy_verdict verdict, const uint8_t *json, size_t len) {
    size_t start, end;
    if (!content_span(json, len, &start, &end)) return;
    const char *word = self->stop[0] ? self->stop : self->redact;
    size_t w = strlen(word);
    if (self->stop[0]) {
        if (memmem(json + start, end - start, word, w)) {
            const char *body = "{\"error\":{\"message\":\"the answer went where it must not\",\"type\":\"invalid_request_error\"}}";
            host->verdict_reject(self->hinst, verdict, 0, (sy_bytes){ (const uint8_t *)body, strlen(body) });
        }
        return;
    }
    uint8_t *out = malloc(len + 1);
    size_t n = 0, i = start;
    memcpy(out, json, start);
    n = start;
    int changed = 0;
    while (i < end) {
        if (i + w <= end && memcmp(json + i, word, w) == 0) {
            memcpy(out + n, "***", 3);
            n += 3;
            i += w;
            changed = 1;
        } else {
            out[n++] = json[i++];
        }
    }
    size_t text_end = n;
    memcpy(out + n, json + end, len - end);
    n += len - end;
    /* The longest tail of the text that is a proper start of the word is held back. */
    size_t hold = 0;
    for (size_t k = w - 1; k > 0; k--) {
        if (k <= text_end - start && memcmp(out + text_end - k, word, k) == 0) { hold = k; break; }
    }
    if (changed) host->verdict_patch(self->hinst, verdict, SY_PATCH_REPLACE, (sy_bytes){ out, n });
    if (hold > 0) {
        sy_status held = host->verdict_hold(self->hinst, verdict, hold);
        char line[64];
        snprintf(line, sizeof line, "hold %zu -> %d", hold, held);
        say(self->hinst, 0, line);
    }
    free(out);
}

/* Writes the configured verdict. */
static void decide(const guard *self, uint32_t phase, sy_verdict verdict, const uint8_t *json, size_t len) {
    if (phase == SY_PHASE_CHUNK && (self->redact[0] || self->stop[0])) {
        decide_chunk(self, verdict, json, len);
        return;
    }
    if (self->reject[0]) {
        char body[256];
        int n = snprintf(body, sizeof body, "{\"error\":{\"message\":\"%s\",\"type\":\"invalid_request_error\",\"code\":\"test_rejected\"}}", self->reject);
        host->verdict_reject(self->hinst, verdict, (uint32_t)self->status, (sy_bytes){ (const uint8_t *)body, (size_t)n });
        return;
    }
    if (self->tag[0]) {
        size_t out_len = 0;
        uint8_t *out = tagged(json, len, self->tag, &out_len);
        if (out) {
            host->verdict_patch(self->hinst, verdict, SY_PATCH_REPLACE, (sy_bytes){ out, out_len });
            free(out);
        }
    }
}

typedef struct later {
    guard *self;
    uint32_t phase;
    sy_verdict verdict;
    uint8_t *json;
    size_t len;
} later;

static void *decide_later(void *argument) {
    later *work = argument;
    struct timespec t = { work->self->pause_ms / 1000, (work->self->pause_ms % 1000) * 1000000L };
    while (nanosleep(&t, &t) != 0) {}
    decide(work->self, work->phase, work->verdict, work->json, work->len);
    host->resume(work->self->hinst, work->verdict, (sy_status)work->self->resume_status);
    free(work->json);
    free(work);
    return NULL;
}

static sy_status inspect(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t phase,
                         sy_bytes json, sy_verdict verdict, sy_error *error) {
    (void)info;
    guard *self = instance;
    char line[64];
    snprintf(line, sizeof line, "inspect %u", phase);
    say(self->hinst, call, line);
    if (self->block_ms > 0) {
        struct timespec t = { self->block_ms / 1000, (self->block_ms % 1000) * 1000000L };
        while (nanosleep(&t, &t) != 0) {}
    }
    if (self->fail) {
        error->code = SY_E_INTERNAL;
        snprintf(error->message, sizeof error->message, "deliberate failure");
        return SY_E_INTERNAL;
    }
    if (self->pause_ms > 0) {
        later *work = malloc(sizeof *work);
        work->self = self;
        work->verdict = verdict;
        work->phase = phase;
        work->json = malloc(json.len ? json.len : 1);
        memcpy(work->json, json.ptr, json.len);
        work->len = json.len;
        pthread_t thread;
        pthread_create(&thread, NULL, decide_later, work);
        pthread_detach(thread);
        return SY_PAUSE;
    }
    decide(self, phase, verdict, json.ptr, json.len);
    return SY_OK;
}

static void call_end(sy_instance instance, sy_call call) {
    guard *self = instance;
    say(self->hinst, call, "call_end");
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

static sy_status instance_new(sy_hinst h, sy_bytes config, sy_instance *out, sy_error *error) {
    if (!config_is_object(config, error)) return SY_E_CONFIG;
    char text[1024] = { 0 };
    memcpy(text, config.ptr, config.len < sizeof text - 1 ? config.len : sizeof text - 1);
    guard *self = calloc(1, sizeof *self);
    self->hinst = h;
    config_string(text, "tag", self->tag, sizeof self->tag);
    config_string(text, "reject", self->reject, sizeof self->reject);
    config_string(text, "redact", self->redact, sizeof self->redact);
    config_string(text, "stop", self->stop, sizeof self->stop);
    self->status = config_number(text, "status", 403);
    self->fail = (int)config_number(text, "fail", 0);
    self->pause_ms = config_number(text, "pause_ms", 0);
    self->block_ms = config_number(text, "block_ms", 0);
    self->resume_status = config_number(text, "resume_status", SY_OK);
    self->table = (sy_guardrail_v1){
        sizeof(sy_guardrail_v1), (uint32_t)config_number(text, "phases", SY_PHASE_REQUEST | SY_PHASE_RESPONSE), inspect, call_end,
    };
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) { free(instance); }

static const void *get_interface(sy_instance instance, const char *id) {
    if (strcmp(id, SY_IFACE_GUARDRAIL) != 0) return NULL;
    return &((guard *)instance)->table;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.guardrail", "1.0.0",
    "{\"kinds\":[\"guardrail\"],\"interfaces\":[\"switchyard.guardrail/1\"]}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) {
        negotiate->abi_major = SY_ABI_MAJOR;
        return SY_E_ABI;
    }
    host = negotiate->host;
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    negotiate->plugin = &api;
    return SY_OK;
}
