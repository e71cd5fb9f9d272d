/* test_enricher: an enricher whose behaviour the config chooses, for the host's enricher tests
 * (Tests/SwitchyardPluginsTests/EnricherPluginTests.swift, the end-to-end enricher tests).
 * Config keys (all optional):
 *
 *   "fail": "begin"|"response"|"data"|"end"   that hook returns SY_E_INTERNAL
 *                                            ("deliberate failure in HOOK")
 *   "decline": true      begin returns SY_E_UNSUPPORTED (this call is not for it)
 *   "slow_ms": N         the first data call of each call sleeps N ms (what a hook must not do)
 *   "bad_report": true   end writes a report with a negative token count
 *   "report": "{...}"    end writes this text as its report (a JSON string holding it, or the
 *                        object itself), verbatim; default: a small valid report (below)
 *   "report_kind": K     end writes its report with SY_OUT_* kind K (default SY_OUT_META_JSON);
 *                        0: end writes nothing
 *   "report_twice": true end writes its report twice
 *   "late_write": true   end keeps its sink: a thread of its own writes with it while end waits
 *                        for that thread, and the next call's first data() writes with it again;
 *                        both statuses (SY_E_HANDLE expected) go into later reports
 *   "phases": B          SY_PHASE_* bits it declares (default request | response)
 *
 * One call may choose for itself in its request path's query: "fail=HOOK", "decline=1",
 * "slow_ms=N", "bad_report=1", "report_kind=K", "report_twice=1", "late_write=1" apply to that
 * call only (so one instance can fail a call and report on the next).
 *
 * The default report: {"operation":"test","model":"test-model","usage":{"prompt_tokens":1,
 * "completion_tokens":2},"audit_path":"/v1/chat/completions","attributes":{...}} where the
 * attributes are this call's (method, path, status, data calls and bytes per phase, outcome)
 * and this instance's so far: hooks entered ("begins", "responses", "datas", "ends", "frees"),
 * so a test sees that state_free ran once per begun call, and the late writes' statuses
 * ("late_write_thread", "late_write_data"; 1 = not tried yet).
 *
 * begin, end and state_free also log a line through the host ("begin PATH", "end OUTCOME",
 * "state_free"), naming the request. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct enricher {
    sy_hinst hinst;
    char fail[16];
    int decline, bad_report, report_twice, late_write;
    long slow_ms, report_kind;
    char *report; /* NULL: the default */
    atomic_long begins, responses, datas, ends, frees;
    _Atomic sy_sink kept_sink;                           /* late_write: end's sink, kept */
    atomic_int late_write_thread, late_write_data;      /* 1 = not tried yet */
    sy_enricher_v1 table; /* per instance: its phases come from the config */
} enricher;

/* What one call does: the instance's config, overridden by the call's query. */
typedef struct behaviour {
    char fail[16];
    int decline, bad_report, report_twice, late_write;
    long slow_ms, report_kind;
} behaviour;

typedef struct observation {
    enricher *self;
    sy_call call;
    behaviour does;
    char method[16], path[256];
    uint32_t status;
    size_t request_headers;
    long data_calls, request_bytes, response_bytes;
    int slept;
} observation;

/* The value after "key": in a flat config object: a string into `out` (no escapes), or a number. */
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
    if (strncmp(start, "false", 5) == 0) return 0;
    return strtol(start, NULL, 10);
}

/* "report": a JSON string (unescaped here: \" \\ \/ \n) or an object (copied as written, up to
 * its matching brace). NULL when absent. */
static char *config_report(const char *config) {
    const char *start = strstr(config, "\"report\":");
    if (!start) return NULL;
    start += strlen("\"report\":");
    size_t len = strlen(start);
    char *out = calloc(1, len + 1);
    size_t n = 0;
    if (*start == '"') {
        for (const char *p = start + 1; *p && *p != '"'; p++) {
            if (*p == '\\' && p[1]) {
                p++;
                out[n++] = *p == 'n' ? '\n' : *p;
            } else {
                out[n++] = *p;
            }
        }
    } else {
        int depth = 0, in_string = 0;
        for (const char *p = start; *p; p++) {
            out[n++] = *p;
            if (in_string) {
                if (*p == '\\' && p[1]) out[n++] = *++p;
                else if (*p == '"') in_string = 0;
            } else if (*p == '"') {
                in_string = 1;
            } else if (*p == '{') {
                depth++;
            } else if (*p == '}' && --depth == 0) {
                break;
            }
        }
    }
    out[n] = 0;
    return out;
}

static void say(sy_hinst h, sy_call call, const char *text) {
    sy_bytes message = { (const uint8_t *)text, strlen(text) };
    host->log(h, call, SY_LOG_INFO, message);
}

