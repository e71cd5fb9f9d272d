/* A provider with a `passthrough` hook, to test the host's side of it (ProviderPlugin.passthrough).
 * It answers translated calls through `generate` (so the table is usable) and, in passthrough,
 * does what the client's path asks:
 *   "/set-method"  sets the URL, then tries http_out_set_method("PUT"): must be SY_E_INVALID
 *   "/append-body" sets the URL, then tries http_out_append_body("x"): must be SY_E_INVALID
 *                  (either returns SY_E_UNSUPPORTED "not refused" when the host took the call)
 *   "/no-url"      adds its header and no URL
 *   "/fail"        returns SY_E_UNSUPPORTED, http_status 404, "no such route"
 *   anything else  URL http://127.0.0.1:9 + path, then headers "x-fixture-key: k1" and
 *                  "X-Seen: op=<operation> request=<request length> method=<method>"
 *   -DFIXTURE_SHORT_TABLE: struct_size ends before `passthrough` (a table from before the hook),
 *                  which must read as NULL although the pointer is set. */
#include <stdio.h>
#include <string.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static int is(sy_bytes path, const char *word) { return path.len == strlen(word) && memcmp(path.ptr, word, path.len) == 0; }

static sy_status fail(sy_error *error, sy_status code, uint32_t http_status, const char *message) {
    error->code = code;
    error->http_status = http_status;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)config; (void)error;
    *out = hinst; /* the instance is nothing but the host's handle on it */
    return SY_OK;
}

static void instance_free(sy_instance instance) { (void)instance; }

static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info, sy_bytes request, sy_sink out, sy_error *error) {
    (void)call; (void)info; (void)request; (void)error;
    return host->sink_write((sy_hinst)instance, out, SY_OUT_JSON, text("{\"object\":\"fixture\"}"));
}

static sy_status passthrough(sy_instance instance, sy_call call, const sy_call_info *info, sy_bytes method, sy_bytes path,
                             sy_http_out out, sy_error *error) {
    (void)call;
    sy_hinst hinst_of_instance = (sy_hinst)instance;
    if (is(path, "/fail")) return fail(error, SY_E_UNSUPPORTED, 404, "no such route");
    char url[512];
    snprintf(url, sizeof url, "http://127.0.0.1:9%.*s", (int)path.len, (const char *)path.ptr);
    if (!is(path, "/no-url")) host->http_out_set_url(hinst_of_instance, out, text(url));
    if (is(path, "/set-method"))
        return host->http_out_set_method(hinst_of_instance, out, text("PUT")) == SY_E_INVALID
            ? SY_OK : fail(error, SY_E_UNSUPPORTED, 0, "set_method not refused");
    if (is(path, "/append-body"))
        return host->http_out_append_body(hinst_of_instance, out, text("x")) == SY_E_INVALID
            ? SY_OK : fail(error, SY_E_UNSUPPORTED, 0, "append_body not refused");
    host->http_out_add_header(hinst_of_instance, out, text("x-fixture-key"), text("k1"));
    char seen[256];
    snprintf(seen, sizeof seen, "op=%u request=%zu method=%.*s", info->operation, info->request.len, (int)method.len,
             (const char *)method.ptr);
    return host->http_out_add_header(hinst_of_instance, out, text("X-Seen"), text(seen));
}

static const sy_provider_v1 provider = {
#ifdef FIXTURE_SHORT_TABLE
    offsetof(sy_provider_v1, passthrough),
#else
    sizeof(sy_provider_v1),
#endif
    NULL, NULL, generate, passthrough, NULL,
};

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.passthrough", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &api;
    return SY_OK;
}
