/* provider-static: a Switchyard provider in plain C that answers every chat completion with a
 * fixed text from its config, in-process (the `generate` hook), whole or streamed.
 *
 *   plugins:
 *     - name: static
 *       path: /abs/path/libprovider_static.so
 *       config: { text: "We are closed on Sundays." }
 *
 * Build: make (see the Makefile for the flags every plugin should use). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"

/* The host table, valid for the life of the process (set once in sy_plugin_entry). */
static const sy_host_api *host;

typedef struct static_instance {
    sy_hinst hinst;
    char text[512]; /* immutable after instance_new: calls from several threads only read it */
} static_instance;

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

/* Finds "text":"..." in the config JSON. A real plugin would use a JSON parser; this example
 * accepts only a plain string without escapes, and says so when it gets anything else. */
static sy_status read_text(sy_bytes config, char *out, size_t capacity, sy_error *error) {
    const char *key = memmem(config.ptr, config.len, "\"text\"", 6);
    if (!key) return fail(error, SY_E_CONFIG, "config needs \"text\": the reply to send");
    const char *end = (const char *)config.ptr + config.len;
    const char *p = key + 6;
    while (p < end && (*p == ' ' || *p == ':')) p++;
    if (p >= end || *p != '"') return fail(error, SY_E_CONFIG, "\"text\" must be a string");
    const char *start = ++p;
    while (p < end && *p != '"' && *p != '\\') p++;
    if (p >= end || *p == '\\') return fail(error, SY_E_CONFIG, "\"text\" must be a plain string without escapes");
    if ((size_t)(p - start) >= capacity) return fail(error, SY_E_CONFIG, "\"text\" is longer than 511 bytes");
    memcpy(out, start, (size_t)(p - start));
    out[p - start] = '\0';
    return SY_OK;
}

/* [control] */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    static_instance *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    sy_status status = read_text(config, self->text, sizeof self->text, error);
    if (status != SY_OK) { free(self); return status; }
    *out = self;
    return SY_OK;
}

/* [control] after the last call on the instance. */
static void instance_free(sy_instance instance) { free(instance); }

/* The sink is a handle, not a pointer: write through the host, naming this instance. The host
 * copies; it answers SY_E_CANCELLED when the client left, SY_E_INVALID when it refuses the bytes
 * (not a JSON object, a second whole response...). Either way: stop and return the status. */
static sy_status emit(const static_instance *self, sy_sink out, uint32_t kind, const char *json, int length) {
    sy_bytes data = { (const uint8_t *)json, (size_t)length };
    return host->sink_write(self->hinst, out, kind, data);
}

/* [any-thread] Writes the whole answer to the sink: one object, or chunks (the host frames
 * them as SSE and writes [DONE]). `out` is valid on this thread until generate returns: never
 * keep it, never hand it to another thread. */
static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes request, sy_sink out, sy_error *error) {
    (void)call; (void)request; (void)error;
    const static_instance *self = instance;
    const int model_length = (int)info->upstream_model.len;
    const char *model = (const char *)info->upstream_model.ptr;
    char json[1024];
    int length;
    sy_status status;
    if (info->stream) {
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion.chunk\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"delta\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":null}]}",
            model_length, model, self->text);
        if ((status = emit(self, out, SY_OUT_JSON, json, length)) != SY_OK) return status;
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion.chunk\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"delta\":{},\"finish_reason\":\"stop\"}]}", model_length, model);
    } else {
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}",
            model_length, model, self->text);
    }
    if ((status = emit(self, out, SY_OUT_JSON, json, length)) != SY_OK) return status;
    const char *usage = "{\"usage\":{\"prompt_tokens\":0,\"completion_tokens\":1,\"total_tokens\":1}}";
    return emit(self, out, SY_OUT_META_JSON, usage, (int)strlen(usage));
}

static const sy_provider_v1 provider = {
    sizeof(sy_provider_v1), NULL /* prepare */, NULL /* response */, generate, NULL /* passthrough */,
    NULL /* batch */,
};

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.example.provider-static", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"chat_completions\"],"
    "\"toolchain\":\"c\",\"config_schema\":{\"type\":\"object\",\"required\":[\"text\"],"
    "\"properties\":{\"text\":{\"type\":\"string\"}}}}",
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