static sy_status failing(sy_error *error, const char *hook) {
    error->code = SY_E_INTERNAL;
    snprintf(error->message, sizeof error->message, "deliberate failure in %s", hook);
    return SY_E_INTERNAL;
}

static void copy_bytes(char *out, size_t capacity, sy_bytes in) {
    size_t n = in.len < capacity - 1 ? in.len : capacity - 1;
    if (n) memcpy(out, in.ptr, n);
    out[n] = 0;
}

/* The value of "key=" in the query of `path` (NUL-terminated), as a number or a word. */
static int query_value(const char *path, const char *key, char *out, size_t capacity) {
    const char *query = strchr(path, '?');
    if (!query) return 0;
    size_t k = strlen(key);
    for (const char *p = query + 1; *p; p = strchr(p, '&') ? strchr(p, '&') + 1 : p + strlen(p)) {
        if (strncmp(p, key, k) == 0 && p[k] == '=') {
            size_t n = 0;
            for (const char *v = p + k + 1; *v && *v != '&' && n + 1 < capacity; v++) out[n++] = *v;
            out[n] = 0;
            return 1;
        }
    }
    return 0;
}

static behaviour call_behaviour(const enricher *self, const char *path) {
    behaviour does = { .decline = self->decline, .bad_report = self->bad_report, .report_twice = self->report_twice,
                       .late_write = self->late_write, .slow_ms = self->slow_ms, .report_kind = self->report_kind };
    memcpy(does.fail, self->fail, sizeof does.fail);
    char value[32];
    query_value(path, "fail", does.fail, sizeof does.fail);
    if (query_value(path, "decline", value, sizeof value)) does.decline = atoi(value);
    if (query_value(path, "slow_ms", value, sizeof value)) does.slow_ms = atol(value);
    if (query_value(path, "bad_report", value, sizeof value)) does.bad_report = atoi(value);
    if (query_value(path, "report_kind", value, sizeof value)) does.report_kind = atol(value);
    if (query_value(path, "report_twice", value, sizeof value)) does.report_twice = atoi(value);
    if (query_value(path, "late_write", value, sizeof value)) does.late_write = atoi(value);
    return does;
}

static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info, const sy_exchange_head *request,
                       sy_state *out_state, sy_error *error) {
    (void)info;
    enricher *self = instance;
    atomic_fetch_add(&self->begins, 1);
    char path[256];
    copy_bytes(path, sizeof path, request->path);
    behaviour does = call_behaviour(self, path);
    if (does.decline) return SY_E_UNSUPPORTED;
    if (strcmp(does.fail, "begin") == 0) return failing(error, "begin");
    observation *state = calloc(1, sizeof *state);
    state->self = self;
    state->call = call;
    state->does = does;
    state->request_headers = request->header_count;
    copy_bytes(state->method, sizeof state->method, request->method);
    memcpy(state->path, path, sizeof path);
    char line[300];
    snprintf(line, sizeof line, "begin %s", state->path);
    say(self->hinst, call, line);
    *out_state = state;
    return SY_OK;
}

static sy_status response(sy_state raw, const sy_exchange_head *head, sy_error *error) {
    observation *state = raw;
    atomic_fetch_add(&state->self->responses, 1);
    state->status = head->http_status;
    if (strcmp(state->does.fail, "response") == 0) return failing(error, "response");
    return SY_OK;
}

static sy_status data(sy_state raw, uint32_t phase, sy_bytes chunk, sy_error *error) {
    observation *state = raw;
    enricher *self = state->self;
    atomic_fetch_add(&self->datas, 1);
    state->data_calls++;
    if (phase == SY_PHASE_REQUEST) state->request_bytes += (long)chunk.len;
    if (phase == SY_PHASE_RESPONSE) state->response_bytes += (long)chunk.len;
    sy_sink kept = atomic_exchange(&self->kept_sink, SY_HANDLE_NONE);
    if (kept != SY_HANDLE_NONE) {
        const char *late = "{\"model\":\"late\"}";
        atomic_store(&self->late_write_data, host->sink_write(self->hinst, kept, SY_OUT_META_JSON, (sy_bytes){ (const uint8_t *)late, strlen(late) }));
    }
    if (state->does.slow_ms > 0 && !state->slept) {
        state->slept = 1;
        struct timespec t = { state->does.slow_ms / 1000, (state->does.slow_ms % 1000) * 1000000L };
        while (nanosleep(&t, &t) != 0) {}
    }
    if (strcmp(state->does.fail, "data") == 0) return failing(error, "data");
    return SY_OK;
}

typedef struct late_write {
    enricher *self;
    sy_sink sink;
} late_write;

static void *write_later(void *argument) {
    late_write *work = argument;
    const char *late = "{\"model\":\"late\"}";
    atomic_store(&work->self->late_write_thread,
                 host->sink_write(work->self->hinst, work->sink, SY_OUT_META_JSON, (sy_bytes){ (const uint8_t *)late, strlen(late) }));
    return NULL;
}

