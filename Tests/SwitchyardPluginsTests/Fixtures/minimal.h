/* Shared by the failure-mode fixtures: a complete, valid plugin table whose parts each
 * fixture overrides to fail in exactly one way. */
#include <string.h>
#include "switchyard_plugin.h"

static sy_status minimal_instance_new(sy_hinst h, sy_bytes config, sy_instance *out, sy_error *error) {
    (void)h; (void)config; (void)error;
    *out = 0;
    return SY_OK;
}
static void minimal_instance_free(sy_instance instance) { (void)instance; }
static const void *minimal_get_interface(sy_instance instance, const char *id) { (void)instance; (void)id; return NULL; }

#define MINIMAL_MANIFEST "{\"kinds\":[\"provider\"],\"interfaces\":[\"switchyard.provider/1\"]}"
