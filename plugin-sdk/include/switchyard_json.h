/*
 * switchyard_json.h -- reading JSON the host hands a plugin, for C and C++.
 *
 * Header-only (static inline), no ABI of its own, no allocation. Enough JSON for what every C
 * plugin reads: a config string, a top-level member of a request or of an upstream's answer.
 *
 *  - sy_json_is_object(json): 1 when json is exactly one well-formed JSON object;
 *  - sy_json_member(object, "name", &value): the value of a top-level member, as its bytes;
 *  - sy_json_string_copy(value, out, capacity): a JSON string, unescaped into a C string;
 *  - sy_json_member_string(object, "name", out, capacity): the two together;
 *  - sy_json_member_object(object, "name", &value): a member whose value is an object;
 *  - sy_usage_record(json, out, capacity): the usage record a provider must write
 *    (SY_OUT_META_JSON {"usage":{...}}, docs/canonical.md), from an OpenAI-shaped answer or chunk.
 *
 * The reader is strict (RFC 8259, RFC 3629 UTF-8, no lone surrogate escapes, nesting at most
 * SY_JSON_MAX_DEPTH): a document it accepts, the host accepts too. A document it does not
 * accept has no members (sy_json_member returns 0). Keys are compared byte for byte, so a key
 * written with escapes ("us\u0061ge") is not found by its plain name.
 * Threading: none of its own; each function touches only its arguments. Inputs are borrowed:
 * a value found points into the document it was found in.
 */
#ifndef SWITCHYARD_JSON_H
#define SWITCHYARD_JSON_H

#include <stdint.h>
#include <string.h>
#include "switchyard_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#define SY_JSON_MAX_DEPTH 64 /* nesting accepted (the host takes 256) */

/* Where the reader is: the next byte to read, and the end of the document. */
typedef struct sy_json_cursor {
    const uint8_t *at;
    const uint8_t *end;
} sy_json_cursor;

/* Each reader below takes one piece at c->at and moves past it: 1; or 0 when it is not there
 * or not well-formed (c->at is then somewhere inside it). */

static inline int sy_json_is_space(uint8_t byte) {
    return byte == ' ' || byte == '\t' || byte == '\n' || byte == '\r';
}

static inline void sy_json_space(sy_json_cursor *c) {
    while (c->at < c->end && sy_json_is_space(*c->at)) c->at++;
}

/* 1 when the next byte is `byte` (after blanks), consumed. */
static inline int sy_json_take(sy_json_cursor *c, uint8_t byte) {
    sy_json_space(c);
    if (c->at >= c->end || *c->at != byte) return 0;
    c->at++;
    return 1;
}

/* Four hex digits at p (before end) as a number in *out. */
static inline int sy_json_hex4(const uint8_t *p, const uint8_t *end, uint32_t *out) {
    uint32_t value = 0;
    for (int i = 0; i < 4; i++) {
        if (p + i >= end) return 0;
        uint8_t digit = p[i];
        if (digit >= '0' && digit <= '9') {
            value = value * 16u + (uint32_t)(digit - '0');
        } else if (digit >= 'a' && digit <= 'f') {
            value = value * 16u + (uint32_t)(digit - 'a' + 10);
        } else if (digit >= 'A' && digit <= 'F') {
            value = value * 16u + (uint32_t)(digit - 'A' + 10);
        } else {
            return 0;
        }
    }
    *out = value;
    return 1;
}

/* How many bytes the UTF-8 sequence starting with `lead` has; 0 when no sequence starts so. */
static inline int sy_json_utf8_length(uint8_t lead) {
    if (lead < 0x80) return 1;
    if (lead >= 0xC2 && lead <= 0xDF) return 2;
    if (lead >= 0xE0 && lead <= 0xEF) return 3;
    if (lead >= 0xF0 && lead <= 0xF4) return 4;
    return 0;
}

/* One UTF-8 sequence (RFC 3629: no overlong forms, no surrogates, at most U+10FFFF). */
static inline int sy_json_utf8(sy_json_cursor *c) {
    const uint8_t *p = c->at;
    int length = sy_json_utf8_length(p[0]);
    if (length == 0 || (size_t)(c->end - p) < (size_t)length) return 0;
    for (int i = 1; i < length; i++) {
        if ((p[i] & 0xC0) != 0x80) return 0;
    }
    if (p[0] == 0xE0 && p[1] < 0xA0) return 0; /* overlong */
    if (p[0] == 0xED && p[1] > 0x9F) return 0; /* a surrogate */
    if (p[0] == 0xF0 && p[1] < 0x90) return 0; /* overlong */
    if (p[0] == 0xF4 && p[1] > 0x8F) return 0; /* above U+10FFFF */
    c->at += length;
    return 1;
}

/* The escape after a backslash at c->at; a \u escape in *code_point (pairs joined), else
 * the byte it stands for. */
