/*
 * switchyard_upstream_error.h -- the upstream error policy every provider shares, for C and C++.
 *
 * Header-only (static inline), no ABI of its own: it only calls host->sink_write and fills the
 * host's sy_error. The Swift SDK (UpstreamErrorPolicy.swift) and the Rust SDK implement the same
 * rule; docs/decisions/0032-sdk-upstream-error-policy.md says why it is SDK code, not a host service.
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

#ifdef __cplusplus
extern "C" {
#endif

#define SY_UPSTREAM_ERROR_BODY_BYTES 65536u  /* the most of an error body that is kept */
#define SY_UPSTREAM_ERROR_EXCERPT_BYTES 200u /* quoted in the message of a body that is not JSON */
#define SY_UPSTREAM_ERROR_MAX_DEPTH 64       /* nesting accepted in a passed-on body (the host takes 256) */

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

/* 1 when another attempt (a fallback, a later retry) may succeed: timeouts, rate limits, server trouble. */
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
    sy_upstream_error_body *body = (sy_upstream_error_body *)calloc(1, sizeof(sy_upstream_error_body));
    if (body) body->http_status = http_status;
    return body;
}

/* Keeps what still fits of `chunk`; the rest of the body is dropped. */
static inline void sy_upstream_error_body_append(sy_upstream_error_body *body, sy_bytes chunk) {
    size_t room = SY_UPSTREAM_ERROR_BODY_BYTES - body->length;
    size_t take = chunk.len < room ? chunk.len : room;
    if (take) memcpy(body->bytes + body->length, chunk.ptr, take);
    body->length += take;
}

/* ---- A strict JSON reader, just enough to tell whether a body may go to the client as it is.
 * Stricter than the host's check (RFC 8259, RFC 3629 UTF-8, no lone surrogate escapes, depth), so
 * whatever it accepts the host accepts too. Each returns the position after what it read, or NULL. */
typedef struct sy_json_cursor { const uint8_t *at, *end; } sy_json_cursor;

static inline void sy_json_space(sy_json_cursor *c) {
    while (c->at < c->end && (*c->at == ' ' || *c->at == '\t' || *c->at == '\n' || *c->at == '\r')) c->at++;
}

static inline int sy_json_hex4(const uint8_t *p, const uint8_t *end, uint32_t *out) {
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        if (p + i >= end) return 0;
        uint8_t d = p[i];
        uint32_t digit = d >= '0' && d <= '9' ? (uint32_t)(d - '0') : d >= 'a' && d <= 'f' ? (uint32_t)(d - 'a' + 10)
                       : d >= 'A' && d <= 'F' ? (uint32_t)(d - 'A' + 10) : 16u;
        if (digit == 16u) return 0;
        value = value * 16u + digit;
    }
    *out = value;
    return 1;
}

/* One UTF-8 sequence at c->at (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
static inline int sy_json_utf8(sy_json_cursor *c) {
    const uint8_t *p = c->at;
    size_t left = (size_t)(c->end - p);
    if (p[0] < 0x80) { c->at++; return 1; }
    int n = p[0] >= 0xC2 && p[0] <= 0xDF ? 2 : p[0] >= 0xE0 && p[0] <= 0xEF ? 3 : p[0] >= 0xF0 && p[0] <= 0xF4 ? 4 : 0;
    if (n == 0 || left < (size_t)n) return 0;
    for (int i = 1; i < n; i++) if ((p[i] & 0xC0) != 0x80) return 0;
    if ((p[0] == 0xE0 && p[1] < 0xA0) || (p[0] == 0xED && p[1] > 0x9F) ||
        (p[0] == 0xF0 && p[1] < 0x90) || (p[0] == 0xF4 && p[1] > 0x8F)) return 0;
    c->at += n;
    return 1;
}

static inline int sy_json_string(sy_json_cursor *c) {
    if (c->at >= c->end || *c->at != '"') return 0;
    c->at++;
    while (c->at < c->end) {
        uint8_t b = *c->at;
        if (b == '"') { c->at++; return 1; }
        if (b < 0x20) return 0;
        if (b != '\\') { if (!sy_json_utf8(c)) return 0; continue; }
        if (c->at + 1 >= c->end) return 0;
        uint8_t e = c->at[1];
        if (e != 'u') {
            if (!strchr("\"\\/bfnrt", e) || e == 0) return 0;
            c->at += 2;
            continue;
        }
        uint32_t unit;
        if (!sy_json_hex4(c->at + 2, c->end, &unit)) return 0;
        c->at += 6;
        if (unit >= 0xDC00 && unit <= 0xDFFF) return 0;
        if (unit >= 0xD800 && unit <= 0xDBFF) { /* a high surrogate needs its low one */
            uint32_t low;
            if (c->at + 1 >= c->end || c->at[0] != '\\' || c->at[1] != 'u' || !sy_json_hex4(c->at + 2, c->end, &low) ||
                low < 0xDC00 || low > 0xDFFF) return 0;
            c->at += 6;
        }
    }
    return 0;
}

