/* batch-max-tokens: a Switchyard batch preparer in plain C. Every line of a native batch
 * (/v1/batches) passes through it before the batch goes to its provider:
 *  - a line whose body asks for more than `max_tokens` (its "max_tokens" or
 *    "max_completion_tokens") is refused, and the batch with it: the client's error names the line;
 *  - a line that asks for no limit gets `"max_tokens": <max_tokens>` added to its body (the line
 *    is replaced: one SY_OUT_JSON);
 *  - any other line goes on unchanged (nothing written, nothing copied).
 *
 *   plugins:
 *     - name: cap
 *       path: /abs/path/libbatch_max_tokens.so
 *       config: { max_tokens: 256 }
 *   batch_preparers:
 *     - plugin: cap
 *
 * It reads the line with the C SDK's switchyard_json.h (the top-level members of the line and of
 * its body), not a parsed tree: short enough to read in one sitting. The host has already
 * checked that the line is one JSON object whose keys are each named once, with `method`, `url`
 * and `body`. Plugins/batch-models is a real one (Swift).
 * Build: make (see the Makefile for the flags every plugin should use). */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"
#include "switchyard_json.h" /* the C SDK's helper: the members of a JSON object */

/* The host table, valid for the life of the process (set once in sy_plugin_entry). */
static const sy_host_api *host;

typedef struct cap_instance {
    sy_hinst hinst;     /* names this instance in every host call */
    long max_tokens;    /* immutable after instance_new: batches run on several loops at once */
} cap_instance;

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

/* A JSON integer value (as sy_json_member found it) in *out: 1; 0 for anything else (a
 * fraction, an exponent, a string, more digits than a long takes). */
static int read_integer(sy_bytes value, long *out) {
    char digits[24];
    char *stop;
    if (value.len == 0 || value.len >= sizeof digits) return 0;
    memcpy(digits, value.ptr, value.len);
    digits[value.len] = '\0';
    errno = 0;
    *out = strtol(digits, &stop, 10);
    return stop == digits + value.len && errno == 0;
}

/* [control] The config, checked against the manifest's schema: {"max_tokens": 1..1000000}. */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    sy_bytes value;
    long max_tokens = 0;
    if (!sy_json_member(config, "max_tokens", &value) || !read_integer(value, &max_tokens) ||
        max_tokens < 1) {
        return fail(error, SY_E_CONFIG, "max_tokens must be a positive integer");
    }
    cap_instance *self = calloc(1, sizeof *self);
    if (self == NULL) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    self->max_tokens = max_tokens;
    *out = self;
    return SY_OK;
}

/* [control] after the last batch on the instance. */
static void instance_free(sy_instance instance) {
    free(instance);
}

/* One batch begins. No per-batch state is needed: the instance is the state every line sees. */
static sy_status begin(sy_instance instance, sy_call call, const sy_call_info *info,
                       sy_state *out_state, sy_error *error) {
    (void)call;
    (void)info;
    (void)error;
    *out_state = instance;
    return SY_OK;
}

/* The line with `"max_tokens":<limit>` added at the start of its body, written as one
 * SY_OUT_JSON (the host copies it). `body` points into `text`. */
static sy_status write_capped(const cap_instance *self, sy_bytes text, sy_bytes body, sy_sink out,
                              sy_error *error) {
    const uint8_t *after_brace = body.ptr + 1;
    const uint8_t *end = body.ptr + body.len;
    while (after_brace < end && sy_json_is_space(*after_brace)) after_brace++;
    const char *separator = *after_brace == '}' ? "" : ","; /* an empty body takes no comma */
    char limit[48];
    int limit_length = snprintf(limit, sizeof limit, "\"max_tokens\":%ld%s", self->max_tokens,
                                separator);
    size_t head = (size_t)(body.ptr + 1 - text.ptr); /* the line up to and with the brace */
    size_t length = text.len + (size_t)limit_length;
    char *replaced = malloc(length);
    if (replaced == NULL) return fail(error, SY_E_NOMEM, "out of memory");
    memcpy(replaced, text.ptr, head);
    memcpy(replaced + head, limit, (size_t)limit_length);
    memcpy(replaced + head + (size_t)limit_length, text.ptr + head, text.len - head);
    sy_bytes line_out = { (const uint8_t *)replaced, length };
    sy_status status = host->sink_write(self->hinst, out, SY_OUT_JSON, line_out);
    free(replaced);
    if (status != SY_OK) return fail(error, status, "the host refused the replaced line");
    return SY_OK;
}

/* One line: keep it (write nothing), replace it (one SY_OUT_JSON on `out`, a handle valid until
 * this returns) or refuse it (an error: the host names the line and this preparer). */
static sy_status line(sy_state state, uint64_t number, sy_bytes text, sy_sink out,
                      sy_error *error) {
    const cap_instance *self = state;
    sy_bytes body;
    sy_bytes asked;
    (void)number;
    if (!sy_json_member_object(text, "body", &body)) {
        return fail(error, SY_E_INVALID, "the line has no body object");
    }
    /* Both names are checked: a line asking for a small max_tokens and a huge
     * max_completion_tokens must not slip past the cap. */
    const char *names[] = { "max_tokens", "max_completion_tokens" };
    int has_limit = 0;
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!sy_json_member(body, names[i], &asked)) continue;
        has_limit = 1;
        long tokens;
        if (!read_integer(asked, &tokens)) {
            return fail(error, SY_E_INVALID, "max_tokens is not a number");
        }
        if (tokens > self->max_tokens) {
            char message[160];
            snprintf(message, sizeof message, "%s %ld is over this gateway's limit of %ld", names[i],
                     tokens, self->max_tokens);
            return fail(error, SY_E_INVALID, message);
        }
    }
    if (!has_limit) return write_capped(self, text, body, out, error); /* no limit asked */
    return SY_OK;
}

static sy_status end(sy_state state, sy_error *error) {
    (void)state;
    (void)error;
    return SY_OK;
}

static void state_free(sy_state state) {
    (void)state; /* nothing per batch: the state is the instance */
}

static const sy_batch_v1 preparer = { sizeof(sy_batch_v1), begin, line, end, state_free };

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
    if (strcmp(id, SY_IFACE_BATCH) == 0) return &preparer;
    return NULL;
}

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.example.batch-max-tokens", "1.0.0",
    "{\"kinds\":[\"batch\"],\"interfaces\":[\"switchyard.batch/1\"],\"toolchain\":\"c\","
    "\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false,"
    "\"required\":[\"max_tokens\"],\"properties\":{"
    "\"max_tokens\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":1000000}}}}",
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
