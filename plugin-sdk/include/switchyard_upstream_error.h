/*
 * switchyard_upstream_error.h -- the upstream error policy every provider shares, for C and C++.
 *
 * Header-only (static inline), no ABI of its own: it only calls host->sink_write and fills the
 * host's sy_error. The Swift SDK (UpstreamErrorPolicy.swift) and the Rust SDK implement the same
 * rule; docs/decisions/0032-sdk-upstream-error-policy.md says why it is SDK code, not a host
 * service. The JSON reader that decides what may be passed on is switchyard_json.h.
 *
 *  - error type by status: 400 invalid_request_error, 401 authentication_error, 403
 *    permission_error, 404 not_found_error, 429 rate_limit_error, 503 overloaded_error, other 5xx
 *    api_error, other 4xx invalid_request_error, anything else api_error;
 *  - retryable (the router may fail over): 408, 429 and every status >= 500;
 *  - at most the first 64 KiB of an error body are kept;
 *  - a body that is a JSON object with an "error" object goes to the client as it is; any other
 *    body becomes {"error":{"message":"upstream returned HTTP <status>: <its first 200 bytes>",
 *    "type":<type by status>,"param":null,"code":null}};
 *  - the call fails with SY_E_UPSTREAM, http_status = the upstream's status, retryable as above.
 *
 * Use from a response transformer: in begin, for a status outside 200-299, allocate one
 * sy_upstream_error_body (sy_upstream_error_body_new; 64 KiB, so only for errors) and keep it in
 * your state; in data, sy_upstream_error_body_append(body, chunk); in end,
 * `return sy_upstream_error_finish(host, hinst, out, body, error);`; in state_free, free(body).
 * Threading: none of its own; each function touches only its arguments.
 */
#ifndef SWITCHYARD_UPSTREAM_ERROR_H
#define SWITCHYARD_UPSTREAM_ERROR_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"
#include "switchyard_json.h" /* the strict JSON reader that decides what may be passed on */

