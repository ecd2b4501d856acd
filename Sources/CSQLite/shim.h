#include <sqlite3.h>
// SQLITE_TRANSIENT is a macro over a function-pointer cast that Swift cannot import.
static inline void (*dataflow_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }
// Memory statistics are kept under one global mutex, taken on every allocation (9 % of the
// writer thread in a full sync); dataflow never reads them. sqlite3_config is variadic, which
// Swift cannot call, and only works before the library initializes: SQLiteDatabase calls this
// once before its first connection opens.
static inline void dataflow_sqlite_configure(void) { sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0); }
