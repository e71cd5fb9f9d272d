/* call_services_provider: a provider that uses the call services through the real gateway
 * (Tests/EndToEnd/test_call_services.py). The last message's content is a command; `prepare`
 * acts on it, then asks the upstream at config "upstream" (the mock) for an answer it delays by
 * 500 ms, so the request is still running when what `prepare` started has finished; the
 * response transformer's `end` then answers with what came of it:
 *
 *   "metadata"  -> {"metadata":<call_metadata() in prepare>,"cancelled":<call_cancelled()>}
 *   "send URL"  -> http_send(POST URL) from prepare, with a small chat body for model
 *                  "mock-model" and a forged "X-Switchyard-Internal" header; URL may be a path
 *                  ("/v1/chat/completions": the gateway itself) or absolute. The answer:
 *                  {"send":S,"status":S,"provider":"<X-Switchyard-Provider of the answer>",
 *                   "choices":0|1 (its body has "choices"),"done":N,"result":R}
 *
 * One request at a time (the tests are sequential): the state is the instance's. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct plugin {
    sy_hinst hinst;
    char upstream[256];
    char reply[1024]; /* for "metadata": what prepare saw */
    int sending;
    sy_status send_status;
    uint32_t upstream_status; /* of the answer being transformed */
    sy_http_handler handler;
    uint64_t request;
    uint32_t status, done;
    sy_status result;
    char provider[64];
    char body[8192];
    size_t bytes;
} plugin;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static void on_headers(void *ctx, uint64_t request, uint32_t status, const sy_header *headers, size_t count) {
    plugin *self = ctx;
    (void)request;
    self->status = status;
    for (size_t i = 0; i < count; i++)
        if (headers[i].name.len == 21 && strncasecmp((const char *)headers[i].name.ptr, "x-switchyard-provider", 21) == 0)
            snprintf(self->provider, sizeof self->provider, "%.*s", (int)headers[i].value.len, (const char *)headers[i].value.ptr);
}

static sy_status on_data(void *ctx, uint64_t request, sy_bytes chunk) {
    plugin *self = ctx;
    (void)request;
    size_t room = sizeof self->body - 1 - self->bytes;
    size_t take = chunk.len < room ? chunk.len : room;
    memcpy(self->body + self->bytes, chunk.ptr, take);
    self->bytes += take;
    self->body[self->bytes] = 0;
    return SY_OK;
}

static void on_done(void *ctx, uint64_t request, sy_status result) {
    plugin *self = ctx;
    (void)request;
    self->done++;
    self->result = result;
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
    plugin *self = calloc(1, sizeof *self);
    if (!self) return SY_E_NOMEM;
    self->hinst = hinst;
    const char *key = "\"upstream\":\"";
    const char *at = config.len ? memmem(config.ptr, config.len, key, strlen(key)) : NULL;
    if (at) {
        at += strlen(key);
        const char *end = memchr(at, '"', config.len - (size_t)(at - (const char *)config.ptr));
        if (end && (size_t)(end - at) < sizeof self->upstream) memcpy(self->upstream, at, (size_t)(end - at));
    }
    sy_http_handler handler = { sizeof(sy_http_handler), self, on_headers, on_data, on_done };
    self->handler = handler;
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance raw) { free(raw); }

/* The last "content":"..." of the request (no escapes in the tests' commands). */
static int command(sy_bytes request, char *out, size_t capacity) {
    const char *key = "\"content\":\"";
    const char *found = NULL;
    for (const char *p = (const char *)request.ptr; p && (size_t)(p - (const char *)request.ptr) < request.len;) {
        p = memmem(p, request.len - (size_t)(p - (const char *)request.ptr), key, strlen(key));
        if (!p) break;
        found = p + strlen(key);
        p = found;
    }
    if (!found) return 0;
    const char *end = memchr(found, '"', request.len - (size_t)(found - (const char *)request.ptr));
    if (!end || (size_t)(end - found) >= capacity) return 0;
    memcpy(out, found, (size_t)(end - found));
    out[end - found] = 0;
    return 1;
}