static inline int sy_json_escape(sy_json_cursor *c, uint32_t *code_point) {
    if (c->end - c->at < 2) return 0;
    uint8_t letter = c->at[1];
    static const char letters[] = "\"\\/bfnrt";
    static const char bytes[] = "\"\\/\b\f\n\r\t";
    if (letter != 'u') {
        const char *found = letter ? strchr(letters, letter) : NULL;
        if (!found) return 0;
        *code_point = (uint8_t)bytes[found - letters];
        c->at += 2;
        return 1;
    }
    uint32_t unit;
    if (!sy_json_hex4(c->at + 2, c->end, &unit)) return 0;
    c->at += 6;
    if (unit >= 0xDC00 && unit <= 0xDFFF) return 0; /* a low surrogate alone */
    if (unit < 0xD800 || unit > 0xDBFF) {
        *code_point = unit;
        return 1;
    }
    /* A high surrogate needs its low one, right after it. */
    uint32_t low;
    if (c->end - c->at < 2 || c->at[0] != '\\' || c->at[1] != 'u') return 0;
    if (!sy_json_hex4(c->at + 2, c->end, &low) || low < 0xDC00 || low > 0xDFFF) return 0;
    c->at += 6;
    *code_point = 0x10000 + ((unit - 0xD800) << 10) + (low - 0xDC00);
    return 1;
}

static inline int sy_json_string(sy_json_cursor *c) {
    if (c->at >= c->end || *c->at != '"') return 0;
    c->at++;
    while (c->at < c->end) {
        uint8_t byte = *c->at;
        uint32_t code_point;
        if (byte == '"') {
            c->at++;
            return 1;
        }
        if (byte < 0x20) return 0; /* a control character must be escaped */
        if (byte == '\\') {
            if (!sy_json_escape(c, &code_point)) return 0;
        } else if (!sy_json_utf8(c)) {
            return 0;
        }
    }
    return 0; /* no closing quote */
}

/* Digits: at least one. */
static inline int sy_json_digits(sy_json_cursor *c) {
    const uint8_t *start = c->at;
    while (c->at < c->end && *c->at >= '0' && *c->at <= '9') c->at++;
    return c->at > start;
}

static inline int sy_json_number(sy_json_cursor *c) {
    if (c->at < c->end && *c->at == '-') c->at++;
    if (c->at < c->end && *c->at == '0') {
        c->at++; /* no leading zeros */
    } else if (!sy_json_digits(c)) {
        return 0;
    }
    if (c->at < c->end && *c->at == '.') {
        c->at++;
        if (!sy_json_digits(c)) return 0;
    }
    if (c->at < c->end && (*c->at == 'e' || *c->at == 'E')) {
        c->at++;
        if (c->at < c->end && (*c->at == '+' || *c->at == '-')) c->at++;
        if (!sy_json_digits(c)) return 0;
    }
    return 1;
}

static inline int sy_json_literal(sy_json_cursor *c, const char *word) {
    size_t length = strlen(word);
    if ((size_t)(c->end - c->at) < length || memcmp(c->at, word, length) != 0) return 0;
    c->at += length;
    return 1;
}

/* Any value, blanks before it included; objects and arrays at most SY_JSON_MAX_DEPTH deep. */
static inline int sy_json_value(sy_json_cursor *c, int depth) {
    sy_json_space(c);
    if (c->at >= c->end) return 0;
    uint8_t first = *c->at;
    if (first == '"') return sy_json_string(c);
    if (first == 't') return sy_json_literal(c, "true");
    if (first == 'f') return sy_json_literal(c, "false");
    if (first == 'n') return sy_json_literal(c, "null");
    if (first != '{' && first != '[') return sy_json_number(c);
    if (depth >= SY_JSON_MAX_DEPTH) return 0;
    uint8_t close = first == '{' ? '}' : ']';
    c->at++;
    if (sy_json_take(c, close)) return 1; /* empty */
    do {
        if (first == '{') {
            sy_json_space(c);
            if (!sy_json_string(c) || !sy_json_take(c, ':')) return 0;
        }
        if (!sy_json_value(c, depth + 1)) return 0;
    } while (sy_json_take(c, ','));
    return sy_json_take(c, close);
}

/* 1 when `object` is exactly one JSON object (blanks around it allowed) and has a member
 * `name`: *value (when value is not NULL) is then that member's value, without the blanks
 * around it; the first one when the name repeats. */
static inline int sy_json_member(sy_bytes object, const char *name, sy_bytes *value) {
    if (object.len == 0) return 0; /* (and object.ptr may be NULL) */
    sy_json_cursor c = { object.ptr, object.ptr + object.len };
    size_t name_length = strlen(name);
    int found = 0;
    if (!sy_json_take(&c, '{')) return 0;
    if (!sy_json_take(&c, '}')) {
        do {
            sy_json_space(&c);
            const uint8_t *key = c.at;
            if (!sy_json_string(&c)) return 0;
            int named = (size_t)(c.at - key) == name_length + 2 &&
                        memcmp(key + 1, name, name_length) == 0;
            if (!sy_json_take(&c, ':')) return 0;
            sy_json_space(&c);
            const uint8_t *start = c.at;
            if (!sy_json_value(&c, 1)) return 0;
            if (named && !found && value) {
                value->ptr = start;
                value->len = (size_t)(c.at - start);
            }
            found = found || named;
        } while (sy_json_take(&c, ','));
        if (!sy_json_take(&c, '}')) return 0;
    }
    sy_json_space(&c);
    return found && c.at == c.end;
}

