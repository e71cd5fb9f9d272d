/* The good fixture: a provider that answers through `generate` and exercises every host
 * service, so the loader tests see them work through a real .so.
 *
 * instance_new: logs a line, defines a counter (kind) and a histogram, reads the secret named by
 * FIXTURE_SECRET_NAME with the two-call pattern into host-allocated memory, tries http_send
 * without a call (must be SY_E_UNSUPPORTED). A config containing "reject" is refused.
 * generate: the request JSON is one command word; the answer is one SY_OUT_JSON object:
 *   "hello"    -> {"model","secret","stream"} plus one SY_OUT_META_JSON usage object
 *   "metadata" -> {"cancelled":N,"metadata":<call_metadata>}
 *   "define"   -> {"define":<status of metric_define outside instance_new>}
 *   "http"     -> {"send":<status>,"id":N}   (POST http://127.0.0.1:9/token, header, body)
 *   "send T U" -> the same to URL U with timeout_ms T, and a header "X-Switchyard-Internal:
 *                 forged" (the host must drop it); what the handler saw is reset first
 *   "cancel"   -> http_cancel of the last id, then {"cancelled_id":N}
 *   "report"   -> {"status":S,"seen":"...","body":"...","done":N,"result":R}: what the handler
 *                 received ("seen": the response's X-Seen header; a body past 127 bytes makes
 *                 on_data return SY_E_NOMEM, which aborts the request)
 *   "resume"   -> {"resume":<status>}: a provider has no verdict to resume (SY_E_HANDLE) */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct instance {
    sy_hinst hinst;
    uint32_t calls, latency;
    char *secret; /* host-allocated, freed in instance_free */
    sy_status send_without_call;
    sy_http_handler handler;
    uint64_t last_request;
    uint32_t http_status, done_count;
    sy_status done_result;
    char body[128], seen[128];
    size_t body_length;
} instance;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static int is(sy_bytes request, const char *word) {
    return request.len == strlen(word) && memcmp(request.ptr, word, request.len) == 0;
}

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

static void on_headers(void *ctx, uint64_t request, uint32_t status, const sy_header *headers, size_t count) {
    instance *self = ctx;
    (void)request;
    self->http_status = status;
    for (size_t i = 0; i < count; i++)
        if (headers[i].name.len == 6 && strncasecmp((const char *)headers[i].name.ptr, "x-seen", 6) == 0)
            snprintf(self->seen, sizeof self->seen, "%.*s", (int)headers[i].value.len, (const char *)headers[i].value.ptr);
}

static sy_status on_data(void *ctx, uint64_t request, sy_bytes chunk) {
    instance *self = ctx;
    (void)request;
    if (self->body_length + chunk.len >= sizeof self->body) return SY_E_NOMEM;
    memcpy(self->body + self->body_length, chunk.ptr, chunk.len);
    self->body_length += chunk.len;
    return SY_OK;
}

static void on_done(void *ctx, uint64_t request, sy_status result) {
    instance *self = ctx;
    (void)request;
    self->done_count++;
    self->done_result = result;
}

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    if (config.len && memmem(config.ptr, config.len, "reject", 6))
        return fail(error, SY_E_CONFIG, "\"reject\" is not a setting this plugin knows");
    instance *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    if (host->log_enabled(hinst, SY_LOG_INFO)) host->log(hinst, NULL, SY_LOG_INFO, text("fixture instance created"));
    if (host->metric_define(hinst, SY_METRIC_COUNTER, text("fixture_calls"), text("kind"), &self->calls) != SY_OK ||
        host->metric_define(hinst, SY_METRIC_HISTOGRAM, text("fixture_latency_ms"), text(""), &self->latency) != SY_OK) {
        free(self);
        return fail(error, SY_E_INTERNAL, "metric_define failed");
    }
    /* Two-call pattern: ask for the size, then allocate exactly that from the host. */
    const char *name = getenv("FIXTURE_SECRET_NAME");
    size_t needed = 0;
    sy_status probe = host->secret_get(hinst, text(name ? name : "FIXTURE_UNSET"), NULL, 0, &needed);
    if (probe == SY_E_TOO_SMALL || probe == SY_OK) {
        self->secret = host->alloc(hinst, needed + 1);
        size_t length = 0;
        if (host->secret_get(hinst, text(name), (uint8_t *)self->secret, needed, &length) != SY_OK) length = 0;
        self->secret[length] = 0;
    }
    sy_http_request request = { sizeof(sy_http_request), 0, text("GET"), text("http://127.0.0.1:9/"), { NULL, 0 }, NULL, 0 };
    sy_http_handler handler = { sizeof(sy_http_handler), self, on_headers, on_data, on_done };
    uint64_t id = 0;
    self->send_without_call = host->http_send(hinst, NULL, &request, &handler, &id);
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance raw) {
    instance *self = raw;
    host->free(self->hinst, self->secret);
    free(self);
}

static sy_status answer(const instance *self, sy_sink out, const char *json) {
    return host->sink_write(self->hinst, out, SY_OUT_JSON, text(json));
}

