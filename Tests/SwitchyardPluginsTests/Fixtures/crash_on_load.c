/* A plugin whose constructor crashes, as a broken runtime start-up would: dlopen never returns.
 * Only ever loaded in a child process (switchyard plugins inspect, switchyard validate). */
#include "minimal.h"

/* A real fault, not raise(): it recurs even if a crash handler in the process returns. */
__attribute__((constructor)) static void crash(void) {
    volatile int *nowhere = 0;
    *nowhere = 1;
}

SY_EXPORT sy_status sy_plugin_entry(sy_negotiate *negotiate) { (void)negotiate; return SY_E_INTERNAL; }
