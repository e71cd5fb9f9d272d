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
 * Reentrant, as every provider must be (the host calls an instance from every event loop at once,
 * SY_F_SERIALIZE_INSTANCE or not): what `prepare` starts lives in an `exchange` of that call,
 * kept in the instance's list (under its lock) until `begin` of the same call takes it as the
 * transformer's state. Ownership: the list owns an exchange until begin takes it; then
 * state_free and, while its request runs, on_done each hold it, and the last one frees it. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

enum { MAX_PREPARED = 256 }; /* prepared calls whose begin has not come (yet): older ones dropped */

typedef struct exchange {
    struct exchange *next; /* in the instance's list, until begin takes it */
    sy_call call;          /* whose prepare made it */
    sy_hinst hinst;
    int holds;             /* __atomic: the list or state_free, plus on_done while a request runs */
    char reply[1024];      /* for "metadata": what prepare saw */
    int sending;
    sy_status send_status;
    uint32_t upstream_status; /* of the answer being transformed */
    sy_http_handler handler;  /* ctx: this exchange; its callbacks run on the call's loop */
    uint64_t request;
    uint32_t status, done;
    sy_status result;
    char provider[64];
    char body[8192];
    size_t bytes;
} exchange;

typedef struct plugin {
    sy_hinst hinst;
    char upstream[256];  /* read-only after instance_new */
    pthread_mutex_t lock; /* guards prepared */
    exchange *prepared;  /* newest first */
} plugin;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static void release(exchange *self) {
    if (__atomic_sub_fetch(&self->holds, 1, __ATOMIC_ACQ_REL) == 0) free(self);
}

static void on_headers(void *ctx, uint64_t request, uint32_t status, const sy_header *headers, size_t count) {
    exchange *self = ctx;
    (void)request;
    self->status = status;
    for (size_t i = 0; i < count; i++)
        if (headers[i].name.len == 21 && strncasecmp((const char *)headers[i].name.ptr, "x-switchyard-provider", 21) == 0)
            snprintf(self->provider, sizeof self->provider, "%.*s", (int)headers[i].value.len, (const char *)headers[i].value.ptr);
}

static sy_status on_data(void *ctx, uint64_t request, sy_bytes chunk) {
    exchange *self = ctx;
    (void)request;
    size_t room = sizeof self->body - 1 - self->bytes;
    size_t take = chunk.len < room ? chunk.len : room;
    memcpy(self->body + self->bytes, chunk.ptr, take);
    self->bytes += take;
    self->body[self->bytes] = 0;
    return SY_OK;
}

static void on_done(void *ctx, uint64_t request, sy_status result) {
    exchange *self = ctx;
    (void)request;
    self->done++;
    self->result = result;
    release(self); /* the request's hold: it may outlive the call's state */
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
    pthread_mutex_init(&self->lock, NULL);
    const char *key = "\"upstream\":\"";
    const char *at = config.len ? memmem(config.ptr, config.len, key, strlen(key)) : NULL;
    if (at) {
        at += strlen(key);
        const char *end = memchr(at, '"', config.len - (size_t)(at - (const char *)config.ptr));
        if (end && (size_t)(end - at) < sizeof self->upstream) memcpy(self->upstream, at, (size_t)(end - at));
    }
    *out = self;
    return SY_OK;
}

/* Every call has ended: what is left in the list is prepared calls that never began. */
static void instance_free(sy_instance raw) {
    plugin *self = raw;
    while (self->prepared) {
        exchange *next = self->prepared->next;
        release(self->prepared);
        self->prepared = next;
    }
    pthread_mutex_destroy(&self->lock);
    free(self);
}

/* Puts a prepared exchange in the list: an older one of the same call (an attempt whose begin
 * never came) and any past MAX_PREPARED go. */
static void keep(plugin *self, exchange *fresh) {
    exchange *dropped = NULL;
    pthread_mutex_lock(&self->lock);
    fresh->next = self->prepared;
    self->prepared = fresh;
    int count = 1;
    for (exchange **link = &fresh->next; *link;) {
        if ((*link)->call == fresh->call || ++count > MAX_PREPARED) {
            exchange *gone = *link;
            *link = gone->next;
            gone->next = dropped;
            dropped = gone;
        } else {
            link = &(*link)->next;
        }
    }
    pthread_mutex_unlock(&self->lock);
    while (dropped) {
        exchange *next = dropped->next;
        release(dropped);
        dropped = next;
    }
}

