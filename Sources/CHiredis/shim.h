#ifndef SWITCHYARD_CHIREDIS_SHIM_H
#define SWITCHYARD_CHIREDIS_SHIM_H
/* hiredis (Debian bookworm: 0.14.1), the reference C client of Redis, for the shared ledger
 * (docs/decisions/0027-hiredis-on-the-event-loop.md). Only its async API is used, driven by our
 * own event loop through the context's ev hooks; the blocking redisConnect/redisCommand never. */
#include <hiredis/hiredis.h>
#include <hiredis/async.h>
#endif
