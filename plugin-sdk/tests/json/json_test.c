/* Runs switchyard_json.h: a top-level member found (and only a top-level one), strings
 * unescaped into C strings, the usage record, and every malformed document refused.
 * scripts/check-abi.sh compiles it as C99/C11/C17 and (json_test.cc) as C++11/17/20 with
 * -Wall -Wextra -Werror -pedantic under gcc and clang, and runs one build. */
#include <stdio.h>
#include <string.h>
#include "switchyard_json.h"

static int failures;

static void expect(int condition, const char *what) {
    if (!condition) {
        printf("FAIL %s\n", what);
        failures++;
    }
}

static sy_bytes bytes_of(const char *text) {
    sy_bytes bytes = { (const uint8_t *)text, strlen(text) };
    return bytes;
}

static int same(sy_bytes bytes, const char *text) {
    return bytes.len == strlen(text) && memcmp(bytes.ptr, text, bytes.len) == 0;
}

/* 1 when `document` has `name` and its value is exactly `expected`. */
static int member_is(const char *document, const char *name, const char *expected) {
    sy_bytes value;
    return sy_json_member(bytes_of(document), name, &value) && same(value, expected);
}

static void test_members(void) {
    const char *chunk = "{\"id\":\"c1\",\"choices\":[{\"delta\":{\"usage\":1}}],"
                        "\"usage\" : { \"prompt_tokens\" : 2 } , \"n\":-1.5e3,\"ok\":true}";
    expect(member_is(chunk, "usage", "{ \"prompt_tokens\" : 2 }"), "an object value, blanks trimmed");
    expect(member_is(chunk, "id", "\"c1\""), "a string value, quotes included");
    expect(member_is(chunk, "n", "-1.5e3"), "a number value");
    expect(member_is(chunk, "ok", "true"), "a literal value");
    expect(member_is(chunk, "choices", "[{\"delta\":{\"usage\":1}}]"), "an array value");
    expect(!sy_json_member(bytes_of(chunk), "delta", NULL), "a nested member is not top-level");
    expect(!sy_json_member(bytes_of("{\"a\":{\"usage\":{}}}"), "usage", NULL), "nested only: not found");
    expect(!sy_json_member(bytes_of("{\"a\":\"\\\"usage\\\":{}\"}"), "usage", NULL), "inside a string: not found");
    expect(!sy_json_member(bytes_of("{\"usage_x\":1}"), "usage", NULL), "a longer key is another key");
    expect(!sy_json_member(bytes_of("{\"use\":1}"), "usage", NULL), "a shorter key is another key");
    expect(!sy_json_member(bytes_of("{\"us\\u0061ge\":1}"), "usage", NULL), "an escaped key is not matched");
    expect(member_is("{\"a\":1,\"a\":2}", "a", "1"), "a repeated name: the first");
    expect(member_is(" \n{\"a\":null}\r\n ", "a", "null"), "blanks around the document");
    expect(sy_json_member(bytes_of("{\"a\":1}"), "a", NULL), "value may be NULL");
    expect(!sy_json_member(bytes_of("{}"), "a", NULL), "an empty object has no members");

    expect(sy_json_is_object(bytes_of(" {\"a\":[1,{}]} \n")), "an object, blanks around it");
    expect(sy_json_is_object(bytes_of("{}")), "an empty object is an object");
    static const char *const not_objects[] = { "", " ", "[]", "[{}]", "\"{}\"", "1", "null", "{", "{}}",
                                               "{} {}", "{\"a\":1,}", "{\"a\":\"\xff\"}" };
    for (size_t i = 0; i < sizeof not_objects / sizeof not_objects[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "not one object: '%s'", not_objects[i]);
        expect(!sy_json_is_object(bytes_of(not_objects[i])), what);
    }
    sy_bytes nothing = { NULL, 0 };
    expect(!sy_json_is_object(nothing), "no bytes (a NULL pointer) is not an object");

    static const char *const malformed[] = {
        "", " ", "[{\"a\":1}]", "\"a\"", "{\"a\":1", "{\"a\":1}}", "{\"a\":1} x", "{\"a\" 1}",
        "{\"a\":1,}", "{,\"a\":1}", "{\"a\":01}", "{\"a\":1.}", "{\"a\":-}", "{\"a\":1e}",
        "{\"a\":tru}", "{\"a\":\"\xff\"}", "{\"a\":\"\xc0\xaf\"}", "{\"a\":\"\xed\xa0\x80\"}",
        "{\"a\":\"\\ud800\"}", "{\"a\":\"\\udc00\"}", "{\"a\":\"\\x\"}", "{\"a\":\"\t\"}",
        "{\"a\":\"cut", "{a:1}", "{\"a\":[1,]}", "{\"a\":{\"b\"}}",
    };
    for (size_t i = 0; i < sizeof malformed / sizeof malformed[0]; i++) {
        char what[96];
        snprintf(what, sizeof what, "malformed, no members: %s", malformed[i]);
        expect(!sy_json_member(bytes_of(malformed[i]), "a", NULL), what);
    }

    char deep[400] = "{\"a\":";
    for (int i = 0; i < SY_JSON_MAX_DEPTH - 1; i++) strcat(deep, "[");
    for (int i = 0; i < SY_JSON_MAX_DEPTH - 1; i++) strcat(deep, "]");
    strcat(deep, "}");
    expect(sy_json_member(bytes_of(deep), "a", NULL), "nesting up to SY_JSON_MAX_DEPTH");
    strcpy(deep, "{\"a\":");
    for (int i = 0; i < SY_JSON_MAX_DEPTH; i++) strcat(deep, "[");
    for (int i = 0; i < SY_JSON_MAX_DEPTH; i++) strcat(deep, "]");
    strcat(deep, "}");
    expect(!sy_json_member(bytes_of(deep), "a", NULL), "nesting past SY_JSON_MAX_DEPTH");

    sy_bytes value;
    expect(sy_json_member_object(bytes_of("{\"u\":{}}"), "u", &value) && same(value, "{}"), "an object member");
    expect(!sy_json_member_object(bytes_of("{\"u\":null}"), "u", &value), "null is not an object");
    expect(!sy_json_member_object(bytes_of("{\"u\":[]}"), "u", NULL), "an array is not an object");
}

