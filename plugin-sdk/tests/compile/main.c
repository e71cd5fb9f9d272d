/* Compiles the public header on its own, as C; scripts/check-abi.sh runs it as C99, C11 and
 * C17 with -Wall -Wextra -Werror -pedantic under gcc and clang. It touches every table type and
 * the SY_HAS macro, so a construct one standard or compiler rejects cannot hide. */
#include "switchyard_plugin.h"

static sy_status entry(sy_negotiate *negotiate) { return negotiate->abi_major == SY_ABI_MAJOR ? SY_OK : SY_E_ABI; }

int main(void) {
    sy_host_api host = { sizeof(sy_host_api), SY_ABI_MINOR, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
                         0, 0, 0, 0, 0, 0, 0, 0, 0, 0 };
    sy_sink sink = SY_HANDLE_NONE; /* handles are plain integers, passed by value */
    sy_http_out out = SY_HANDLE_NONE;
    sy_verdict verdict = SY_HANDLE_NONE;
    sy_negotiate negotiate = { sizeof(sy_negotiate), SY_ABI_MAJOR, SY_ABI_MINOR, 0, 0, 0 };
    sy_error error = { sizeof(sy_error), SY_OK, 0, 0, { 0 } };
    sy_plugin_entry_fn function = entry;
    sy_transformer_v1 transformer = { sizeof(sy_transformer_v1), 0, 0, 0, 0 };
    sy_provider_batch_v1 inline_batches = { sizeof(sy_provider_batch_v1), 0, 0, 0, 0 };
    sy_provider_v1 provider = { sizeof(sy_provider_v1), 0, &transformer, 0, 0, &inline_batches };
    sy_guardrail_v1 guardrail = { sizeof(sy_guardrail_v1), SY_PHASE_REQUEST | SY_PHASE_CHUNK, 0, 0 };
    sy_batch_v1 batch = { sizeof(sy_batch_v1), 0, 0, 0, 0 };
    negotiate.host = &host;
    if (SY_HAS(sy_host_api, &host, get_extension) || SY_HAS(sy_host_api, &host, sink_write)) return 1;
    if (SY_HAS(sy_host_api, &host, call_route) || batch.line != 0) return 1;
    if (SY_HAS(sy_host_api, &host, call_deadline_ns) && host.call_deadline_ns(0) != 0) return 1;
    if (sink != out || out != verdict) return 1;
    return (int)(function(&negotiate) + error.code) + (provider.response != &transformer) + (int)(SY_OP_BATCHES - SY_OP_FILES - 1u) + (int)(guardrail.phases != 5u)
           + (int)(SY_HAS(sy_provider_v1, &provider, batch) && provider.batch->request != 0);
}
