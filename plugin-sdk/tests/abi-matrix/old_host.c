/* old_host: a host of ABI 1.0, for the "new plugin x old host" half of the compatibility matrix
 * (scripts/check-abi-matrix.sh). Built against the RELEASED 1.0 header only
 * (-I plugin-sdk/abi/released/1.0), so it knows nothing newer: it offers abi_minor 0 and a
 * sy_host_api of the 1.0 size, with small working services, loads a plugin the way the gateway
 * does (dlopen RTLD_NOW | RTLD_LOCAL, sy_plugin_entry), runs one provider hook and prints what
 * it got, one "key: value" line each, for the script to check.
 *
 * Usage: old_host PLUGIN.so [options]
 *   --config JSON      the instance's config (default {})
 *   --stream           ask for a stream (sy_call_info.stream = 1)
 *   --prepare          run prepare (print the upstream request it built) instead of generate
 *   --host-size N      offer a host table of N bytes (default: the 1.0 size): a table shorter
 *                      than 1.0 must be refused with SY_E_ABI
 *   --negotiate-size N offer a sy_negotiate block of N bytes (default: its size)
 *
 * The host table and the negotiate block each end exactly where an unmapped page begins: a
 * plugin that reads or writes past the struct_size it was given (a 1.1 function on this 1.0
 * host without SY_HAS, a field of a short block) dies with SIGSEGV instead of reading garbage.
 *
 * Exit status: 0 when the hook ran and returned SY_OK, 2 when the plugin refused to negotiate,
 * 3 when it failed later, 1 for a usage or load error. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <time.h>
#include <unistd.h>
#include "switchyard_plugin.h"

#if SY_ABI_MINOR != 0
#error "old_host is the ABI 1.0 host: build it with -I plugin-sdk/abi/released/1.0"
#endif

/* The handles this host lends: one of each, valid only during the hook that receives it. */
#define SINK ((sy_sink)0x5151u)
#define HTTP_OUT ((sy_http_out)0x7070u)
#define CALL ((sy_call)(uintptr_t)0xCA11u)

static int hook_running; /* handles are valid only while the hook runs */

static const char *status_name(sy_status status) {
    switch (status) {
    case SY_OK: return "SY_OK";
    case SY_E_INVALID: return "SY_E_INVALID";
    case SY_E_UNSUPPORTED: return "SY_E_UNSUPPORTED";
    case SY_E_ABI: return "SY_E_ABI";
    case SY_E_CONFIG: return "SY_E_CONFIG";
    case SY_E_HANDLE: return "SY_E_HANDLE";
    case SY_E_INTERNAL: return "SY_E_INTERNAL";
    default: return "other";
    }
}

/* ---------------------------------------------------------------- the 1.0 services */

static uint32_t log_enabled(sy_hinst h, uint32_t level) { (void)h; return level >= SY_LOG_DEBUG; }

static void log_line(sy_hinst h, sy_call call, uint32_t level, sy_bytes message) {
    (void)h;
    fprintf(stderr, "plugin log (level %u%s): %.*s\n", level, call ? ", with call" : "", (int)message.len, (const char *)message.ptr);
}

static uint64_t clock_ns(clockid_t clock) {
    struct timespec t;
    clock_gettime(clock, &t);
    return (uint64_t)t.tv_sec * 1000000000u + (uint64_t)t.tv_nsec;
}
static uint64_t now_unix_ns(void) { return clock_ns(CLOCK_REALTIME); }
static uint64_t monotonic_ns(void) { return clock_ns(CLOCK_MONOTONIC); }

static void *host_alloc(sy_hinst h, size_t size) { (void)h; return malloc(size ? size : 1); }
static void host_free(sy_hinst h, void *pointer) { (void)h; free(pointer); }

static uint32_t metrics_defined;
static sy_status metric_define(sy_hinst h, uint32_t kind, sy_bytes name, sy_bytes labels, uint32_t *out_id) {
    (void)h; (void)kind; (void)name; (void)labels;
    if (!out_id) return SY_E_INVALID;
    *out_id = ++metrics_defined;
    return SY_OK;
}
static sy_status metric_record(sy_hinst h, uint32_t id, double value, const sy_bytes *labels, size_t count) {
    (void)h; (void)value; (void)labels; (void)count;
    return id >= 1 && id <= metrics_defined ? SY_OK : SY_E_INVALID;
}

static sy_status secret_get(sy_hinst h, sy_bytes name, uint8_t *buffer, size_t capacity, size_t *out_len) {
    (void)h;
    char key[128];
    if (name.len == 0 || name.len >= sizeof key) return SY_E_INVALID;
    memcpy(key, name.ptr, name.len);
    key[name.len] = 0;
    const char *value = getenv(key);
    if (!value) return SY_E_INVALID;
    size_t length = strlen(value);
    if (out_len) *out_len = length;
    if (length > capacity || (length && !buffer)) return SY_E_TOO_SMALL;
    memcpy(buffer, value, length);
    return SY_OK;
}