/* 1 when `json` is exactly one JSON object (blanks around it allowed) that the strict reader
 * accepts: what a sink's SY_OUT_JSON takes. An upstream's answer is checked with it before it
 * is written: the host refuses anything else. */
static inline int sy_json_is_object(sy_bytes json) {
    if (json.len == 0) return 0; /* (and json.ptr may be NULL) */
    sy_json_cursor c = { json.ptr, json.ptr + json.len };
    sy_json_space(&c);
    if (c.at >= c.end || *c.at != '{' || !sy_json_value(&c, 0)) return 0;
    sy_json_space(&c);
    return c.at == c.end;
}

/* Writes `code_point` as UTF-8 to out; returns the number of bytes (1 to 4). */
static inline size_t sy_json_utf8_encode(uint32_t code_point, uint8_t *out) {
    if (code_point < 0x80) {
        out[0] = (uint8_t)code_point;
        return 1;
    }
    if (code_point < 0x800) {
        out[0] = (uint8_t)(0xC0 | (code_point >> 6));
        out[1] = (uint8_t)(0x80 | (code_point & 0x3F));
        return 2;
    }
    if (code_point < 0x10000) {
        out[0] = (uint8_t)(0xE0 | (code_point >> 12));
        out[1] = (uint8_t)(0x80 | ((code_point >> 6) & 0x3F));
        out[2] = (uint8_t)(0x80 | (code_point & 0x3F));
        return 3;
    }
    out[0] = (uint8_t)(0xF0 | (code_point >> 18));
    out[1] = (uint8_t)(0x80 | ((code_point >> 12) & 0x3F));
    out[2] = (uint8_t)(0x80 | ((code_point >> 6) & 0x3F));
    out[3] = (uint8_t)(0x80 | (code_point & 0x3F));
    return 4;
}

/* When `value` is exactly one JSON string: writes it, unescaped (UTF-8) and NUL-terminated, to
 * out[0..capacity) and returns 1. 0 when it is not a string, holds a NUL (\u0000) or does not
 * fit; out is then an empty string (when capacity > 0). */
static inline int sy_json_string_copy(sy_bytes value, char *out, size_t capacity) {
    size_t length = 0;
    if (capacity == 0) return 0;
    out[0] = '\0';
    if (value.len == 0) return 0; /* (and value.ptr may be NULL) */
    sy_json_cursor c = { value.ptr, value.ptr + value.len };
    if (!sy_json_string(&c) || c.at != c.end) return 0;
    c.at = value.ptr + 1;
    c.end = value.ptr + value.len - 1; /* the closing quote */
    while (c.at < c.end) {
        uint8_t encoded[4];
        size_t size = 1;
        uint32_t code_point = *c.at;
        if (*c.at == '\\') {
            sy_json_escape(&c, &code_point); /* well-formed: checked above */
            size = sy_json_utf8_encode(code_point, encoded);
        } else {
            encoded[0] = *c.at; /* UTF-8 already, byte by byte */
            c.at++;
        }
        if (code_point == 0 || length + size >= capacity) {
            out[0] = '\0';
            return 0;
        }
        memcpy(out + length, encoded, size);
        length += size;
    }
    out[length] = '\0';
    return 1;
}

/* A string member of an object, copied as sy_json_string_copy does: 1 when `name` is there, a
 * string, and fits out[0..capacity) with its NUL. */
static inline int sy_json_member_string(sy_bytes object, const char *name, char *out,
                                        size_t capacity) {
    sy_bytes value;
    if (capacity > 0) out[0] = '\0';
    return sy_json_member(object, name, &value) && sy_json_string_copy(value, out, capacity);
}

/* 1 when `object` has a member `name` whose value is an object (not null, not a number...). */
static inline int sy_json_member_object(sy_bytes object, const char *name, sy_bytes *value) {
    sy_bytes found;
    if (!sy_json_member(object, name, &found) || found.ptr[0] != '{') return 0;
    if (value) *value = found;
    return 1;
}

/* The record {"usage":{...}} from the top-level "usage" object of `json` (an OpenAI answer or
 * stream chunk), written to out[0..capacity): the bytes of the record, in `out`. Empty (len 0)
 * when there is no usage object (absent or null), or when the record does not fit. */
static inline sy_bytes sy_usage_record(sy_bytes json, char *out, size_t capacity) {
    static const char head[] = "{\"usage\":";
    const size_t head_length = sizeof head - 1;
    sy_bytes usage;
    sy_bytes record = { (const uint8_t *)out, 0 };
    if (!sy_json_member_object(json, "usage", &usage)) return record;
    if (capacity < head_length + usage.len + 1) return record;
    memcpy(out, head, head_length);
    memcpy(out + head_length, usage.ptr, usage.len);
    out[head_length + usage.len] = '}';
    record.len = head_length + usage.len + 1;
    return record;
}

#ifdef __cplusplus
}
#endif
#endif /* SWITCHYARD_JSON_H */