static inline int sy_json_number(sy_json_cursor *c) {
    const uint8_t *p = c->at, *end = c->end;
    if (p < end && *p == '-') p++;
    if (p >= end) return 0;
    if (*p == '0') p++;
    else if (*p >= '1' && *p <= '9') while (p < end && *p >= '0' && *p <= '9') p++;
    else return 0;
    if (p < end && *p == '.') {
        if (++p >= end || *p < '0' || *p > '9') return 0;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    if (p < end && (*p == 'e' || *p == 'E')) {
        p++;
        if (p < end && (*p == '+' || *p == '-')) p++;
        if (p >= end || *p < '0' || *p > '9') return 0;
        while (p < end && *p >= '0' && *p <= '9') p++;
    }
    c->at = p;
    return 1;
}

static inline int sy_json_literal(sy_json_cursor *c, const char *word) {
    size_t n = strlen(word);
    if ((size_t)(c->end - c->at) < n || memcmp(c->at, word, n) != 0) return 0;
    c->at += n;
    return 1;
}

static inline int sy_json_value(sy_json_cursor *c, int depth) {
    sy_json_space(c);
    if (c->at >= c->end) return 0;
    uint8_t b = *c->at;
    if (b == '"') return sy_json_string(c);
    if (b == 't') return sy_json_literal(c, "true");
    if (b == 'f') return sy_json_literal(c, "false");
    if (b == 'n') return sy_json_literal(c, "null");
    if (b != '{' && b != '[') return sy_json_number(c);
    if (depth >= SY_UPSTREAM_ERROR_MAX_DEPTH) return 0;
    uint8_t close = b == '{' ? '}' : ']';
    c->at++;
    sy_json_space(c);
    if (c->at < c->end && *c->at == close) { c->at++; return 1; }
    for (;;) {
        if (b == '{') {
            sy_json_space(c);
            if (!sy_json_string(c)) return 0;
            sy_json_space(c);
            if (c->at >= c->end || *c->at != ':') return 0;
            c->at++;
        }
        if (!sy_json_value(c, depth + 1)) return 0;
        sy_json_space(c);
        if (c->at >= c->end) return 0;
        if (*c->at == close) { c->at++; return 1; }
        if (*c->at != ',') return 0;
        c->at++;
    }
}

/* 1 when `json` is exactly one JSON object with an "error" member that is an object. */
static inline int sy_upstream_error_is_error_object(const uint8_t *json, size_t length) {
    sy_json_cursor c = { json, json + length };
    int has_error = 0;
    sy_json_space(&c);
    if (c.at >= c.end || *c.at != '{') return 0;
    c.at++;
    sy_json_space(&c);
    if (c.at < c.end && *c.at == '}') return 0;
    for (;;) {
        sy_json_space(&c);
        const uint8_t *key = c.at;
        if (!sy_json_string(&c)) return 0;
        int named_error = c.at - key == 7 && memcmp(key, "\"error\"", 7) == 0;
        sy_json_space(&c);
        if (c.at >= c.end || *c.at != ':') return 0;
        c.at++;
        sy_json_space(&c);
        if (named_error && c.at < c.end && *c.at == '{') has_error = 1;
        if (!sy_json_value(&c, 1)) return 0;
        sy_json_space(&c);
        if (c.at >= c.end) return 0;
        if (*c.at == '}') { c.at++; break; }
        if (*c.at != ',') return 0;
        c.at++;
    }
    sy_json_space(&c);
    return has_error && c.at == c.end;
}

/* Appends `text` as the inside of a JSON string: quotes, backslashes and control characters
 * escaped, anything that is not well-formed UTF-8 (a sequence cut at the end included) as U+FFFD. */
static inline size_t sy_upstream_error_escape(char *out, const uint8_t *text, size_t length) {
    size_t n = 0;
    sy_json_cursor c = { text, text + length };
    while (c.at < c.end) {
        uint8_t b = *c.at;
        const uint8_t *start = c.at;
        if (b == '"' || b == '\\') { out[n++] = '\\'; out[n++] = (char)b; c.at++; }
        else if (b < 0x20) { n += (size_t)sprintf(out + n, "\\u%04x", b); c.at++; }
        else if (sy_json_utf8(&c)) { memcpy(out + n, start, (size_t)(c.at - start)); n += (size_t)(c.at - start); }
        else { memcpy(out + n, "\\ufffd", 6); n += 6; c.at++; }
    }
    return n;
}

/* Ends a call the upstream answered with an error: writes the client's error through
 * host->sink_write (SY_OUT_ERROR_JSON; `out` is the sink of the end() that calls this), fills
 * `error` (code, http_status, retryable, message) and returns SY_E_UPSTREAM. */
static inline sy_status sy_upstream_error_finish(const sy_host_api *host, sy_hinst h, sy_sink out,
                                                 const sy_upstream_error_body *body, sy_error *error) {
    uint32_t status = body->http_status;
    error->code = SY_E_UPSTREAM;
    error->http_status = status;
    error->retryable = sy_upstream_error_retryable(status);
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "upstream returned HTTP %u", (unsigned)status);
    sy_bytes write = { body->bytes, body->length };
    /* 6 bytes per escaped excerpt byte at most, plus the frame around it. */
    char synthesized[SY_UPSTREAM_ERROR_EXCERPT_BYTES * 6 + 256];
    if (!sy_upstream_error_is_error_object(body->bytes, body->length)) {
        size_t excerpt = body->length < SY_UPSTREAM_ERROR_EXCERPT_BYTES ? body->length : SY_UPSTREAM_ERROR_EXCERPT_BYTES;
        size_t n = (size_t)sprintf(synthesized, "{\"error\":{\"message\":\"upstream returned HTTP %u%s", (unsigned)status,
                                   excerpt ? ": " : "");
        n += sy_upstream_error_escape(synthesized + n, body->bytes, excerpt);
        n += (size_t)sprintf(synthesized + n, "\",\"type\":\"%s\",\"param\":null,\"code\":null}}", sy_upstream_error_type(status));
        write.ptr = (const uint8_t *)synthesized;
        write.len = n;
    }
    host->sink_write(h, out, SY_OUT_ERROR_JSON, write); /* a refusal changes nothing: the call fails either way */
    return SY_E_UPSTREAM;
}

#ifdef __cplusplus
}
#endif
#endif /* SWITCHYARD_UPSTREAM_ERROR_H */
