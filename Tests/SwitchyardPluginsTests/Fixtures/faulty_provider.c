/* A provider that breaks the output rules on purpose, one way per instance: config
 * {"fault":"<name>"}. Used by the host's unit tests and, built with cc, by the end-to-end tests
 * (Tests/EndToEnd/test_plugin_boundary.py) against the real gateway.
 *
 * Every status the host answers a write with is logged through host->log as
 * "sink_write returned <status>" (so a test can see SY_E_INVALID / SY_E_HANDLE arrive), and the
 * plugin then carries on as if nothing happened: the host must cope with a plugin that ignores
 * its errors.
 *
 *   keep-sink     answers normally ("loop=<a> thread=<b>": the statuses of its earlier stale
 *                 writes, 1 = none yet), but keeps the sink handle; the next call first writes
 *                 to the kept handle (on the loop, after its hook returned), and every call
 *                 starts a thread that writes to this call's handle 300 ms later.
 *   bad-utf8      a whole response whose content has a raw 0xFF byte.
 *   second-whole  two whole responses on a call that is not a stream.
 *   bad-usage     a good response, then {"usage":{"prompt_tokens":-3,...}}.
 *   non-json      (stream) a good chunk, then "data that is not json", then another chunk.
 *   raw-ff        (stream) a good chunk, then a chunk with a raw 0xFF byte, then another chunk. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct instance {
    sy_hinst hinst;
    char fault[32];
    _Atomic uint64_t kept;      /* the last call's sink (keep-sink) */
    _Atomic int stale_loop;     /* status of the last write to a kept sink from a later call */
    _Atomic int stale_thread;   /* status of the last write from the plugin's own thread */
    _Atomic int threads;        /* late writers still sleeping: instance_free waits for them */
} instance;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static sy_status put(instance *self, sy_sink out, uint32_t kind, const char *data, size_t length) {
    sy_bytes bytes = { (const uint8_t *)data, length };
    sy_status status = host->sink_write(self->hinst, out, kind, bytes);
    char line[64];
    snprintf(line, sizeof line, "sink_write returned %d", status);
    host->log(self->hinst, NULL, status == SY_OK ? SY_LOG_DEBUG : SY_LOG_WARN, text(line));
    return status;
}

static void put_text(instance *self, sy_sink out, uint32_t kind, const char *data) { put(self, out, kind, data, strlen(data)); }

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    instance *self = calloc(1, sizeof *self);
    if (!self) return SY_E_NOMEM;
    self->hinst = hinst;
    const char *key = config.len ? memmem(config.ptr, config.len, "\"fault\":\"", 9) : NULL;
    if (!key) {
        free(self);
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "config needs \"fault\"");
        return SY_E_CONFIG;
    }
    const char *start = key + 9, *end = memchr(start, '"', config.len - (size_t)(start - (const char *)config.ptr));
    snprintf(self->fault, sizeof self->fault, "%.*s", end ? (int)(end - start) : 0, start);
    atomic_init(&self->kept, 0);
    atomic_init(&self->stale_loop, 1);
    atomic_init(&self->stale_thread, 1);
    atomic_init(&self->threads, 0);
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance raw) {
    instance *self = raw;
    struct timespec pause = { 0, 10 * 1000 * 1000 };
    while (atomic_load(&self->threads) > 0) nanosleep(&pause, NULL);
    free(self);
}

typedef struct late_write { instance *self; sy_sink sink; } late_write;

/* The plugin's own thread, 300 ms after the call that lent the sink. */
static void *write_later(void *raw) {
    late_write *job = raw;
    struct timespec pause = { 0, 300 * 1000 * 1000 };
    nanosleep(&pause, NULL);
    const char *chunk = "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"LATE-THREAD\"}}]}";
    instance *self = job->self;
    atomic_store(&self->stale_thread, put(self, job->sink, SY_OUT_JSON, chunk, strlen(chunk)));
    free(job);
    atomic_fetch_sub(&self->threads, 1);
    return NULL;
}

static const char *whole_format =
    "{\"id\":\"f-1\",\"object\":\"chat.completion\",\"created\":1,\"model\":\"%s\",\"choices\":[{\"index\":0,"
    "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}";
