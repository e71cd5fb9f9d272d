/* faulty_provider.c: a working provider (answers every chat completion in-process with a fixed
 * text, whole or streamed) with exactly one fault compiled in, chosen by a -DFAULT_* define.
 * `switchyard plugins validate` must fail each build on the check that catches its fault, and
 * pass the build without one (FAULT_NONE). The Makefile beside this file builds one .so per fault.
 *
 *   FAULT_SEGFAULT         generate writes through a NULL pointer (SIGSEGV)
 *   FAULT_ABORT            generate says why on stderr, then calls abort() (SIGABRT)
 *   FAULT_HANG             generate never returns
 *   FAULT_LEAK             generate leaks 64 KiB per call (touched, so resident memory grows)
 *   FAULT_BAD_JSON         the whole response written is cut short (not a JSON object)
 *   FAULT_BAD_UTF8         the text written carries a byte that is not UTF-8
 *   FAULT_SINK_AFTER_END   generate keeps its sink and writes to it again in the next call
 *   FAULT_WRONG_ABI        built for ABI major 2: refuses a major-1 host, accepts a major-2 one
 *   FAULT_MISSING_SYMBOL   sy_plugin_entry is not exported (the Makefile's version script hides it)
 *   FAULT_UNRESOLVED       calls a function no library defines (linked without -z defs)
 *   FAULT_IGNORE_CANCEL    generate goes on and returns SY_OK when the sink answers SY_E_CANCELLED
 *   FAULT_ANY_CONFIG       instance_new accepts any config, even one that is not an object
 *   FAULT_INSTANCE_LEAK    instance_new takes 4 KiB through host->alloc that instance_free never gives back
 *   FAULT_CONFIG_CRASH     instance_new aborts on a config with a byte above 0x7F (malformed input)
 *   FAULT_REQUEST_CRASH    generate crashes (SIGSEGV) on a request that does not start with '{"'
 *   FAULT_ANY_INTERFACE    get_interface returns the provider table for any id, known or not
 *   FAULT_NOT_REENTRANT    generate refuses to run while another generate runs (SY_E_INTERNAL)
 *   FAULT_CRASH_WITH_HELPER generate starts a helper process that sleeps 600 s holding every
 *                          descriptor it inherited, then crashes (SIGSEGV); the helper's pid is
 *                          appended to the file $FAULTY_HELPER_PIDS names, when set
 *
 * Built with -DUPSTREAM it asks an upstream instead (prepare + a response transformer reading
 * OpenAI's answers, faulty_upstream.inc), for the faults of a transformer (listed there).
 *
 * Config: {} or {"text": "a plain string without escapes"}; anything else is refused with
 * SY_E_CONFIG, as the manifest's schema (additionalProperties: false) says. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "switchyard_plugin.h"

#ifdef FAULT_UNRESOLVED
/* Defined nowhere: RTLD_NOW must fail naming it. */
extern int sy_faulty_undefined_function(int value);
#endif

static const sy_host_api *host; /* set once in sy_plugin_entry; valid for the process */

#ifdef FAULT_CRASH_WITH_HELPER
/* A process of the plugin's own that outlives the hook: it inherits stdout, stderr and the
 * validator's report descriptor, and keeps them open while it sleeps. Its pid is noted by the
 * parent (the helper itself only sleeps: fork in a threaded process allows little else). */
static void start_helper(void) {
    pid_t helper = fork();
    if (helper == 0) {
        sleep(600);
        _exit(0);
    }
    const char *file = getenv("FAULTY_HELPER_PIDS");
    FILE *pids = helper > 0 && file ? fopen(file, "a") : NULL;
    if (pids) {
        fprintf(pids, "%d\n", (int)helper);
        fclose(pids);
    }
}
#endif

typedef struct faulty_instance {
    sy_hinst hinst;
    char text[256]; /* immutable after instance_new */
} faulty_instance;

static sy_status fail(sy_error *error, sy_status code, const char *message) {
    error->code = code;
    snprintf(error->message, SY_ERROR_MESSAGE_CAPACITY, "%s", message);
    return code;
}

static const char *skip_space(const char *p, const char *end) {
    while (p < end && (*p == ' ' || *p == '\t' || *p == '\n' || *p == '\r')) p++;
    return p;
}

