/* Runs switchyard_sse.h: a stream cut at every possible place, and in one piece, yields the
 * same `data:` payloads; "\r\n" endings, "data:" with and without its space, other lines
 * skipped, an unfinished line kept until it is complete; a whole body read as it came.
 * scripts/check-abi.sh compiles it as C99/C11/C17 and (sse_test.cc) as C++11/17/20 with
 * -Wall -Wextra -Werror -pedantic under gcc and clang, and runs one build. */
#include <stdio.h>
#include <string.h>
/* A small bound, so the test can reach it (the default is 64 MiB). */
#define SY_SSE_BUFFER_MAX 4096
#include "switchyard_sse.h"

static int failures;

static void expect(int condition, const char *what) {
    if (!condition) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

static sy_bytes slice(const char *text, size_t from, size_t to) {
    sy_bytes bytes = { (const uint8_t *)text + from, to - from };
    return bytes;
}

static const char stream[] =
    ": a comment\n"
    "event: message\r\n"
    "data: {\"n\":1}\n"
    "\n"
    "data:{\"n\":2}\r\n"
    "\r\n"
    "id: 7\n"
    "data:  two spaces\n"
    "data:\n"
    "data: [DONE]\n"
    "data: unfinished";
static const char *const payloads[] = { "{\"n\":1}", "{\"n\":2}", " two spaces", "", "[DONE]" };
#define PAYLOADS (sizeof payloads / sizeof payloads[0])

/* Feeds `stream` in pieces cut at `cuts` (ascending offsets, 0 to 2 of them) and collects the
 * payloads as data() would: after each append, every complete data line. */
static int payloads_with_cuts(const size_t *cuts, size_t cut_count, char collected[][32]) {
    sy_sse_buffer buffer = { NULL, 0, 0 };
    size_t found = 0;
    size_t from = 0;
    for (size_t piece = 0; piece <= cut_count; piece++) {
        size_t to = piece < cut_count ? cuts[piece] : sizeof stream - 1;
        sy_bytes payload;
        expect(sy_sse_buffer_append(&buffer, slice(stream, from, to)), "append");
        while (sy_sse_buffer_next_data(&buffer, &payload)) {
            if (found < PAYLOADS + 1 && payload.len < 32) {
                memcpy(collected[found], payload.ptr, payload.len);
                collected[found][payload.len] = '\0';
            }
            found++;
        }
        from = to;
    }
    expect(buffer.length - buffer.read == strlen("data: unfinished"), "the unfinished line stays");
    sy_sse_buffer_free(&buffer);
    expect(buffer.bytes == NULL && buffer.length == 0, "free empties the buffer");
    return (int)found;
}

static int all_payloads(char collected[][32], int found) {
    if (found != (int)PAYLOADS) return 0;
    for (size_t i = 0; i < PAYLOADS; i++) {
        if (strcmp(collected[i], payloads[i]) != 0) return 0;
    }
    return 1;
}

int main(void) {
    char collected[PAYLOADS + 1][32];
    int found = payloads_with_cuts(NULL, 0, collected);
    expect(all_payloads(collected, found), "the stream in one piece");

    /* Every split into two and three pieces, empty pieces included. */
    int every_cut_agrees = 1;
    for (size_t first = 0; first < sizeof stream; first++) {
        for (size_t second = first; second < sizeof stream; second++) {
            size_t cuts[2] = { first, second };
            found = payloads_with_cuts(cuts, 2, collected);
            if (!all_payloads(collected, found)) every_cut_agrees = 0;
        }
    }
    expect(every_cut_agrees, "the same payloads wherever the stream is cut");

    /* Lines, not only data: the line reader strips "\n" and "\r\n" and nothing else. */
    sy_sse_buffer buffer = { NULL, 0, 0 };
    sy_bytes line;
    const char *lines = "a\r\nb\rc\n\nd";
    expect(sy_sse_buffer_append(&buffer, slice(lines, 0, strlen(lines))), "append lines");
    expect(sy_sse_buffer_next_line(&buffer, &line) && line.len == 1 && line.ptr[0] == 'a', "CRLF");
    expect(sy_sse_buffer_next_line(&buffer, &line) && line.len == 3 && memcmp(line.ptr, "b\rc", 3) == 0,
           "a lone CR ends no line");
    expect(sy_sse_buffer_next_line(&buffer, &line) && line.len == 0, "a blank line");
    expect(!sy_sse_buffer_next_line(&buffer, &line), "no complete line left");
    expect(sy_sse_buffer_append(&buffer, slice("\n", 0, 1)), "append the end of the line");
    expect(sy_sse_buffer_next_line(&buffer, &line) && line.len == 1 && line.ptr[0] == 'd', "completed later");
    sy_sse_buffer_free(&buffer);

    /* A whole body: appended, never read by lines, is there as it came. */
    const char *body = "{\"a\":\n1}";
    expect(sy_sse_buffer_append(&buffer, slice(body, 0, 3)), "append a body");
    expect(sy_sse_buffer_append(&buffer, slice(body, 3, 3)), "append nothing");
    expect(sy_sse_buffer_append(&buffer, slice(body, 3, strlen(body))), "append the rest");
    expect(buffer.length == strlen(body) && memcmp(buffer.bytes, body, buffer.length) == 0, "the whole body");
    sy_sse_buffer_free(&buffer);

    sy_bytes payload;
    expect(!sy_sse_data(slice("dat", 0, 3), &payload), "too short for data:");
    expect(!sy_sse_data(slice("Data: x", 0, 7), &payload), "the field name is case-sensitive");
    expect(sy_sse_data(slice("data:", 0, 5), &payload) && payload.len == 0, "data: with nothing");

    /* A peer that never ends its line: the buffer stops at SY_SSE_BUFFER_MAX, unchanged. */
    char kilobyte[1024];
    memset(kilobyte, 'x', sizeof kilobyte);
    int appended = 0;
    while (appended < 10 && sy_sse_buffer_append(&buffer, slice(kilobyte, 0, sizeof kilobyte))) appended++;
    expect(appended == 4 && buffer.length == 4096, "the buffer stops at its bound");
    expect(!sy_sse_buffer_append(&buffer, slice(kilobyte, 0, 1)) && buffer.length == 4096,
           "past the bound an append is refused and changes nothing");
    sy_sse_buffer_free(&buffer);

    printf("%s\n", failures ? "sse helper: FAILED" : "sse helper: ok");
    return failures != 0;
}