static void test_strings(void) {
    char out[16];
    expect(sy_json_string_copy(bytes_of("\"plain\""), out, sizeof out) && strcmp(out, "plain") == 0, "a plain string");
    expect(sy_json_string_copy(bytes_of("\"a\\\"b\\\\c\\/d\\n\""), out, sizeof out) &&
           strcmp(out, "a\"b\\c/d\n") == 0, "escapes undone");
    expect(sy_json_string_copy(bytes_of("\"\\u00e9\\ud83d\\ude00\""), out, sizeof out) &&
           strcmp(out, "\xc3\xa9\xf0\x9f\x98\x80") == 0, "\\u escapes and a surrogate pair as UTF-8");
    expect(sy_json_string_copy(bytes_of("\"\xc3\xa9\""), out, sizeof out) && strcmp(out, "\xc3\xa9") == 0, "UTF-8 as it is");
    expect(sy_json_string_copy(bytes_of("\"\""), out, sizeof out) && out[0] == '\0', "the empty string");
    expect(!sy_json_string_copy(bytes_of("\"a\\u0000b\""), out, sizeof out) && out[0] == '\0', "a NUL is refused");
    expect(sy_json_string_copy(bytes_of("\"fifteen bytes!!\""), out, sizeof out), "exactly fits with its NUL");
    expect(!sy_json_string_copy(bytes_of("\"sixteen bytes!!!\""), out, sizeof out) && out[0] == '\0', "one byte too long");
    expect(!sy_json_string_copy(bytes_of("\"\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\\u00e9\""), out, sizeof out),
           "too long once unescaped");
    expect(!sy_json_string_copy(bytes_of("12"), out, sizeof out), "a number is not a string");
    expect(!sy_json_string_copy(bytes_of("\"a\" "), out, sizeof out), "exactly one string, nothing after it");
    expect(!sy_json_string_copy(bytes_of("\"a"), out, 0), "no room at all");

    const char *config = "{\"base_url\":\"http://127.0.0.1:1/v1\",\"n\":3}";
    char url[64];
    expect(sy_json_member_string(bytes_of(config), "base_url", url, sizeof url) &&
           strcmp(url, "http://127.0.0.1:1/v1") == 0, "a string member of a config");
    expect(!sy_json_member_string(bytes_of(config), "n", url, sizeof url) && url[0] == '\0', "a number member");
    expect(!sy_json_member_string(bytes_of(config), "absent", url, sizeof url) && url[0] == '\0', "an absent member");
}

static void test_usage_record(void) {
    char out[64];
    const char *last = "{\"choices\":[],\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}";
    sy_bytes record = sy_usage_record(bytes_of(last), out, sizeof out);
    expect(same(record, "{\"usage\":{\"prompt_tokens\":2,\"completion_tokens\":3}}"), "the record of a chunk's usage");
    expect(record.ptr == (const uint8_t *)out, "the record is in out");
    expect(sy_usage_record(bytes_of("{\"usage\":null}"), out, sizeof out).len == 0, "usage null: no record");
    expect(sy_usage_record(bytes_of("{\"choices\":[{\"usage\":{}}]}"), out, sizeof out).len == 0, "nested: no record");
    expect(sy_usage_record(bytes_of("{\"usage\":{}"), out, sizeof out).len == 0, "malformed: no record");
    expect(sy_usage_record(bytes_of(last), out, 20).len == 0, "too small a buffer: no record");
    expect(sy_usage_record(bytes_of("{\"usage\":{}}"), out, 12).len == 12, "exactly fits (no NUL needed)");
}

int main(void) {
    test_members();
    test_strings();
    test_usage_record();
    printf("%s\n", failures ? "json helper: FAILED" : "json helper: ok");
    return failures != 0;
}
