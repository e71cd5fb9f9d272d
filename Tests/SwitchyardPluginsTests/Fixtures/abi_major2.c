/* A plugin built for ABI major 2: refuses major 1 and says which major it is. */
#include "minimal.h"

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != 2) { negotiate->abi_major = 2; return SY_E_ABI; }
    return SY_E_INTERNAL;
}
