#ifndef DATAFLOW_CSQLITE_H
#define DATAFLOW_CSQLITE_H
#include <sqlite3.h>
#include <sys/types.h>
// SQLITE_TRANSIENT is a macro over a function-pointer cast that Swift cannot import.
static inline void (*dataflow_sqlite_transient(void))(void *) { return SQLITE_TRANSIENT; }

// The name of the VFS every dataflow connection opens with (wal_buffer.c).
#define DATAFLOW_SQLITE_VFS "dataflow"

// Process-wide settings, made once before the first connection opens:
// - Memory statistics are kept under one global mutex, taken on every allocation (9 % of the
//   writer thread in a full sync); dataflow never reads them. sqlite3_config is variadic, which
//   Swift cannot call, and only works before the library initializes.
// - Registers the "dataflow" VFS (wal_buffer.c): the platform's default VFS, with the frames a
//   transaction appends to a WAL file gathered into one write of up to 124 KiB instead of two
//   writes per page. Returns SQLITE_OK or SQLite's error code.
int dataflow_sqlite_configure(void);

// For tests: the write calls SQLite made to this connection's WAL file, and those the "dataflow"
// VFS passed on to the platform's VFS. SQLITE_NOTFOUND when the WAL is not open or not this VFS's.
int dataflow_wal_write_counts(sqlite3 *db, sqlite3_int64 *received, sqlite3_int64 *passed);
// For tests: `probe` is called with the database's path each time this connection gives up the
// WAL's write lock, after SQLite has published the transaction and before the VFS does anything
// more: what the files hold then is what a kill -9 at that moment leaves. NULL removes it.
int dataflow_wal_set_unlock_probe(sqlite3 *db, void (*probe)(const char *databasePath));

// Background checkpoints (checkpointer.c): a thread with a connection of its own to `writer`'s
// database runs a PASSIVE checkpoint whenever commits on `writer` have added `threshold` frames to
// the WAL since it last woke it; `writer` itself still checkpoints at `autocheckpoint` frames, its
// `wal_autocheckpoint` (the hook replaces SQLite's; stopping puts it back at that size; <= 0: never).
// `writer` must be in WAL mode. `vfs` is the VFS the thread's connection opens with; `device` and
// `inode` identify the writer's file, which the thread opens by name again. Start, stop and counts only
// while no other thread uses `writer` (no mutex guards its hook; dataflow's calls to the warehouse
// go one at a time through SerialWarehouse), and stop before its last checkpoint or close;
// `wal_autocheckpoint` must not be set on `writer` in between (that would remove the hook).
typedef struct dataflow_checkpointer dataflow_checkpointer;
int dataflow_checkpointer_start(sqlite3 *writer, const char *vfs, int threshold, int autocheckpoint, dev_t device, ino_t inode,
                                dataflow_checkpointer **out);
void dataflow_checkpointer_stop(dataflow_checkpointer *checkpointer);
// For tests: checkpoints the thread has run, SQLite's count of the WAL's frames in the database file
// after the last of them, and the last result other than SQLITE_OK or SQLITE_BUSY (0: none).
void dataflow_checkpointer_counts(dataflow_checkpointer *checkpointer, sqlite3_int64 *runs, sqlite3_int64 *copied, int *lastError);
#endif
