#ifndef SWITCHYARD_CSQLITE_SHIM_H
#define SWITCHYARD_CSQLITE_SHIM_H
/* SQLite 3 (Debian's libsqlite3) for the embedded store (docs/decisions/0014). */
#include <sqlite3.h>

/* SQLITE_TRANSIENT is a cast macro Swift cannot import: bound text and blobs are copied by
 * SQLite before sqlite3_bind_* returns, so the caller's buffer may go right after. */
static inline sqlite3_destructor_type sy_sqlite_transient(void) { return SQLITE_TRANSIENT; }
#endif