static sy_status generate(sy_instance raw, sy_call call, const sy_call_info *info, sy_bytes request, sy_sink out,
                          sy_error *error) {
    instance *self = raw;
    char json[512];
    uint64_t started = host->monotonic_ns();
    sy_bytes label = text("generate");
    host->metric_record(self->hinst, self->calls, 1.0, &label, 1);
    if (is(request, "hello")) {
        snprintf(json, sizeof json, "{\"model\":\"%.*s\",\"secret\":\"%s\",\"stream\":%u,\"without_call\":%d}",
                 (int)info->upstream_model.len, (const char *)info->upstream_model.ptr, self->secret ? self->secret : "",
                 info->stream, self->send_without_call);
        if (answer(self, out, json) != SY_OK) return SY_E_CANCELLED;
        host->metric_record(self->hinst, self->latency, (double)(host->monotonic_ns() - started) / 1e6, NULL, 0);
        return host->sink_write(self->hinst, out, SY_OUT_META_JSON, text("{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}"));
    }
    if (is(request, "metadata")) {
        sy_bytes metadata = host->call_metadata(call);
        if (metadata.len == 0) metadata = text("null");
        snprintf(json, sizeof json, "{\"cancelled\":%u,\"metadata\":%.*s}", host->call_cancelled(call),
                 (int)metadata.len, (const char *)metadata.ptr);
        return answer(self, out, json);
    }
    if (is(request, "define")) {
        uint32_t id = 0;
        snprintf(json, sizeof json, "{\"define\":%d}", host->metric_define(self->hinst, SY_METRIC_GAUGE, text("late"), text(""), &id));
        return answer(self, out, json);
    }
    if (is(request, "http")) {
        sy_header header = { text("X-Fixture"), text("yes") };
        sy_http_request request = { sizeof(sy_http_request), 250, text("POST"), text("http://127.0.0.1:9/token"),
                                    text("ping"), &header, 1 };
        sy_http_handler handler = { sizeof(sy_http_handler), self, on_headers, on_data, on_done };
        self->handler = handler; /* plugin-owned, must outlive the request: keep it in the instance */
        sy_status status = host->http_send(self->hinst, call, &request, &self->handler, &self->last_request);
        snprintf(json, sizeof json, "{\"send\":%d,\"id\":%llu}", status, (unsigned long long)self->last_request);
        return answer(self, out, json);
    }
    if (request.len > 5 && memcmp(request.ptr, "send ", 5) == 0) {
        char command[256], url[200];
        unsigned timeout = 0;
        snprintf(command, sizeof command, "%.*s", (int)request.len, (const char *)request.ptr);
        if (sscanf(command, "send %u %199s", &timeout, url) != 2) return fail(error, SY_E_INVALID, "send T URL");
        sy_header headers[2] = { { text("X-Fixture"), text("yes") }, { text("X-Switchyard-Internal"), text("forged") } };
        sy_http_request outbound = { sizeof(sy_http_request), timeout, text("POST"), text(url), text("ping"), headers, 2 };
        sy_http_handler handler = { sizeof(sy_http_handler), self, on_headers, on_data, on_done };
        self->handler = handler;
        self->http_status = 0;
        self->done_count = 0;
        self->done_result = 0;
        self->body_length = 0;
        self->seen[0] = 0;
        sy_status status = host->http_send(self->hinst, call, &outbound, &self->handler, &self->last_request);
        snprintf(json, sizeof json, "{\"send\":%d,\"id\":%llu}", status, (unsigned long long)self->last_request);
        return answer(self, out, json);
    }
    if (is(request, "cancel")) {
        host->http_cancel(self->hinst, self->last_request);
        snprintf(json, sizeof json, "{\"cancelled_id\":%llu}", (unsigned long long)self->last_request);
        return answer(self, out, json);
    }
    if (is(request, "report")) {
        snprintf(json, sizeof json, "{\"status\":%u,\"seen\":\"%s\",\"body\":\"%.*s\",\"done\":%u,\"result\":%d}",
                 self->http_status, self->seen, (int)self->body_length, self->body, self->done_count, self->done_result);
        return answer(self, out, json);
    }
    if (is(request, "resume")) {
        snprintf(json, sizeof json, "{\"resume\":%d}", host->resume(self->hinst, SY_HANDLE_NONE, SY_E_TIMEOUT));
        return answer(self, out, json);
    }
    return fail(error, SY_E_INVALID, "unknown fixture command");
}

static const sy_provider_v1 provider = { sizeof(sy_provider_v1), NULL, NULL, generate, NULL, NULL };

static const void *get_interface(sy_instance raw, const char *id) {
    (void)raw;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.good", "1.2.3",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"chat\"],"
    "\"config_schema\":{\"type\":\"object\",\"properties\":{\"text\":{\"type\":\"string\"}}}}",
    SY_F_SERIALIZE_INSTANCE, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &api;
    return SY_OK;
}