/* Writes a chat.completion whose content is `content`, JSON-escaped. */
static sy_status answer(plugin *self, sy_sink out, const char *content) {
    static char json[20000];
    size_t n = (size_t)snprintf(json, sizeof json,
        "{\"id\":\"chatcmpl-calls\",\"object\":\"chat.completion\",\"created\":0,\"model\":\"calls\","
        "\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\",\"content\":\"");
    for (const char *c = content; *c && n < sizeof json - 200; c++) {
        if (*c == '"' || *c == '\\') json[n++] = '\\';
        json[n++] = *c;
    }
    n += (size_t)snprintf(json + n, sizeof json - n, "\"},\"finish_reason\":\"stop\"}]}");
    sy_bytes bytes = { (const uint8_t *)json, n };
    return host->sink_write(self->hinst, out, SY_OUT_JSON, bytes);
}

static sy_status prepare(sy_instance raw, sy_call call, const sy_call_info *info, sy_bytes request, sy_http_out out,
                         sy_error *error) {
    plugin *self = raw;
    (void)info; (void)error;
    char word[512];
    self->sending = 0;
    snprintf(self->reply, sizeof self->reply, "no command");
    if (command(request, word, sizeof word) && strcmp(word, "metadata") == 0) {
        sy_bytes metadata = host->call_metadata(call);
        snprintf(self->reply, sizeof self->reply, "{\"metadata\":%.*s,\"cancelled\":%u}", (int)metadata.len,
                 metadata.len ? (const char *)metadata.ptr : "", host->call_cancelled(call));
    } else if (strncmp(word, "send ", 5) == 0) {
        self->sending = 1;
        self->status = self->done = 0;
        self->result = 0;
        self->bytes = 0;
        self->body[0] = 0;
        self->provider[0] = 0;
        sy_header headers[2] = { { text("Content-Type"), text("application/json") },
                                 { text("X-Switchyard-Internal"), text("forged") } };
        sy_http_request outbound = { sizeof(sy_http_request), 10000, text("POST"), text(word + 5),
            text("{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"inner\"}]}"), headers, 2 };
        self->send_status = host->http_send(self->hinst, call, &outbound, &self->handler, &self->request);
    }
    host->http_out_set_url(self->hinst, out, text(self->upstream));
    host->http_out_add_header(self->hinst, out, text("Content-Type"), text("application/json"));
    host->http_out_add_header(self->hinst, out, text("x-mock-delay-ms"), text("500"));
    return host->http_out_append_body(self->hinst, out, text("{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"outer\"}]}"));
}

static sy_status begin(sy_instance raw, sy_call call, const sy_call_info *info, uint32_t status, const sy_header *headers,
                       size_t count, sy_state *state, sy_error *error) {
    (void)call; (void)info; (void)headers; (void)count; (void)error;
    *state = raw;
    ((plugin *)raw)->upstream_status = status; /* end reports an upstream error as every provider does */
    return SY_OK;
}

static sy_status data(sy_state state, sy_bytes chunk, sy_sink out, sy_error *error) {
    (void)state; (void)chunk; (void)out; (void)error;
    return SY_OK; /* the upstream's own answer is not what this plugin reports */
}

static sy_status end(sy_state state, sy_sink out, sy_error *error) {
    plugin *self = state;
    if (self->upstream_status >= 400) {
        char body[128];
        int length = snprintf(body, sizeof body, "{\"error\":{\"message\":\"the upstream answered %u\",\"type\":\"upstream_error\"}}", self->upstream_status);
        host->sink_write(self->hinst, out, SY_OUT_ERROR_JSON, (sy_bytes){ (const uint8_t *)body, (size_t)length });
        error->code = SY_E_UPSTREAM;
        error->http_status = self->upstream_status;
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "the upstream answered %u", self->upstream_status);
        return SY_E_UPSTREAM;
    }
    if (self->sending)
        snprintf(self->reply, sizeof self->reply,
                 "{\"send\":%d,\"status\":%u,\"provider\":\"%s\",\"choices\":%d,\"done\":%u,\"result\":%d}",
                 self->send_status, self->status, self->provider, strstr(self->body, "\"choices\"") != NULL, self->done,
                 self->result);
    return answer(self, out, self->reply);
}

static void state_free(sy_state state) { (void)state; }

static const sy_transformer_v1 transformer = { sizeof(sy_transformer_v1), begin, data, end, state_free };

static const sy_provider_v1 provider = { sizeof(sy_provider_v1), prepare, &transformer, NULL, NULL, NULL };

static const void *get_interface(sy_instance raw, const char *id) {
    (void)raw;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.call-services", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"chat_completions\"],"
    "\"config_schema\":{\"type\":\"object\"}}",
    SY_F_SERIALIZE_INSTANCE /* one request at a time: its state is the instance's */, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &api;
    return SY_OK;
}