#ifdef __cplusplus
extern "C" {
#endif

#define SY_UPSTREAM_ERROR_BODY_BYTES 65536u  /* the most of an error body that is kept */
#define SY_UPSTREAM_ERROR_EXCERPT_BYTES 200u /* quoted in the message of a body that is not JSON */
#define SY_UPSTREAM_ERROR_MAX_DEPTH SY_JSON_MAX_DEPTH /* nesting accepted in a passed-on body */

/* The OpenAI error type for an upstream HTTP status. */
static inline const char *sy_upstream_error_type(uint32_t http_status) {
    switch (http_status) {
    case 400: return "invalid_request_error";
    case 401: return "authentication_error";
    case 403: return "permission_error";
    case 404: return "not_found_error";
    case 429: return "rate_limit_error";
    case 503: return "overloaded_error";
    default: break;
    }
    if (http_status >= 500 && http_status <= 599) return "api_error";
    if (http_status >= 400 && http_status <= 499) return "invalid_request_error";
    return "api_error";
}

/* 1 when another attempt (a fallback, a later retry) may succeed: timeouts, rate limits,
 * server trouble. */
static inline uint32_t sy_upstream_error_retryable(uint32_t http_status) {
    return http_status == 408 || http_status == 429 || http_status >= 500;
}

/* The first SY_UPSTREAM_ERROR_BODY_BYTES of one error response. Plugin-owned, one per call. */
typedef struct sy_upstream_error_body {
    uint32_t http_status;
    size_t length;
    uint8_t bytes[SY_UPSTREAM_ERROR_BODY_BYTES];
} sy_upstream_error_body;

/* calloc'd (release it with free()); NULL when out of memory. */
static inline sy_upstream_error_body *sy_upstream_error_body_new(uint32_t http_status) {
    sy_upstream_error_body *body =
        (sy_upstream_error_body *)calloc(1, sizeof(sy_upstream_error_body));
    if (body != NULL) body->http_status = http_status;
    return body;
}

/* Keeps what still fits of `chunk`; the rest of the body is dropped. */
static inline void sy_upstream_error_body_append(sy_upstream_error_body *body, sy_bytes chunk) {
    size_t room = SY_UPSTREAM_ERROR_BODY_BYTES - body->length;
    size_t take = chunk.len < room ? chunk.len : room;
    if (take > 0) memcpy(body->bytes + body->length, chunk.ptr, take);
    body->length += take;
}

/* 1 when `json` is exactly one JSON object with an "error" member that is an object. */
static inline int sy_upstream_error_is_error_object(const uint8_t *json, size_t length) {
    sy_bytes document = { json, length };
    return sy_json_member_object(document, "error", NULL);
}

/* Appends `text` as the inside of a JSON string to out: quotes, backslashes and control
 * characters escaped, anything that is not well-formed UTF-8 (a sequence cut at the end
 * included) as U+FFFD. Returns the number of bytes written: at most 6 per byte of text. */
static inline size_t sy_upstream_error_escape(char *out, const uint8_t *text, size_t length) {
    size_t written = 0;
    sy_json_cursor c = { text, text + length };
    while (c.at < c.end) {
        uint8_t byte = *c.at;
        const uint8_t *start = c.at;
        if (byte == '"' || byte == '\\') {
            out[written++] = '\\';
            out[written++] = (char)byte;
            c.at++;
        } else if (byte < 0x20) {
            written += (size_t)sprintf(out + written, "\\u%04x", byte);
            c.at++;
        } else if (sy_json_utf8(&c)) {
            memcpy(out + written, start, (size_t)(c.at - start));
            written += (size_t)(c.at - start);
        } else {
            memcpy(out + written, "\\ufffd", 6);
            written += 6;
            c.at++;
        }
    }
    return written;
}

/* The client's error for a body that may not go on as it is: {"error":{"message":"upstream
 * returned HTTP <status>: <the body's first 200 bytes>","type":<by status>,"param":null,
 * "code":null}}, written to out (room for SY_UPSTREAM_ERROR_SYNTHESIZED_BYTES). Returns its
 * length. */
#define SY_UPSTREAM_ERROR_SYNTHESIZED_BYTES (SY_UPSTREAM_ERROR_EXCERPT_BYTES * 6 + 256)
static inline size_t sy_upstream_error_synthesize(char *out, const sy_upstream_error_body *body) {
    size_t excerpt = body->length;
    if (excerpt > SY_UPSTREAM_ERROR_EXCERPT_BYTES) excerpt = SY_UPSTREAM_ERROR_EXCERPT_BYTES;
    size_t length = (size_t)sprintf(out, "{\"error\":{\"message\":\"upstream returned HTTP %u%s",
                                    (unsigned)body->http_status, excerpt > 0 ? ": " : "");
    length += sy_upstream_error_escape(out + length, body->bytes, excerpt);
    length += (size_t)sprintf(out + length, "\",\"type\":\"%s\",\"param\":null,\"code\":null}}",
                              sy_upstream_error_type(body->http_status));
    return length;
}

/* Ends a call the upstream answered with an error: writes the client's error through
 * host->sink_write (SY_OUT_ERROR_JSON; `out` is the sink of the end() that calls this), fills
 * `error` (code, http_status, retryable, message) and returns SY_E_UPSTREAM. */
static inline sy_status sy_upstream_error_finish(const sy_host_api *host, sy_hinst h, sy_sink out,
                                                 const sy_upstream_error_body *body,
                                                 sy_error *error) {
    uint32_t status = body->http_status;
    error->code = SY_E_UPSTREAM;
    error->http_status = status;
    error->retryable = sy_upstream_error_retryable(status);
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "upstream returned HTTP %u",
             (unsigned)status);
    sy_bytes client_error = { body->bytes, body->length };
    char synthesized[SY_UPSTREAM_ERROR_SYNTHESIZED_BYTES];
    if (!sy_upstream_error_is_error_object(body->bytes, body->length)) {
        client_error.ptr = (const uint8_t *)synthesized;
        client_error.len = sy_upstream_error_synthesize(synthesized, body);
    }
    /* A refused write changes nothing: the call fails either way. */
    host->sink_write(h, out, SY_OUT_ERROR_JSON, client_error);
    return SY_E_UPSTREAM;
}

#ifdef __cplusplus
}
#endif
#endif /* SWITCHYARD_UPSTREAM_ERROR_H */
