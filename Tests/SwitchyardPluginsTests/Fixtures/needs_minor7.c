/* A plugin that needs host ABI 1.7 (it calls host functions added in 1.7): refuses older hosts
 * with required_minor, as the header asks. */
#include "minimal.h"

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor < 7) { negotiate->required_minor = 7; return SY_E_ABI; }
    return SY_E_INTERNAL;
}
