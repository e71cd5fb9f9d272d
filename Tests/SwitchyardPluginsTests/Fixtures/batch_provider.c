/* A provider with an inline batch table (sy_provider_batch_v1), to test the host's side of it
 * (ProviderPlugin.batchRequest / batchCreatePart / batchStatus / batchResult): each hook does
 * what its input asks, so a test can make it misbehave.
 *   request:     batch_id "body" appends a body; "relative" sets the URL "/x"; "nourl" sets
 *                nothing; "fail" returns
 *                SY_E_INVALID "no such batch"; else method GET, URL http://127.0.0.1:9/b/<op>/<id>
 *                and the header "X-Seen: op=<op> id=<id length>".
 *   create_part: line "json" writes SY_OUT_JSON; "fail" returns SY_E_UNSUPPORTED "line refused";
 *                else two SY_OUT_BYTES writes: "<part>:<index>:" then the line, with a write of
 *                kind 99 (a newer plugin's, which the host ignores) between them when the line
 *                is "newkind".
 *   status, result: input "two" writes two JSON objects; "none" nothing; "bytes" SY_OUT_BYTES;
 *                "meta" SY_OUT_META_JSON; "bad" "{not json" as SY_OUT_JSON; "fail" returns
 *                SY_E_UPSTREAM; "newkind" writes kind 99 first (ignored); else
 *                {"hook":"status"|"result","length":<input length>}.
 *   -DFIXTURE_HALF_BATCH: the batch table has no `result` (the host must refuse the table).
 *   -DFIXTURE_SHORT_TABLE: the provider's struct_size ends before `batch` (a table from before
 *                it), which must read as NULL although the pointer is set. */
#include <stdio.h>
#include <string.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

static sy_bytes text(const char *s) { sy_bytes b = { (const uint8_t *)s, strlen(s) }; return b; }

static int is(sy_bytes input, const char *word) { return input.len == strlen(word) && memcmp(input.ptr, word, input.len) == 0; }

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
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

static sy_status request(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t op, sy_bytes id, sy_http_out out, sy_error *error) {
    (void)call; (void)info;
    sy_hinst h = (sy_hinst)instance;
    if (is(id, "fail")) return fail(error, SY_E_INVALID, "no such batch");
    if (is(id, "relative")) return host->http_out_set_url(h, out, text("/x"));
    if (is(id, "nourl")) return SY_OK;
    char url[256], seen[64];
    snprintf(url, sizeof url, "http://127.0.0.1:9/b/%u/%.*s", op, (int)id.len, (const char *)id.ptr);
    snprintf(seen, sizeof seen, "op=%u id=%zu", op, id.len);
    host->http_out_set_method(h, out, text("GET"));
    host->http_out_set_url(h, out, text(url));
    host->http_out_add_header(h, out, text("X-Seen"), text(seen));
    if (is(id, "body")) host->http_out_append_body(h, out, text("{}"));
    return SY_OK;
}

static sy_status create_part(sy_instance instance, sy_call call, const sy_call_info *info, uint32_t part, uint64_t index, sy_bytes line, sy_sink out, sy_error *error) {
    (void)call; (void)info;
    sy_hinst h = (sy_hinst)instance;
    if (is(line, "fail")) return fail(error, SY_E_UNSUPPORTED, "line refused");
    if (is(line, "json")) return host->sink_write(h, out, SY_OUT_JSON, text("{}"));
    char head[64];
    snprintf(head, sizeof head, "%u:%llu:", part, (unsigned long long)index);
    sy_status status = host->sink_write(h, out, SY_OUT_BYTES, text(head));
    if (status == SY_OK && is(line, "newkind")) status = host->sink_write(h, out, 99u, text("ignored"));
    return status != SY_OK ? status : host->sink_write(h, out, SY_OUT_BYTES, line);
}

static sy_status answer(const char *hook, sy_hinst h, sy_bytes input, sy_sink out, sy_error *error) {
    if (is(input, "fail")) return fail(error, SY_E_UPSTREAM, "not a batch");
    if (is(input, "none")) return SY_OK;
    if (is(input, "bytes")) return host->sink_write(h, out, SY_OUT_BYTES, text("{}"));
    if (is(input, "meta")) return host->sink_write(h, out, SY_OUT_META_JSON, text("{}"));
    if (is(input, "bad")) return host->sink_write(h, out, SY_OUT_JSON, text("{not json"));
    if (is(input, "newkind") && host->sink_write(h, out, 99u, text("ignored")) != SY_OK) return fail(error, SY_E_INTERNAL, "kind 99 refused");
    char json[96];
    snprintf(json, sizeof json, "{\"hook\":\"%s\",\"length\":%zu}", hook, input.len);
    sy_status status = host->sink_write(h, out, SY_OUT_JSON, text(json));
    if (status == SY_OK && is(input, "two")) return host->sink_write(h, out, SY_OUT_JSON, text(json));
    return status;
}

static sy_status status(sy_instance instance, sy_call call, const sy_call_info *info, sy_bytes object, sy_sink out, sy_error *error) {
    (void)call; (void)info;
    return answer("status", (sy_hinst)instance, object, out, error);
}

static sy_status result(sy_instance instance, sy_call call, const sy_call_info *info, sy_bytes line, sy_sink out, sy_error *error) {
    (void)call; (void)info;
    return answer("result", (sy_hinst)instance, line, out, error);
}

static const sy_provider_batch_v1 batch = {
    sizeof(sy_provider_batch_v1), request, create_part, status,
#ifdef FIXTURE_HALF_BATCH
    NULL,
#else
    result,
#endif
};

static const sy_provider_v1 provider = {
#ifdef FIXTURE_SHORT_TABLE
    offsetof(sy_provider_v1, batch),
#else
    sizeof(sy_provider_v1),
#endif
    NULL, NULL, generate, NULL, &batch,
};

static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.batch", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"batches\"]}",
    0, 0, instance_new, instance_free, get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &api;
    return SY_OK;
}
