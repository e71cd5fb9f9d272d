/* guardrail-deny: a Switchyard guardrail in plain C that rejects a request whose text contains
 * a configured word, before any provider sees it (request phase only).
 *
 *   plugins:
 *     - name: deny
 *       path: /abs/path/libguardrail_deny.so
 *       config: { word: "classified" }
 *
 * It searches the request's JSON text as bytes, case-sensitively: short enough to read in one
 * sitting, not a real matcher (escaped text such as "\u0063lassified" slips through, and the
 * word is found in any string, the model name included). Plugins/guardrail-blocklist is the
 * real one. Build: make (see the Makefile for the flags every plugin should use). */
/* memmem needs _GNU_SOURCE: the Makefile defines it. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"

/* The host table, valid for the life of the process (set once in sy_plugin_entry). */
static const sy_host_api *host;

typedef struct deny_instance {
    sy_hinst hinst;   /* names this instance in every host call */
    size_t word_len;
    char word[128];   /* immutable after instance_new: inspect runs on many threads at once */
} deny_instance;

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

/* Finds "word":"..." in the config JSON. The host has already checked the config against the
 * manifest's config_schema (a string of 1 to 127 characters); what a schema cannot say (no
 * escapes, so the bytes we search for are the bytes in the request) is checked here. */
static sy_status read_word(sy_bytes config, deny_instance *self, sy_error *error) {
    const char *key = memmem(config.ptr, config.len, "\"word\"", 6);
    if (!key) return fail(error, SY_E_CONFIG, "config needs \"word\": the word to deny");
    const char *end = (const char *)config.ptr + config.len;
    const char *p = key + 6;
    while (p < end && (*p == ' ' || *p == ':')) p++;
    if (p >= end || *p != '"') return fail(error, SY_E_CONFIG, "\"word\" must be a string");
    const char *start = ++p;
    while (p < end && *p != '"' && *p != '\\') p++;
    if (p >= end || *p == '\\') return fail(error, SY_E_CONFIG, "\"word\" must be a plain string without escapes");
    size_t length = (size_t)(p - start);
    if (length == 0) return fail(error, SY_E_CONFIG, "\"word\" must not be empty");
    if (length >= sizeof self->word) return fail(error, SY_E_CONFIG, "\"word\" is longer than 127 bytes");
    memcpy(self->word, start, length);
    self->word[length] = '\0';
    self->word_len = length;
    return SY_OK;
}

/* [control] One instance per YAML entry. */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    deny_instance *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    sy_status status = read_word(config, self, error);
    if (status != SY_OK) { free(self); return status; }
    *out = self;
    return SY_OK;
}

/* [control] after the last call on the instance. */
static void instance_free(sy_instance instance) { free(instance); }

/* [any-thread] Decides through `verdict`, a host-owned handle valid until inspect returns:
 * doing nothing allows the request; host->verdict_reject fails it with our status and error
 * body (the host copies the bytes and names this guardrail for the client). `json` is borrowed:
 * copy what you keep. Returning an error instead would mean the guardrail itself failed. */
static sy_status inspect(sy_instance instance, sy_call call, const sy_call_info *info,
                         uint32_t phase, sy_bytes json, sy_verdict verdict, sy_error *error) {
    (void)call; (void)info;
    const deny_instance *self = instance;
    if (phase != SY_PHASE_REQUEST || !memmem(json.ptr, json.len, self->word, self->word_len)) return SY_OK;
    static const char body[] = "{\"error\":{\"message\":\"the request contains a denied word\","
                               "\"type\":\"invalid_request_error\",\"code\":\"content_blocked\"}}";
    sy_bytes rejection = { (const uint8_t *)body, sizeof body - 1 };
    sy_status status = host->verdict_reject(self->hinst, verdict, 400, rejection);
    return status == SY_OK ? SY_OK : fail(error, SY_E_INTERNAL, "the host refused the rejection");
}

static const sy_guardrail_v1 guardrail = {
    sizeof(sy_guardrail_v1), SY_PHASE_REQUEST, inspect, NULL /* call_end: no per-call state */,
};

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_GUARDRAIL) == 0 ? &guardrail : NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.example.guardrail-deny", "1.0.0",
    "{\"kinds\":[\"guardrail\"],\"interfaces\":[\"switchyard.guardrail/1\"],\"toolchain\":\"c\","
    "\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false,\"required\":[\"word\"],"
    "\"properties\":{\"word\":{\"type\":\"string\",\"minLength\":1,\"maxLength\":127}}}}",
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
