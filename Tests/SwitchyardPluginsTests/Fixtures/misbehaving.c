/* A plugin that misbehaves in one place per build, for `switchyard validate` (which loads in a
 * child process) to report by entry and step:
 *   -DFIXTURE_HANG_ON_LOAD          a constructor that never returns: dlopen hangs
 *   -DFIXTURE_CRASH_IN_INSTANCE_NEW instance_new dereferences NULL */
#include <unistd.h>
#include "minimal.h"

#ifdef FIXTURE_HANG_ON_LOAD
__attribute__((constructor)) static void hang(void) {
    for (;;) pause();
}
#endif

static sy_status instance_new(sy_hinst h, sy_bytes config, sy_instance *out, sy_error *error) {
#ifdef FIXTURE_CRASH_IN_INSTANCE_NEW
    volatile int *nowhere = 0;
    *nowhere = 1;
#endif
    return minimal_instance_new(h, config, out, error);
}

static const sy_plugin_api api = {
    sizeof(sy_plugin_api), SY_ABI_MINOR, "dev.switchyard.test.misbehaving", "0.1.0", MINIMAL_MANIFEST, 0, 0,
    instance_new, minimal_instance_free, minimal_get_interface,
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
    negotiate->plugin = &api;
    return SY_OK;
}