/* The whole config grammar: {} or {"text":"..."} with no escapes in the string. */
static sy_status read_config(sy_bytes config, char *text, size_t capacity, sy_error *error) {
    const char *p = (const char *)config.ptr, *end = p + config.len;
    if (config.len == 0 || !p) return fail(error, SY_E_CONFIG, "config must be a JSON object");
    p = skip_space(p, end);
    if (p >= end || *p != '{') return fail(error, SY_E_CONFIG, "config must be a JSON object");
    p = skip_space(p + 1, end);
    if (p < end && *p == '"') {
        if ((size_t)(end - p) < 6 || memcmp(p, "\"text\"", 6) != 0) return fail(error, SY_E_CONFIG, "unknown key (the only key is \"text\")");
        p = skip_space(p + 6, end);
        if (p >= end || *p != ':') return fail(error, SY_E_CONFIG, "config is not valid JSON");
        p = skip_space(p + 1, end);
        if (p >= end || *p != '"') return fail(error, SY_E_CONFIG, "\"text\" must be a string");
        const char *start = ++p;
        while (p < end && *p != '"' && *p != '\\' && (unsigned char)*p >= 0x20) p++;
        if (p >= end || *p != '"') return fail(error, SY_E_CONFIG, "\"text\" must be a plain string without escapes");
        if ((size_t)(p - start) >= capacity) return fail(error, SY_E_CONFIG, "\"text\" is too long");
        memcpy(text, start, (size_t)(p - start));
        text[p - start] = '\0';
        p = skip_space(p + 1, end);
    }
    if (p >= end || *p != '}') return fail(error, SY_E_CONFIG, "config is not valid JSON (or has more than \"text\")");
    p = skip_space(p + 1, end);
    if (p != end) return fail(error, SY_E_CONFIG, "config has bytes after its object");
    return SY_OK;
}

/* [control] */
static sy_status instance_new(sy_hinst hinst, sy_bytes config, sy_instance *out, sy_error *error) {
    faulty_instance *self = calloc(1, sizeof *self);
    if (!self) return fail(error, SY_E_NOMEM, "out of memory");
    self->hinst = hinst;
    strcpy(self->text, "Hello from the faulty provider.");
#if defined(FAULT_CONFIG_CRASH)
    for (size_t at = 0; at < config.len; at++) if (config.ptr[at] > 0x7F) abort();
#endif
    sy_status status = read_config(config, self->text, sizeof self->text, error);
#if defined(FAULT_ANY_CONFIG)
    status = SY_OK; /* the fault: whatever the config says */
#endif
    if (status != SY_OK) { free(self); return status; }
#if defined(FAULT_INSTANCE_LEAK)
    (void)host->alloc(hinst, 4096);
#endif
    *out = self;
    return SY_OK;
}

/* [control] */
static void instance_free(sy_instance instance) { free(instance); }

static sy_status emit(const faulty_instance *self, sy_sink out, uint32_t kind, const char *data, size_t length) {
    sy_bytes bytes = { (const uint8_t *)data, length };
    sy_status status = host->sink_write(self->hinst, out, kind, bytes);
#if defined(FAULT_IGNORE_CANCEL)
    if (status == SY_E_CANCELLED) status = SY_OK;
#endif
    return status;
}

#ifndef UPSTREAM /* the local answer; faulty_upstream.inc replaces it */
#ifdef FAULT_SINK_AFTER_END
/* The fault: a sink kept past its hook. Only ever read and written by generate. */
static sy_sink kept_sink;
#endif

/* A write the sink refused stops generate with its status. SY_E_CANCELLED means the client has
 * gone: the call says so too (call_cancelled), or the host broke its word. */
static sy_status stopped(sy_call call, sy_status status, sy_error *error) {
    if (status == SY_E_CANCELLED && !host->call_cancelled(call))
        return fail(error, SY_E_INTERNAL, "the sink answered SY_E_CANCELLED but call_cancelled reads 0");
    return status;
}

