/* A plugin compiled against ABI 1.3 (its table says so) that can run on older hosts.
 *   (default)               negotiates down to the host's minor, as the header asks: loads
 *   -DFIXTURE_CLAIM_MINOR   writes its own minor back instead: the host must refuse it */
#include "minimal.h"

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), 3, "dev.switchyard.test.newer", "0.1.0", MINIMAL_MANIFEST, 0, 0,
    minimal_instance_new, minimal_instance_free, minimal_get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
#ifdef FIXTURE_CLAIM_MINOR
    negotiate->abi_minor = 3;
#else
    if (negotiate->abi_minor > 3) negotiate->abi_minor = 3;
#endif
    negotiate->plugin = &api;
    return SY_OK;
}