/* The exchange `call`'s prepare made, out of the list; NULL when there is none. */
static exchange *take(plugin *self, sy_call call) {
    exchange *found = NULL;
    pthread_mutex_lock(&self->lock);
    for (exchange **link = &self->prepared; *link; link = &(*link)->next) {
        if ((*link)->call == call) {
            found = *link;
            *link = found->next;
            break;
        }
    }
    pthread_mutex_unlock(&self->lock);
    return found;
}

static exchange *exchange_new(plugin *owner, sy_call call) {
    exchange *self = calloc(1, sizeof *self);
    if (!self) return NULL;
    self->call = call;
    self->hinst = owner->hinst;
    self->holds = 1;
    snprintf(self->reply, sizeof self->reply, "no command");
    sy_http_handler handler = { sizeof(sy_http_handler), self, on_headers, on_data, on_done };
    self->handler = handler;
    return self;
}

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
static sy_status answer(exchange *self, sy_sink out, const char *content) {
    char json[2400]; /* content: a reply of at most 1 KiB, escaped */
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
    plugin *owner = raw;
    (void)info;
    char word[512] = "";
    exchange *self = exchange_new(owner, call);
    if (!self) {
        error->code = SY_E_NOMEM;
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "out of memory");
        return SY_E_NOMEM;
    }
    if (command(request, word, sizeof word) && strcmp(word, "metadata") == 0) {
        sy_bytes metadata = host->call_metadata(call);
        snprintf(self->reply, sizeof self->reply, "{\"metadata\":%.*s,\"cancelled\":%u}", (int)metadata.len,
                 metadata.len ? (const char *)metadata.ptr : "", host->call_cancelled(call));
    } else if (strncmp(word, "send ", 5) == 0) {
        self->sending = 1;
        sy_header headers[2] = { { text("Content-Type"), text("application/json") },
                                 { text("X-Switchyard-Internal"), text("forged") } };
        sy_http_request outbound = { sizeof(sy_http_request), 10000, text("POST"), text(word + 5),
            text("{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"inner\"}]}"), headers, 2 };
        __atomic_add_fetch(&self->holds, 1, __ATOMIC_ACQ_REL); /* on_done's, once sent */
        self->send_status = host->http_send(self->hinst, call, &outbound, &self->handler, &self->request);
        if (self->send_status != SY_OK) release(self); /* not sent: no on_done */
    }
    keep(owner, self);
    host->http_out_set_url(owner->hinst, out, text(owner->upstream));
    host->http_out_add_header(owner->hinst, out, text("Content-Type"), text("application/json"));
    host->http_out_add_header(owner->hinst, out, text("x-mock-delay-ms"), text("500"));
    return host->http_out_append_body(owner->hinst, out, text("{\"model\":\"mock-model\",\"messages\":[{\"role\":\"user\",\"content\":\"outer\"}]}"));
}

static sy_status begin(sy_instance raw, sy_call call, const sy_call_info *info, uint32_t status, const sy_header *headers,
                       size_t count, sy_state *state, sy_error *error) {
    (void)info; (void)headers; (void)count;
    exchange *self = take(raw, call);
    if (!self) self = exchange_new(raw, call); /* no prepare of this call: nothing to report */
    if (!self) {
        error->code = SY_E_NOMEM;
        snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "out of memory");
        return SY_E_NOMEM;
    }
    self->upstream_status = status; /* end reports an upstream error as every provider does */
    *state = self;
    return SY_OK;
}

static sy_status data(sy_state state, sy_bytes chunk, sy_sink out, sy_error *error) {
    (void)state; (void)chunk; (void)out; (void)error;
    return SY_OK; /* the upstream's own answer is not what this plugin reports */
}

static sy_status end(sy_state state, sy_sink out, sy_error *error) {
    exchange *self = state;
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

static void state_free(sy_state state) { release(state); }

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
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &api;
    return SY_OK;
}
