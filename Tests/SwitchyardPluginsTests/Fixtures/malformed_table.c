/* A plugin that negotiates fine but returns an unusable table, one defect per build:
 *   -DFIXTURE_NO_TABLE          SY_OK without a table
 *   -DFIXTURE_SHORT_TABLE       struct_size smaller than the 1.0 table
 *   -DFIXTURE_NULL_HOOKS        instance_new and get_interface are NULL, id is NULL
 *   -DFIXTURE_MANIFEST_NOT_JSON manifest_json is not JSON
 *   -DFIXTURE_MANIFEST_NO_IFACES manifest_json lacks "interfaces"
 *   -DFIXTURE_BAD_SCHEMA        config_schema uses a keyword the host cannot check
 *   -DFIXTURE_BLOCKING_UNKNOWN  "blocking_hooks" names a hook that does not exist
 *   -DFIXTURE_BLOCKING_NOT_LIST "blocking_hooks" is a string, not an array
 * and one that is fine:
 *   -DFIXTURE_BLOCKING_DECLARED "blocking_hooks": ["generate", "response"] */
#include "minimal.h"

#if defined(FIXTURE_MANIFEST_NOT_JSON)
#define MANIFEST "{\"kinds\":[\"provider\"],"
#elif defined(FIXTURE_MANIFEST_NO_IFACES)
#define MANIFEST "{\"kinds\":[\"provider\"]}"
#elif defined(FIXTURE_BAD_SCHEMA)
#define MANIFEST "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]," \
    "\"config_schema\":{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\",\"multipleOf\":2}}}}"
#elif defined(FIXTURE_BLOCKING_UNKNOWN)
#define MANIFEST "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"blocking_hooks\":[\"generate\",\"genrate\"]}"
#elif defined(FIXTURE_BLOCKING_NOT_LIST)
#define MANIFEST "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"blocking_hooks\":\"generate\"}"
#elif defined(FIXTURE_BLOCKING_DECLARED)
#define MANIFEST "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"],\"blocking_hooks\":[\"generate\",\"response\"]}"
#else
#define MANIFEST MINIMAL_MANIFEST
#endif

static const sy_plugin_api api = {
#ifdef FIXTURE_SHORT_TABLE
    (uint32_t)offsetof(sy_plugin_api, instance_new),
#else
    sizeof(sy_plugin_api),
#endif
    SY_ABI_MINOR,
#ifdef FIXTURE_NULL_HOOKS
    NULL, "0.1.0", MANIFEST, 0, 0, NULL, minimal_instance_free, NULL,
#else
    "dev.switchyard.test.malformed", "0.1.0", MANIFEST, 0, 0, minimal_instance_new, minimal_instance_free, minimal_get_interface,
#endif
};

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) {
    if (negotiate->abi_major != SY_ABI_MAJOR) { negotiate->abi_major = SY_ABI_MAJOR; return SY_E_ABI; }
    if (negotiate->abi_minor > SY_ABI_MINOR) negotiate->abi_minor = SY_ABI_MINOR;
#ifndef FIXTURE_NO_TABLE
    negotiate->plugin = &api;
#else
    (void)&api;
#endif
    return SY_OK;
}