static sy_status http_send(sy_hinst h, sy_call call, const sy_http_request *request, const sy_http_handler *handler, uint64_t *out) {
    (void)h; (void)call; (void)request; (void)handler; (void)out;
    return SY_E_UNSUPPORTED; /* no out-of-band HTTP in this harness */
}
static void http_cancel(sy_hinst h, uint64_t request) { (void)h; (void)request; }
static sy_status resume(sy_hinst h, sy_verdict verdict, sy_status result) { (void)h; (void)verdict; (void)result; return SY_E_HANDLE; }
static uint32_t call_cancelled(sy_call call) { (void)call; return 0; }

static const char metadata[] = "{\"request_id\":\"old-host-1\",\"endpoint\":\"/v1/chat/completions\",\"mode\":\"translated\","
                               "\"model\":\"m\",\"requested_model\":\"m\",\"provider\":\"p\",\"attempt\":0,\"stream\":false}";
static sy_bytes call_metadata(sy_call call) {
    sy_bytes none = { NULL, 0 }, bytes = { (const uint8_t *)metadata, sizeof metadata - 1 };
    return call == CALL && hook_running ? bytes : none;
}
static const void *get_extension(sy_hinst h, const char *id) { (void)h; (void)id; return NULL; }

static sy_status sink_write(sy_hinst h, sy_sink sink, uint32_t kind, sy_bytes data) {
    (void)h;
    if (sink != SINK || !hook_running) return SY_E_HANDLE;
    printf("output kind=%u: %.*s\n", kind, (int)data.len, (const char *)data.ptr);
    return SY_OK;
}

static sy_status http_out_check(sy_http_out out) { return out == HTTP_OUT && hook_running ? SY_OK : SY_E_HANDLE; }
static sy_status http_out_set_method(sy_hinst h, sy_http_out out, sy_bytes value) {
    (void)h;
    if (http_out_check(out) != SY_OK) return SY_E_HANDLE;
    printf("upstream method: %.*s\n", (int)value.len, (const char *)value.ptr);
    return SY_OK;
}
static sy_status http_out_set_url(sy_hinst h, sy_http_out out, sy_bytes value) {
    (void)h;
    if (http_out_check(out) != SY_OK) return SY_E_HANDLE;
    printf("upstream url: %.*s\n", (int)value.len, (const char *)value.ptr);
    return SY_OK;
}
static sy_status http_out_add_header(sy_hinst h, sy_http_out out, sy_bytes name, sy_bytes value) {
    (void)h;
    if (http_out_check(out) != SY_OK) return SY_E_HANDLE;
    printf("upstream header: %.*s: %.*s\n", (int)name.len, (const char *)name.ptr, (int)value.len, (const char *)value.ptr);
    return SY_OK;
}
static sy_status http_out_append_body(sy_hinst h, sy_http_out out, sy_bytes data) {
    (void)h;
    if (http_out_check(out) != SY_OK) return SY_E_HANDLE;
    printf("upstream body: %.*s\n", (int)data.len, (const char *)data.ptr);
    return SY_OK;
}
static sy_status verdict_patch(sy_hinst h, sy_verdict v, uint32_t format, sy_bytes document) {
    (void)h; (void)v; (void)format; (void)document;
    return SY_E_HANDLE;
}
static sy_status verdict_reject(sy_hinst h, sy_verdict v, uint32_t status, sy_bytes body) {
    (void)h; (void)v; (void)status; (void)body;
    return SY_E_HANDLE;
}
static sy_status verdict_hold(sy_hinst h, sy_verdict v, size_t bytes) { (void)h; (void)v; (void)bytes; return SY_E_HANDLE; }
static sy_bytes call_route(sy_call call, sy_bytes model) { (void)call; (void)model; sy_bytes none = { NULL, 0 }; return none; }

static const sy_host_api services = {
    sizeof(sy_host_api), 0 /* abi_minor */, log_enabled, log_line, now_unix_ns, monotonic_ns, host_alloc, host_free,
    metric_define, metric_record, secret_get, http_send, http_cancel, resume, call_cancelled, call_metadata,
    get_extension, sink_write, http_out_set_method, http_out_set_url, http_out_add_header, http_out_append_body,
    verdict_patch, verdict_reject, verdict_hold, call_route,
};

/* `size` bytes that end where an unmapped page begins; the first `size` bytes of `source` copied
 * in (zeros past the source). */
