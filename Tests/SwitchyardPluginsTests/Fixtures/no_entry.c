/* A shared object that is not a plugin: it exports a function, but not sy_plugin_entry. */
#include "minimal.h"

SY_EXPORT sy_status not_the_entry(sy_negotiate *negotiate) { (void)negotiate; return SY_OK; }