/* [any-thread] The whole answer on `out` ([hook-thread], valid until this returns). */
static sy_status generate(sy_instance instance, sy_call call, const sy_call_info *info,
                          sy_bytes request, sy_sink out, sy_error *error) {
    (void)call; (void)request; (void)error;
    const faulty_instance *self = instance;
#if defined(FAULT_SEGFAULT)
    *(volatile int *)(uintptr_t)0 = 1;
#elif defined(FAULT_ABORT)
    fprintf(stderr, "faulty: generate gives up (FAULT_ABORT)\n"); /* what a failed assert prints */
    abort();
#elif defined(FAULT_HANG)
    for (;;) pause();
#elif defined(FAULT_LEAK)
    char *lost = malloc(64 * 1024);
    if (lost) memset(lost, 0x5A, 64 * 1024);
#elif defined(FAULT_SINK_AFTER_END)
    if (kept_sink != SY_HANDLE_NONE) {
        const char *late = "{\"object\":\"chat.completion\",\"choices\":[]}";
        (void)emit(self, kept_sink, SY_OUT_JSON, late, strlen(late));
    }
    kept_sink = out;
#elif defined(FAULT_REQUEST_CRASH)
    if (request.len < 2 || request.ptr[0] != '{' || request.ptr[1] != '"') *(volatile int *)(uintptr_t)0 = 1;
#elif defined(FAULT_NOT_REENTRANT)
    static int running; /* the fault: one static flag for every thread, no lock */
    if (__atomic_exchange_n(&running, 1, __ATOMIC_ACQ_REL)) return fail(error, SY_E_INTERNAL, "generate is already running");
    usleep(200);
    __atomic_store_n(&running, 0, __ATOMIC_RELEASE);
#elif defined(FAULT_CRASH_WITH_HELPER)
    start_helper();
    *(volatile int *)(uintptr_t)0 = 1;
#elif defined(FAULT_UNRESOLVED)
    if (sy_faulty_undefined_function(1) == 42) return fail(error, SY_E_INTERNAL, "unreachable");
#endif
#if defined(FAULT_BAD_UTF8)
    const char *text = "caf\xC3 au lait"; /* 0xC3 starts a sequence that never continues */
#else
    const char *text = self->text;
#endif
    const int model_length = (int)info->upstream_model.len;
    const char *model = (const char *)info->upstream_model.ptr;
    char json[1024];
    int length;
    sy_status status;
    if (info->stream) {
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion.chunk\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"delta\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":null}]}",
            model_length, model, text);
        if ((status = emit(self, out, SY_OUT_JSON, json, (size_t)length)) != SY_OK) return stopped(call, status, error);
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion.chunk\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"delta\":{},\"finish_reason\":\"stop\"}]}", model_length, model);
    } else {
        length = snprintf(json, sizeof json,
            "{\"object\":\"chat.completion\",\"model\":\"%.*s\",\"choices\":[{\"index\":0,"
            "\"message\":{\"role\":\"assistant\",\"content\":\"%s\"},\"finish_reason\":\"stop\"}]}",
            model_length, model, text);
    }
#if defined(FAULT_BAD_JSON)
    length -= 3; /* the closing "}]}" never written */
#endif
    if ((status = emit(self, out, SY_OUT_JSON, json, (size_t)length)) != SY_OK) return stopped(call, status, error);
    const char *usage = "{\"usage\":{\"prompt_tokens\":3,\"completion_tokens\":5,\"total_tokens\":8}}";
    status = emit(self, out, SY_OUT_META_JSON, usage, strlen(usage));
    return status == SY_OK ? SY_OK : stopped(call, status, error);
}

#endif

#ifdef UPSTREAM
#include "faulty_upstream.inc"
static const sy_provider_v1 provider = {
    sizeof(sy_provider_v1), prepare, &transformer, NULL /* generate */, NULL /* passthrough */, NULL /* batch */,
};
#else
static const sy_provider_v1 provider = {
    sizeof(sy_provider_v1), NULL /* prepare */, NULL /* response */, generate, NULL /* passthrough */,
    NULL /* batch */,
};
#endif

/* [thread-safe] */
static const void *get_interface(sy_instance instance, const char *id) {
    (void)instance;
#if defined(FAULT_ANY_INTERFACE)
    (void)id;
    return &provider;
#else
    return strcmp(id, SY_IFACE_PROVIDER) == 0 ? &provider : NULL;
#endif
}

#ifdef FAULT_WRONG_ABI
#define FAULTY_MAJOR 2u
#else
#define FAULTY_MAJOR SY_ABI_MAJOR
#endif

/* FAULT_ANY_CONFIG declares no config_schema: the gateway checks a declared schema before
 * instance_new, so only a plugin without one has to refuse a bad config itself (and this one
 * does not). */
#if defined(FAULT_ANY_CONFIG)
#define FAULTY_SCHEMA ""
#else
#define FAULTY_SCHEMA ",\"config_schema\":{\"type\":\"object\",\"additionalProperties\":false," \
    "\"properties\":{\"text\":{\"type\":\"string\"}}}"
#endif

static const sy_plugin_api plugin = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.faulty-provider", "1.0.0",
    "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"operations\":[\"chat_completions\"],"
    "\"toolchain\":\"c\"" FAULTY_SCHEMA "}",
    0, 0, instance_new, instance_free, get_interface,
};

/* FAULT_MISSING_SYMBOL: the same code, linked with a version script that exports nothing. */
SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != FAULTY_MAJOR) {
        negotiate->abi_major = FAULTY_MAJOR;
        return SY_E_ABI;
    }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    host = negotiate->host;
    negotiate->plugin = &plugin;
    return SY_OK;
}
