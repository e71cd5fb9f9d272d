/* Runs switchyard_upstream_error.h against a recording sink: the type and retry table, the 64 KiB
 * bound, an upstream error object passed on as it is, and anything else (not JSON, not an error
 * object, bad UTF-8, nesting past the bound) turned into an OpenAI error quoting its first 200
 * bytes. scripts/check-abi.sh compiles it as C99/C11/C17 and (upstream_error_test.cc) as
 * C++11/17/20 with -Wall -Wextra -Werror -pedantic under gcc and clang, and runs one build. */
#include <stdio.h>
#include <string.h>
#include "switchyard_upstream_error.h"

static char written[4096];
static size_t written_length;
static uint32_t written_kind;
static int failures;

static sy_status record(sy_hinst h, sy_sink sink, uint32_t kind, sy_bytes data) {
    (void)h; (void)sink;
    written_kind = kind;
    written_length = data.len < sizeof written ? data.len : sizeof written;
    memcpy(written, data.ptr, written_length);
    return SY_OK;
}

static void expect(int condition, const char *what) {
    if (!condition) { printf("FAIL %s\n", what); failures++; }
}

static sy_upstream_error_body *body_of(uint32_t status, const char *text) {
    sy_upstream_error_body *body = sy_upstream_error_body_new(status);
    sy_bytes bytes = { (const uint8_t *)text, strlen(text) };
    if (body) sy_upstream_error_body_append(body, bytes);
    return body;
}

/* Finishes a call with `text` as the error body; returns what was written, NUL-terminated. */
static const char *finish(const sy_host_api *host, uint32_t status, const char *text, sy_error *error) {
    sy_upstream_error_body *body = body_of(status, text);
    memset(error, 0, sizeof *error);
    written_length = 0;
    expect(body && sy_upstream_error_finish(host, 0, 1, body, error) == SY_E_UPSTREAM, "finish returns SY_E_UPSTREAM");
    free(body);
    expect(written_kind == SY_OUT_ERROR_JSON, "the write is SY_OUT_ERROR_JSON");
    written[written_length < sizeof written ? written_length : sizeof written - 1] = 0;
    return written;
}

int main(void) {
    static const struct { uint32_t status; const char *type; uint32_t retryable; } table[] = {
        { 400, "invalid_request_error", 0 }, { 401, "authentication_error", 0 }, { 403, "permission_error", 0 },
        { 404, "not_found_error", 0 }, { 408, "invalid_request_error", 1 }, { 409, "invalid_request_error", 0 },
        { 422, "invalid_request_error", 0 }, { 429, "rate_limit_error", 1 }, { 500, "api_error", 1 },
        { 502, "api_error", 1 }, { 503, "overloaded_error", 1 }, { 504, "api_error", 1 }, { 529, "api_error", 1 },
        { 302, "api_error", 0 }, { 0, "api_error", 0 }, { 600, "api_error", 1 },
    };
    for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "status %u is %s, retryable %u", (unsigned)table[i].status, table[i].type, (unsigned)table[i].retryable);
        expect(strcmp(sy_upstream_error_type(table[i].status), table[i].type) == 0 &&
               sy_upstream_error_retryable(table[i].status) == table[i].retryable, what);
    }

    sy_host_api host;
    memset(&host, 0, sizeof host);
    host.struct_size = sizeof host;
    host.sink_write = record;
    sy_error error;

    const char *openai = "{\"error\":{\"message\":\"slow down\",\"type\":\"rate_limit_error\",\"param\":null,\"code\":null}}";
    expect(strcmp(finish(&host, 429, openai, &error), openai) == 0, "an upstream error object goes on as it is");
    expect(error.code == SY_E_UPSTREAM && error.http_status == 429 && error.retryable == 1, "429: SY_E_UPSTREAM, its status, retryable");
    expect(strcmp(error.message, "upstream returned HTTP 429") == 0, "the operator's message names the status");

    const char *html = "<html>Bad \"Gateway\"\n</html>";
    expect(strcmp(finish(&host, 502, html, &error),
                  "{\"error\":{\"message\":\"upstream returned HTTP 502: <html>Bad \\\"Gateway\\\"\\u000a</html>\","
                  "\"type\":\"api_error\",\"param\":null,\"code\":null}}") == 0, "a body that is not JSON is quoted, escaped");
    expect(error.http_status == 502 && error.retryable == 1, "502 is retryable");
    expect(strcmp(finish(&host, 404, "", &error), "{\"error\":{\"message\":\"upstream returned HTTP 404\",\"type\":\"not_found_error\","
                  "\"param\":null,\"code\":null}}") == 0, "an empty body says only the status");
    expect(error.retryable == 0, "404 is not retryable");

    const char *not_error[] = {
        "{\"error\":\"a string\"}", "{\"message\":\"no error member\"}", "[{\"error\":{}}]", "{\"error\":{}} trailing",
        "{\"error\":{\"message\":\"\xff\"}}", "{\"error\":{\"message\":\"\\ud800\"}}", "{\"error\":{\"n\":01}}",
        "{\"error\":{\"message\":\"cut", "{\"error\":{},}", "{\"error\":{\"tab\":\"\t\"}}",
    };
    for (size_t i = 0; i < sizeof not_error / sizeof not_error[0]; i++) {
        const char *out = finish(&host, 400, not_error[i], &error);
        char what[160];
        snprintf(what, sizeof what, "not passed on: %s", not_error[i]);
        expect(strncmp(out, "{\"error\":{\"message\":\"upstream returned HTTP 400: ", 49) == 0, what);
    }
    expect(strstr(finish(&host, 400, "{\"error\":{\"message\":\"\xff\"}}", &error), "\\ufffd") != NULL, "bad UTF-8 is quoted as U+FFFD");

    char deep[300] = "{\"error\":";
    for (int i = 0; i < 70; i++) strcat(deep, "[");
    for (int i = 0; i < 70; i++) strcat(deep, "]");
    strcat(deep, "}");
    expect(!sy_upstream_error_is_error_object((const uint8_t *)deep, strlen(deep)), "nesting past the bound is not passed on");
    const char *fine = " {\"id\":1,\"error\":{\"a\":[1.5e3,-0,true,false,null,\"\\u00e9\\ud83d\\ude00\xc3\xa9\"]}} ";
    expect(sy_upstream_error_is_error_object((const uint8_t *)fine, strlen(fine)), "a well-formed error object with every kind of value");

    static char big[SY_UPSTREAM_ERROR_BODY_BYTES + 100];
    memset(big, 'x', sizeof big - 1);
    sy_upstream_error_body *body = body_of(500, big);
    expect(body && body->length == SY_UPSTREAM_ERROR_BODY_BYTES, "only the first 64 KiB are kept");
    free(body);
    const char *quoted = finish(&host, 500, big, &error);
    expect(strlen(quoted) == strlen("{\"error\":{\"message\":\"upstream returned HTTP 500: \",\"type\":\"api_error\",\"param\":null,\"code\":null}}") + 200,
           "the message quotes the first 200 bytes");

    printf("%s\n", failures ? "upstream error helper: FAILED" : "upstream error helper: ok");
    return failures != 0;
}