static void *guarded_copy(const void *source, size_t source_size, size_t size) {
    long page = sysconf(_SC_PAGESIZE);
    size_t pages = (size + (size_t)page - 1) / (size_t)page + 1;
    uint8_t *base = mmap(NULL, pages * (size_t)page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (base == MAP_FAILED) { perror("mmap"); exit(1); }
    uint8_t *guard = base + (pages - 1) * (size_t)page;
    if (mprotect(guard, (size_t)page, PROT_NONE) != 0) { perror("mprotect"); exit(1); }
    uint8_t *block = guard - size;
    memcpy(block, source, size < source_size ? size : source_size);
    return block;
}

static long option_number(const char *text) {
    char *end;
    long value = strtol(text, &end, 10);
    if (*end || value < 0) { fprintf(stderr, "old_host: not a size: %s\n", text); exit(1); }
    return value;
}

int main(int argc, char **argv) {
    setvbuf(stdout, NULL, _IOLBF, 0); /* each line out before a crash the matrix expects */
    if (argc < 2) {
        fprintf(stderr, "usage: old_host PLUGIN.so [--config JSON] [--stream] [--prepare] [--host-size N] [--negotiate-size N]\n");
        return 1;
    }
    const char *config = "{}";
    int stream = 0, run_prepare = 0;
    size_t host_size = sizeof(sy_host_api), negotiate_size = sizeof(sy_negotiate);
    for (int i = 2; i < argc; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) config = argv[++i];
        else if (strcmp(argv[i], "--stream") == 0) stream = 1;
        else if (strcmp(argv[i], "--prepare") == 0) run_prepare = 1;
        else if (strcmp(argv[i], "--host-size") == 0 && i + 1 < argc) host_size = (size_t)option_number(argv[++i]);
        else if (strcmp(argv[i], "--negotiate-size") == 0 && i + 1 < argc) negotiate_size = (size_t)option_number(argv[++i]);
        else { fprintf(stderr, "old_host: unknown option %s\n", argv[i]); return 1; }
    }

    void *library = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
    if (!library) { fprintf(stderr, "old_host: %s\n", dlerror()); return 1; }
    sy_plugin_entry_fn entry = (sy_plugin_entry_fn)(uintptr_t)dlsym(library, SY_PLUGIN_ENTRY_SYMBOL);
    if (!entry) { fprintf(stderr, "old_host: no %s\n", SY_PLUGIN_ENTRY_SYMBOL); return 1; }

    sy_host_api *host = guarded_copy(&services, sizeof services, host_size);
    host->struct_size = (uint32_t)host_size;
    sy_negotiate offer = { (uint32_t)negotiate_size, SY_ABI_MAJOR, SY_ABI_MINOR, 0, host, NULL };
    sy_negotiate *negotiate = guarded_copy(&offer, sizeof offer, negotiate_size);
    printf("host: abi 1.%u, sy_host_api %zu bytes, sy_negotiate %zu bytes\n", SY_ABI_MINOR, host_size, negotiate_size);

    sy_status status = entry(negotiate);
    printf("negotiate: %s (%d)\n", status_name(status), status);
    if (status != SY_OK) return 2;
    const sy_plugin_api *plugin = negotiate->plugin;
    if (negotiate->abi_minor > SY_ABI_MINOR || !plugin || plugin->struct_size < sizeof(sy_plugin_api)) {
        printf("negotiate: refused by the host (minor 1.%u, table %s)\n", negotiate->abi_minor, plugin ? "short" : "missing");
        return 2;
    }
    printf("negotiated: 1.%u (plugin built for 1.%u)\n", negotiate->abi_minor, plugin->abi_minor);
    printf("plugin: %s %s\n", plugin->id, plugin->version);

    sy_error error = { sizeof(sy_error), 0, 0, 0, { 0 } };
    sy_instance instance = NULL;
    sy_bytes config_bytes = { (const uint8_t *)config, strlen(config) };
    status = plugin->instance_new((sy_hinst)(uintptr_t)0x1157u, config_bytes, &instance, &error);
    if (status != SY_OK) { printf("instance_new: %s: %s\n", status_name(status), error.message); return 3; }
    const sy_provider_v1 *provider = plugin->get_interface(instance, SY_IFACE_PROVIDER);
    if (!provider || provider->struct_size < offsetof(sy_provider_v1, generate)) {
        printf("provider: none\n");
        return 3;
    }

    static const char body[] = "{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"hi\"}]}";
    sy_call_info info = { sizeof(sy_call_info), SY_OP_CHAT_COMPLETIONS, (uint32_t)stream, 0,
                          { (const uint8_t *)"old-host-1", 10 }, { (const uint8_t *)"m", 1 },
                          { (const uint8_t *)body, sizeof body - 1 } };
    sy_bytes request = { (const uint8_t *)body, sizeof body - 1 };
    int has_generate = provider->struct_size >= offsetof(sy_provider_v1, generate) + sizeof(void *) && provider->generate;
    hook_running = 1;
    if (run_prepare || !has_generate) {
        if (!provider->prepare) { printf("provider: no prepare\n"); return 3; }
        status = provider->prepare(instance, CALL, &info, request, HTTP_OUT, &error);
        printf("prepare: %s (%d)%s%s\n", status_name(status), status, error.message[0] ? ": " : "", error.message);
    } else {
        status = provider->generate(instance, CALL, &info, request, SINK, &error);
        printf("generate: %s (%d)%s%s\n", status_name(status), status, error.message[0] ? ": " : "", error.message);
    }
    hook_running = 0;
    plugin->instance_free(instance);
    return status == SY_OK ? 0 : 3;
}
