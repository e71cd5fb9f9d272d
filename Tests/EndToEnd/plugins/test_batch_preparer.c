/* test_batch_preparer: a batch preparer (switchyard.batch/1) written in C, for the host's batch
 * tests (Tests/SwitchyardPluginsTests/BatchPreparerPluginTests.swift; the end-to-end batch tests
 * may load it too). What it does with a line depends on a marker in the line:
 *
 *   REFUSE_ME   returns SY_E_INVALID, "the line holds REFUSE_ME"
 *   ROUTE_ME    writes {"custom_id":"route","method":"POST","url":"/v1/chat/completions","body":{"model":"echo-1",
 *               "route":R}} instead, R = the host's call_route answer for model "fast"
 *   BYTES_ME    writes the line as SY_OUT_BYTES (the host must refuse that kind)
 *   TWICE_ME    writes {"n":1} twice (the host must refuse the second)
 *   NEWKIND_ME  writes kind 99 (a newer plugin's; the host ignores it) and nothing else
 *   TIMEOUT_ME  returns SY_E_TIMEOUT; NOMEM_ME returns SY_E_NOMEM (failures, not refusals)
 *   anything else: writes nothing (the line goes on unchanged)
 *
 * begin returns SY_E_INVALID ("no batches today") when the batch request contains
 * "refuse_batch", and end does when the batch request contains "refuse_end". Every begin, end
 * and state_free is counted; a line with STATS_ME is replaced by {"custom_id":"stats","method":"POST","url":
 * "/v1/chat/completions","body":{"model":"echo-1","begins":B,"ends":E,"frees":F,"lines":L,
 * "provider_seen":P}} (P = 1 when call_metadata named a provider at begin), so a test sees that
 * state_free ran once per begun batch. */
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"

static const sy_host_api *host;

typedef struct preparer {
    sy_hinst hinst;
    atomic_long begins, ends, frees;
    sy_batch_v1 table;
} preparer;

typedef struct batch {
    preparer *owner;
    sy_call call;
    int refuse_end, provider_seen;
    long lines;
} batch;

static int contains(sy_bytes bytes, const char *marker) {
    size_t length = strlen(marker);
    for (size_t i = 0; bytes.ptr && i + length <= bytes.len; i++) {
        if (memcmp(bytes.ptr + i, marker, length) == 0) return 1;
    }
    return 0;
}

static sy_status fail(sy_error *error, const char *message) {
    error->code = SY_E_INVALID;
    snprintf(error->message, sizeof error->message, "%s", message);
    return SY_E_INVALID;
}

static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info, sy_state *out_state, sy_error *error) {
    preparer *self = instance;
    if (info->operation != SY_OP_BATCHES) return fail(error, "begin without SY_OP_BATCHES");
    if (contains(info->request, "refuse_batch")) return fail(error, "no batches today");
    batch *state = calloc(1, sizeof *state);
    state->owner = self;
    state->call = call;
    state->refuse_end = contains(info->request, "refuse_end");
    state->provider_seen = contains(host->call_metadata(call), "\"provider\":\"");
    atomic_fetch_add(&self->begins, 1);
    *out_state = state;
    return SY_OK;
}

static sy_status write_json(batch *state, sy_sink out, uint32_t kind, const char *text, size_t length) {
    sy_bytes bytes = { (const uint8_t *)text, length };
    return host->sink_write(state->owner->hinst, out, kind, bytes);
}

static sy_status line(sy_state state_, uint64_t number, sy_bytes text, sy_sink out, sy_error *error) {
    batch *state = state_;
    (void)number;
    state->lines++;
    if (contains(text, "REFUSE_ME")) return fail(error, "the line holds REFUSE_ME");
    if (contains(text, "ROUTE_ME")) {
        sy_bytes model = { (const uint8_t *)"fast", 4 };
        sy_bytes route = host->call_route(state->call, model);
        if (route.len == 0 || route.len > 512) return fail(error, "call_route found no route for 'fast'");
        char wrapped[640];
        int length = snprintf(wrapped, sizeof wrapped, "{\"custom_id\":\"route\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"echo-1\",\"route\":%.*s}}",
                              (int)route.len, (const char *)route.ptr);
        return write_json(state, out, SY_OUT_JSON, wrapped, (size_t)length);
    }
    if (contains(text, "BYTES_ME")) {
        sy_status status = write_json(state, out, SY_OUT_BYTES, (const char *)text.ptr, text.len);
        return status == SY_OK ? SY_OK : fail(error, "the host refused SY_OUT_BYTES");
    }
    if (contains(text, "TWICE_ME")) {
        write_json(state, out, SY_OUT_JSON, "{\"n\":1}", 7);
        sy_status status = write_json(state, out, SY_OUT_JSON, "{\"n\":1}", 7);
        return status == SY_OK ? SY_OK : fail(error, "the host refused a second write");
    }
    if (contains(text, "NEWKIND_ME")) {
        sy_status status = write_json(state, out, 99u, "anything", 8);
        return status == SY_OK ? SY_OK : fail(error, "the host refused an unknown kind");
    }
    if (contains(text, "TIMEOUT_ME") || contains(text, "NOMEM_ME")) {
        sy_status status = contains(text, "TIMEOUT_ME") ? SY_E_TIMEOUT : SY_E_NOMEM;
        error->code = status;
        snprintf(error->message, sizeof error->message, "%s", "the preparer's backend is away");
        return status;
    }
    if (contains(text, "STATS_ME")) {
        char report[320];
        preparer *self = state->owner;
        int length = snprintf(report, sizeof report, "{\"custom_id\":\"stats\",\"method\":\"POST\",\"url\":\"/v1/chat/completions\",\"body\":{\"model\":\"echo-1\",\"begins\":%ld,\"ends\":%ld,\"frees\":%ld,\"lines\":%ld,\"provider_seen\":%d}}",
                              atomic_load(&self->begins), atomic_load(&self->ends), atomic_load(&self->frees), state->lines, state->provider_seen);
        return write_json(state, out, SY_OUT_JSON, report, (size_t)length);
    }
    return SY_OK;
}

static sy_status end(sy_state state_, sy_error *error) {
    batch *state = state_;
    atomic_fetch_add(&state->owner->ends, 1);
    return state->refuse_end ? fail(error, "the batch ended badly") : SY_OK;
}

static void state_free(sy_state state_) {
    batch *state = state_;
    atomic_fetch_add(&state->owner->frees, 1);
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
    preparer *self = calloc(1, sizeof *self);
    self->hinst = h;
    self->table = (sy_batch_v1){ sizeof(sy_batch_v1), begin, line, end, state_free };
    *out = self;
    return SY_OK;
}

static void instance_free(sy_instance instance) { free(instance); }

static const void *get_interface(sy_instance instance, const char *id) {
    if (strcmp(id, SY_IFACE_BATCH) != 0) return NULL;
    return &((preparer *)instance)->table;
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.batch", "1.0.0",
    "{\"kinds\":[\"batch\"],\"interfaces\":[\"switchyard.batch/1\"]}",
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
