/* A provider plugin for the host's loader tests, built at test time in several variants:
 *   (default)                a good plugin answering through `generate`, using host services
 *   -DFIXTURE_MAJOR=2        built for another ABI major: refuses negotiation
 *   -DFIXTURE_NEEDS_MINOR=7  needs a newer host minor: refuses negotiation
 *   -DFIXTURE_PLUGIN_MINOR=3 negotiates but claims a newer minor in its table
 *   -DFIXTURE_NO_ENTRY       exports no sy_plugin_entry
 *   -DFIXTURE_BAD_TABLE      returns a table without instance_new
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct instance {
    sy_hinst hinst;
    uint32_t metric;
    char secret[64];
    void *scratch;
} instance;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    strncpy(error->message, message, SY_ERROR_MESSAGE_CAPACITY - 1);
    return code;
}

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    if (config.len && memmem(config.ptr, config.len, "\"reject\"", 8)) return fail(error, SY_E_CONFIG, "reject was requested by the test");
    instance *self = calloc(1, sizeof *self);
    self->hinst = hinst;
    host->log(hinst, NULL, SY_LOG_INFO, text("fixture instance created"));
    if (host->metric_define(hinst, SY_METRIC_COUNTER, text("fixture_calls"), text("kind"), &self->metric) != SY_OK)
        return fail(error, SY_E_INTERNAL, "metric_define failed");
    size_t needed = 0;
    if (host->secret_get(hinst, text("FIXTURE_SECRET"), (uint8_t *)self->secret, sizeof self->secret - 1, &needed) != SY_OK)
        strcpy(self->secret, "unset");
    self->scratch = host->alloc(hinst, 1000);
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance raw) {
    instance *self = raw;
    host->free(self->hinst, self->scratch);
    free(self);
}

static sy_status generate(sy_instance raw, sy_call call, const sy_call_info *info, sy_bytes request, const sy_sink *out, sy_error *error) {
    (void)call; (void)request; (void)error;
    instance *self = raw;
    sy_bytes label = text("generate");
    host->metric_record(self->hinst, self->metric, 1.0, &label, 1);
    char json[256];
    int length = snprintf(json, sizeof json, "{\"model\":\"%.*s\",\"secret\":\"%s\",\"stream\":%u}",
                          (int)info->upstream_model.len, (const char *)info->upstream_model.ptr, self->secret, info->stream);
    sy_bytes body = { (const uint8_t *)json, (size_t)length };
    if (out->write(out->ctx, SY_OUT_JSON, body) != SY_OK) return SY_E_CANCELLED;
    return out->write(out->ctx, SY_OUT_META_JSON, text("{\"usage\":{\"prompt_tokens\":1,\"completion_tokens\":2}}"));
}

static const sy_provider_v1 provider = { sizeof(sy_provider_v1), NULL, NULL, generate };

static const void *get_interface(sy_instance raw, const char *id) {
    (void)raw;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

#ifndef FIXTURE_PLUGIN_MINOR
#define FIXTURE_PLUGIN_MINOR SY_ABI_MINOR
#endif

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), FIXTURE_PLUGIN_MINOR, "dev.switchyard.test.fixture", "0.0.1",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]}", 0, 0,
#ifdef FIXTURE_BAD_TABLE
    NULL,
#else
    instance_new,
#endif
    instance_free, get_interface,
};

#ifdef FIXTURE_NO_ENTRY
SY_EXPORT sy_status not_the_entry(sy_negotiate *n) {
#else
SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *n) {
#endif
#ifdef FIXTURE_MAJOR
    n->abi_major = FIXTURE_MAJOR;
    return SY_E_ABI;
#endif
#ifdef FIXTURE_NEEDS_MINOR
    n->required_minor = FIXTURE_NEEDS_MINOR;
    return SY_E_ABI;
#endif
    if (n->abi_major != SY_ABI_MAJOR) return SY_E_ABI;
    if (n->abi_minor > SY_ABI_MINOR) n->abi_minor = SY_ABI_MINOR;
    host = n->host;
    n->plugin = &api;
    return SY_OK;
}