static sy_status end(sy_state raw, sy_status outcome, sy_sink out, sy_error *error) {
    observation *state = raw;
    enricher *self = state->self;
    atomic_fetch_add(&self->ends, 1);
    char line[64];
    snprintf(line, sizeof line, "end %d", outcome);
    say(self->hinst, state->call, line);
    if (strcmp(state->does.fail, "end") == 0) return failing(error, "end");
    if (state->does.late_write) {
        atomic_store(&self->kept_sink, out);
        late_write work = { self, out };
        pthread_t thread;
        pthread_create(&thread, NULL, write_later, &work);
        pthread_join(thread, NULL);
    }
    char report[2048];
    const char *text = report;
    if (state->does.bad_report) {
        text = "{\"usage\":{\"prompt_tokens\":-1,\"completion_tokens\":2}}";
    } else if (self->report) {
        text = self->report;
    } else {
        snprintf(report, sizeof report,
                 "{\"operation\":\"test\",\"model\":\"test-model\",\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2},"
                 "\"audit_path\":\"/v1/chat/completions\",\"attributes\":{\"method\":\"%s\",\"path\":\"%s\",\"status\":%u,\"request_headers\":%zu,"
                 "\"data_calls\":%ld,\"request_bytes\":%ld,\"response_bytes\":%ld,\"outcome\":%d,"
                 "\"begins\":%ld,\"responses\":%ld,\"datas\":%ld,\"ends\":%ld,\"frees\":%ld,"
                 "\"late_write_thread\":%d,\"late_write_data\":%d}}",
                 state->method, state->path, state->status, state->request_headers, state->data_calls, state->request_bytes, state->response_bytes, outcome,
                 atomic_load(&self->begins), atomic_load(&self->responses), atomic_load(&self->datas), atomic_load(&self->ends),
                 atomic_load(&self->frees), atomic_load(&self->late_write_thread), atomic_load(&self->late_write_data));
    }
    uint32_t kind = (uint32_t)state->does.report_kind;
    if (kind == 0) return SY_OK;
    sy_status written = host->sink_write(self->hinst, out, kind, (sy_bytes){ (const uint8_t *)text, strlen(text) });
    if (state->does.report_twice && written == SY_OK) {
        written = host->sink_write(self->hinst, out, kind, (sy_bytes){ (const uint8_t *)text, strlen(text) });
    }
    if (written != SY_OK) {
        snprintf(line, sizeof line, "report refused %d", written);
        say(self->hinst, state->call, line);
    }
    return SY_OK;
}

static void state_free(sy_state raw) {
    observation *state = raw;
    atomic_fetch_add(&state->self->frees, 1);
    say(state->self->hinst, state->call, "state_free");
    free(state);
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
    char text[4096] = { 0 };
    memcpy(text, config.ptr, config.len < sizeof text - 1 ? config.len : sizeof text - 1);
    enricher *self = calloc(1, sizeof *self);
    self->hinst = h;
    config_string(text, "fail", self->fail, sizeof self->fail);
    self->decline = (int)config_number(text, "decline", 0);
    self->bad_report = (int)config_number(text, "bad_report", 0);
    self->report_twice = (int)config_number(text, "report_twice", 0);
    self->late_write = (int)config_number(text, "late_write", 0);
    self->slow_ms = config_number(text, "slow_ms", 0);
    self->report_kind = config_number(text, "report_kind", SY_OUT_META_JSON);
    self->report = config_report(text);
    atomic_store(&self->late_write_thread, 1);
    atomic_store(&self->late_write_data, 1);
    self->table = (sy_enricher_v1){
        sizeof(sy_enricher_v1), (uint32_t)config_number(text, "phases", SY_PHASE_REQUEST | SY_PHASE_RESPONSE),
        begin, response, data, end, state_free,
    };
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) {
    enricher *self = instance;
    free(self->report);
    free(self);
}

static const void *get_interface(sy_instance instance, const char *id) {
    if (strcmp(id, SY_IFACE_ENRICHER) != 0) return NULL;
    return &((enricher *)instance)->table;
}

/* Built with -DTEST_ENRICHER_BLOCKING_HOOKS, the manifest declares blocking_hooks, which the host
 * must refuse for an enricher. */
#ifdef TEST_ENRICHER_BLOCKING_HOOKS
#define MANIFEST_EXTRA ",\"blocking_hooks\":[\"response\"]"
#else
#define MANIFEST_EXTRA ""
#endif

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.enricher", "1.0.0",
    "{\"kinds\":[\"enricher\"],\"interfaces\":[\"switchyard.enricher/1\"]" MANIFEST_EXTRA "}",
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