static const char *chunk_format =
    "{\"id\":\"f-1\",\"object\":\"chat.completion.chunk\",\"created\":1,\"model\":\"%s\",\"choices\":[{\"index\":0,"
    "\"delta\":{\"content\":\"%s\"},\"finish_reason\":null}]}";
static const char *good_usage = "{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":1,\"total_tokens\":2}}";

static sy_status generate(sy_instance raw, sy_call call, const sy_call_info *info, sy_bytes request, sy_sink out,
                          sy_error *error) {
    (void)call; (void)request; (void)error;
    instance *self = raw;
    const char *model = "faulty";
    char json[1024], content[128];
    int stream = info->stream != 0;

    if (strcmp(self->fault, "keep-sink") == 0) {
        uint64_t kept = atomic_exchange(&self->kept, out);
        const char *stale = "{\"object\":\"chat.completion.chunk\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"LATE-LOOP\"}}]}";
        if (kept) atomic_store(&self->stale_loop, put(self, kept, SY_OUT_JSON, stale, strlen(stale)));
        late_write *job = malloc(sizeof *job);
        pthread_t thread;
        if (job) {
            job->self = self;
            job->sink = out;
            atomic_fetch_add(&self->threads, 1);
            if (pthread_create(&thread, NULL, write_later, job) == 0) {
                pthread_detach(thread);
            } else {
                atomic_fetch_sub(&self->threads, 1);
                free(job);
            }
        }
        snprintf(content, sizeof content, "loop=%d thread=%d", atomic_load(&self->stale_loop), atomic_load(&self->stale_thread));
        snprintf(json, sizeof json, stream ? chunk_format : whole_format, model, content);
        put_text(self, out, SY_OUT_JSON, json);
        put_text(self, out, SY_OUT_META_JSON, good_usage);
        return SY_OK;
    }
    if (strcmp(self->fault, "bad-utf8") == 0) {
        snprintf(json, sizeof json, whole_format, model, "bad \xff byte");
        put_text(self, out, SY_OUT_JSON, json);
        put_text(self, out, SY_OUT_META_JSON, good_usage);
        return SY_OK;
    }
    if (strcmp(self->fault, "second-whole") == 0) {
        snprintf(json, sizeof json, whole_format, model, "first");
        put_text(self, out, SY_OUT_JSON, json);
        snprintf(json, sizeof json, whole_format, model, "second");
        put_text(self, out, SY_OUT_JSON, json);
        return SY_OK;
    }
    if (strcmp(self->fault, "bad-usage") == 0) {
        snprintf(json, sizeof json, whole_format, model, "fine");
        put_text(self, out, SY_OUT_JSON, json);
        put_text(self, out, SY_OUT_META_JSON, "{\"usage\":{\"prompt_tokens\":-3,\"completion_tokens\":1}}");
        return SY_OK;
    }
    if (strcmp(self->fault, "non-json") == 0 || strcmp(self->fault, "raw-ff") == 0) {
        snprintf(json, sizeof json, chunk_format, model, "before");
        put_text(self, out, SY_OUT_JSON, json);
        if (strcmp(self->fault, "non-json") == 0) {
            put_text(self, out, SY_OUT_JSON, "data that is not json");
        } else {
            snprintf(json, sizeof json, chunk_format, model, "raw \xff byte");
            put_text(self, out, SY_OUT_JSON, json);
        }
        snprintf(json, sizeof json, chunk_format, model, "after");
        put_text(self, out, SY_OUT_JSON, json);
        put_text(self, out, SY_OUT_META_JSON, good_usage);
        return SY_OK;
    }
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "unknown fault \"%s\"", self->fault);
    return SY_E_CONFIG;
}

static const sy_provider_v1 provider = { sizeof(sy_provider_v1), NULL, NULL, generate, NULL, NULL };

static const void *get_interface(sy_instance raw, const char *id) {
    (void)raw;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.faulty", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"chat_completions\"],"
    "\"config_schema\":{\"type\":\"object\",\"required\":[\"fault\"],\"properties\":{\"fault\":{\"type\":\"string\"}}}}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &api;
    return SY_OK;
}
