/* Prints the size of every ABI struct and the offset and size of every field, one line each.
 * plugin-sdk/abi/layout-1.N.txt pins these; scripts/check-abi.sh regenerates them and allows
 * only growth at the end (new lines, larger struct sizes), never a moved or resized field. */
#include <stddef.h>
#include <stdio.h>
#include "switchyard_plugin.h"

#define STRUCT(T) printf("%s sizeof=%zu\n", #T, sizeof(T));
/* A handle passed by value (sy_sink ...): its size is pinned exactly, like a field (check-layout.sh
 * compares a line without `sizeof=` verbatim), since growing it would change every call taking it. */
#define HANDLE(T) printf("%s size=%zu\n", #T, sizeof(T));
#define FIELD(T, f) printf("%s.%s offset=%zu size=%zu\n", #T, #f, offsetof(T, f), sizeof(((T *)0)->f));

int main(void) {
    STRUCT(sy_error) FIELD(sy_error, struct_size) FIELD(sy_error, code) FIELD(sy_error, http_status)
    FIELD(sy_error, retryable) FIELD(sy_error, message)
    STRUCT(sy_bytes) FIELD(sy_bytes, ptr) FIELD(sy_bytes, len)
    STRUCT(sy_header) FIELD(sy_header, name) FIELD(sy_header, value)
    HANDLE(sy_sink) HANDLE(sy_http_out) HANDLE(sy_verdict)
    STRUCT(sy_call_info) FIELD(sy_call_info, struct_size) FIELD(sy_call_info, operation) FIELD(sy_call_info, stream)
    FIELD(sy_call_info, attempt) FIELD(sy_call_info, request_id) FIELD(sy_call_info, upstream_model) FIELD(sy_call_info, request)
    STRUCT(sy_http_request) FIELD(sy_http_request, struct_size) FIELD(sy_http_request, timeout_ms)
    FIELD(sy_http_request, method) FIELD(sy_http_request, url) FIELD(sy_http_request, body)
    FIELD(sy_http_request, headers) FIELD(sy_http_request, header_count)
    STRUCT(sy_http_handler) FIELD(sy_http_handler, struct_size) FIELD(sy_http_handler, ctx)
    FIELD(sy_http_handler, on_headers) FIELD(sy_http_handler, on_data) FIELD(sy_http_handler, on_done)
    STRUCT(sy_host_api) FIELD(sy_host_api, struct_size) FIELD(sy_host_api, abi_minor) FIELD(sy_host_api, log_enabled)
    FIELD(sy_host_api, log) FIELD(sy_host_api, now_unix_ns) FIELD(sy_host_api, monotonic_ns) FIELD(sy_host_api, alloc)
    FIELD(sy_host_api, free) FIELD(sy_host_api, metric_define) FIELD(sy_host_api, metric_record)
    FIELD(sy_host_api, secret_get) FIELD(sy_host_api, http_send) FIELD(sy_host_api, http_cancel)
    FIELD(sy_host_api, resume) FIELD(sy_host_api, call_cancelled) FIELD(sy_host_api, call_metadata)
    FIELD(sy_host_api, get_extension) FIELD(sy_host_api, sink_write) FIELD(sy_host_api, http_out_set_method)
    FIELD(sy_host_api, http_out_set_url) FIELD(sy_host_api, http_out_add_header) FIELD(sy_host_api, http_out_append_body)
    FIELD(sy_host_api, verdict_patch) FIELD(sy_host_api, verdict_reject) FIELD(sy_host_api, verdict_hold)
    FIELD(sy_host_api, call_route)
#if SY_ABI_MINOR >= 1 /* so the generator also builds against a released 1.0 header */
    FIELD(sy_host_api, call_deadline_ns)
#endif
    STRUCT(sy_transformer_v1) FIELD(sy_transformer_v1, struct_size) FIELD(sy_transformer_v1, begin)
    FIELD(sy_transformer_v1, data) FIELD(sy_transformer_v1, end) FIELD(sy_transformer_v1, state_free)
    STRUCT(sy_provider_v1) FIELD(sy_provider_v1, struct_size) FIELD(sy_provider_v1, prepare)
    FIELD(sy_provider_v1, response) FIELD(sy_provider_v1, generate) FIELD(sy_provider_v1, passthrough)
    FIELD(sy_provider_v1, batch)
    STRUCT(sy_provider_batch_v1) FIELD(sy_provider_batch_v1, struct_size) FIELD(sy_provider_batch_v1, request)
    FIELD(sy_provider_batch_v1, create_part) FIELD(sy_provider_batch_v1, status) FIELD(sy_provider_batch_v1, result)
    STRUCT(sy_guardrail_v1) FIELD(sy_guardrail_v1, struct_size) FIELD(sy_guardrail_v1, phases)
    FIELD(sy_guardrail_v1, inspect) FIELD(sy_guardrail_v1, call_end)
    STRUCT(sy_exchange_head) FIELD(sy_exchange_head, struct_size) FIELD(sy_exchange_head, http_status)
    FIELD(sy_exchange_head, method) FIELD(sy_exchange_head, path) FIELD(sy_exchange_head, headers)
    FIELD(sy_exchange_head, header_count)
    STRUCT(sy_enricher_v1) FIELD(sy_enricher_v1, struct_size) FIELD(sy_enricher_v1, phases) FIELD(sy_enricher_v1, begin)
    FIELD(sy_enricher_v1, response) FIELD(sy_enricher_v1, data) FIELD(sy_enricher_v1, end) FIELD(sy_enricher_v1, state_free)
    STRUCT(sy_batch_v1) FIELD(sy_batch_v1, struct_size) FIELD(sy_batch_v1, begin)
    FIELD(sy_batch_v1, line) FIELD(sy_batch_v1, end) FIELD(sy_batch_v1, state_free)
    STRUCT(sy_plugin_api) FIELD(sy_plugin_api, struct_size) FIELD(sy_plugin_api, abi_minor) FIELD(sy_plugin_api, id)
    FIELD(sy_plugin_api, version) FIELD(sy_plugin_api, manifest_json) FIELD(sy_plugin_api, flags)
    FIELD(sy_plugin_api, reserved) FIELD(sy_plugin_api, instance_new) FIELD(sy_plugin_api, instance_free)
    FIELD(sy_plugin_api, get_interface)
    STRUCT(sy_negotiate) FIELD(sy_negotiate, struct_size) FIELD(sy_negotiate, abi_major) FIELD(sy_negotiate, abi_minor)
    FIELD(sy_negotiate, required_minor) FIELD(sy_negotiate, host) FIELD(sy_negotiate, plugin)
    return 0;
}
