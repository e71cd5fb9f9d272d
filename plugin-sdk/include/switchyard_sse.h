/*
 * switchyard_sse.h -- an upstream's body, which arrives in chunks split anywhere, for C and C++.
 *
 * Header-only (static inline), no ABI of its own. A response transformer's data() gets the body
 * in pieces whose boundaries mean nothing: a stream's line may be cut in two, or several lines
 * may come at once. sy_sse_buffer keeps the bytes until they make sense:
 *
 *     sy_sse_buffer body = { 0 };                  (in the per-call state, zeroed)
 *     sy_sse_buffer_append(&body, chunk);          (data(): copies the chunk; 0 = out of memory)
 *     while (sy_sse_buffer_next_data(&body, &payload))
 *         ...                                      (each complete `data:` line's payload)
 *     sy_sse_buffer_free(&body);                   (state_free)
 *
 * A whole (not streamed) body: append every chunk, then read body.bytes[0..body.length) in end().
 * A line ends with "\n" or "\r\n"; what follows the last one stays buffered (an unfinished line)
 * until the next append completes it. Each `data:` line is one payload: OpenAI-style streams send
 * one JSON object per line; an event whose data spans several lines is not joined here.
 * A bare "\r" does not end a line here (the SSE format allows it; the upstreams this is for
 * send "\n"). The buffer holds at most SY_SSE_BUFFER_MAX bytes (64 MiB unless defined before
 * this header): past it sy_sse_buffer_append refuses, so a peer that never ends its line cannot
 * grow it without bound, whatever the host's own limits are set to.
 * Threading: none of its own; one buffer belongs to one call's state (whose hooks never overlap).
 */
#ifndef SWITCHYARD_SSE_H
#define SWITCHYARD_SSE_H

#include <stdlib.h>
#include <string.h>
#include "switchyard_plugin.h"

#ifdef __cplusplus
extern "C" {
#endif

#ifndef SY_SSE_BUFFER_MAX
#define SY_SSE_BUFFER_MAX ((size_t)64 << 20)
#endif

/* Plugin-owned. Start it zeroed; release it with sy_sse_buffer_free. */
typedef struct sy_sse_buffer {
    char *bytes;   /* malloc'd, or NULL while empty */
    size_t length; /* bytes held */
    size_t read;   /* of those, the complete lines sy_sse_buffer_next_line has returned */
} sy_sse_buffer;

/* Copies `chunk` (borrowed) after what is held; drops the lines already read first (a line
 * returned before is not valid after this). 1; 0 when out of memory or when the bytes held would
 * pass SY_SSE_BUFFER_MAX (the buffer is unchanged). */
static inline int sy_sse_buffer_append(sy_sse_buffer *buffer, sy_bytes chunk) {
    if (chunk.len == 0) return 1;
    if (buffer->read > 0) {
        memmove(buffer->bytes, buffer->bytes + buffer->read, buffer->length - buffer->read);
        buffer->length -= buffer->read;
        buffer->read = 0;
    }
    if (chunk.len > SY_SSE_BUFFER_MAX || buffer->length > SY_SSE_BUFFER_MAX - chunk.len) return 0;
    char *grown = (char *)realloc(buffer->bytes, buffer->length + chunk.len);
    if (grown == NULL) return 0;
    memcpy(grown + buffer->length, chunk.ptr, chunk.len);
    buffer->bytes = grown;
    buffer->length += chunk.len;
    return 1;
}

/* The next complete line, without its "\n" or "\r\n", in *line (valid until the next append or
 * free): 1. 0 when no complete line is left. */
static inline int sy_sse_buffer_next_line(sy_sse_buffer *buffer, sy_bytes *line) {
    if (buffer->read == buffer->length) return 0;
    const char *start = buffer->bytes + buffer->read;
    const char *newline = (const char *)memchr(start, '\n', buffer->length - buffer->read);
    if (newline == NULL) return 0;
    size_t length = (size_t)(newline - start);
    buffer->read += length + 1;
    if (length > 0 && start[length - 1] == '\r') length--;
    line->ptr = (const uint8_t *)start;
    line->len = length;
    return 1;
}

static inline void sy_sse_buffer_free(sy_sse_buffer *buffer) {
    free(buffer->bytes);
    buffer->bytes = NULL;
    buffer->length = 0;
    buffer->read = 0;
}

/* 1 when `line` is an SSE `data:` line: *payload is what follows "data:" and the one space the
 * format allows after it. 0 for any other line (event:, id:, retry:, a comment, a blank line). */
static inline int sy_sse_data(sy_bytes line, sy_bytes *payload) {
    if (line.len < 5 || memcmp(line.ptr, "data:", 5) != 0) return 0;
    size_t skip = line.len > 5 && line.ptr[5] == ' ' ? 6 : 5;
    payload->ptr = line.ptr + skip;
    payload->len = line.len - skip;
    return 1;
}

/* The payload of the next complete `data:` line (see sy_sse_data), skipping the other lines:
 * 1; 0 when no complete line is left. *payload is valid until the next append or free. */
static inline int sy_sse_buffer_next_data(sy_sse_buffer *buffer, sy_bytes *payload) {
    sy_bytes line;
    while (sy_sse_buffer_next_line(buffer, &line)) {
        if (sy_sse_data(line, payload)) return 1;
    }
    return 0;
}

#ifdef __cplusplus
}
#endif
#endif /* SWITCHYARD_SSE_H */
