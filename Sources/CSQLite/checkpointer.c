// Background checkpoints for the warehouse connection of a sync (docs/architecture.md,
// "Checkpoints beside the writer").
//
// A first load writes its rows into the WAL; a checkpoint later copies them into the database file.
// With only the run's last checkpoint, that copy (the whole database: 87 MB at 200,000 rows) ran on
// the writer thread after the last page, while nothing else was left to do. Here a thread of its
// own, on a connection of its own, copies what each commit adds (a PASSIVE checkpoint: it never
// waits for and never blocks the writer or any reader) while the writer goes on with the next
// pages, so the run's last checkpoint only copies what the last commits added.
//
// SQLite's own automatic checkpoint is replaced by the commit hook below, which keeps it: when a
// commit leaves at least as many frames in the WAL as the writer's `wal_autocheckpoint` (the caller
// passes what it is; it is put back when the thread stops), the writer checkpoints itself as SQLite would
// (PASSIVE, right after the commit), which also lets the next transaction start the WAL again from
// its beginning. A checkpoint is SQLite's own crash-safe procedure whichever connection runs it,
// provided it syncs the WAL before and the database file after copying (the thread's connection
// sets synchronous=NORMAL itself rather than trusting the library's default): then nothing here
// changes what a kill -9 or a power cut leaves.
//
// Threads: start, stop and counts are called only while no other thread uses the writer connection
// (it is opened without SQLite's mutex, and the hook is changed on it; dataflow's calls to the
// warehouse go one at a time through SerialWarehouse); the hook runs on whichever thread commits.
#include "CSQLite.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

struct dataflow_checkpointer {
    sqlite3 *writer;          // the connection whose commits are watched (its hook points here)
    sqlite3 *own;             // this thread's connection to the same file
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t wake;
    int threshold;            // frames a commit must add since the last signal to wake the thread
    int autocheckpoint;       // the writer's wal_autocheckpoint: frames at which it checkpoints itself (<= 0: never)
    int lastSignalled;        // the WAL's frame count when the thread was last woken
    int lastFrames;           // the WAL's frame count at the previous commit (fewer now: it started again)
    int pending;              // a wake-up not yet taken
    int stopping;
    sqlite3_int64 runs;       // checkpoints the thread has run (tests)
    sqlite3_int64 copied;     // SQLite's count of the WAL's frames in the database file after the last of them (tests)
    int lastError;            // the last checkpoint's result other than SQLITE_OK and SQLITE_BUSY (0: none)
};

static void *loop(void *arg) {
    dataflow_checkpointer *c = arg;
    pthread_mutex_lock(&c->lock);
    for (;;) {
        while (!c->pending && !c->stopping) pthread_cond_wait(&c->wake, &c->lock);
        if (c->stopping) break;
        c->pending = 0;
        pthread_mutex_unlock(&c->lock);
        int log = 0, done = 0;
        // SQLITE_BUSY (the writer is checkpointing itself) or any other failure leaves the frames in
        // the WAL, where the next checkpoint (at the latest the run's last) copies them.
        int rc = sqlite3_wal_checkpoint_v2(c->own, NULL, SQLITE_CHECKPOINT_PASSIVE, &log, &done);
        pthread_mutex_lock(&c->lock);
        if (rc == SQLITE_OK) { c->runs += 1; c->copied = done; }
        else if ((rc & 0xff) != SQLITE_BUSY) c->lastError = rc;
    }
    pthread_mutex_unlock(&c->lock);
    return NULL;
}

/// The commit hook, on the writer's thread right after each commit: `frames` are in the WAL now.
static int afterCommit(void *arg, sqlite3 *db, const char *schema, int frames) {
    dataflow_checkpointer *c = arg;
    if (c->autocheckpoint > 0 && frames >= c->autocheckpoint) {
        // SQLite's automatic checkpoint (sqlite3WalDefaultHook), kept as it was. Its result is not
        // the commit's: a checkpoint that cannot run now (the thread holds the checkpoint lock) is
        // retried after the next commit.
        sqlite3_wal_checkpoint(db, schema);
        pthread_mutex_lock(&c->lock);
        c->lastSignalled = 0;
        c->lastFrames = frames;
        pthread_mutex_unlock(&c->lock);
        return SQLITE_OK;
    }
    pthread_mutex_lock(&c->lock);
    if (frames < c->lastFrames) c->lastSignalled = 0;   // the WAL started again from its beginning
    c->lastFrames = frames;
    if (frames - c->lastSignalled >= c->threshold) {
        c->lastSignalled = frames;
        c->pending = 1;
        pthread_cond_signal(&c->wake);
    }
    pthread_mutex_unlock(&c->lock);
    return SQLITE_OK;
}

static int sameFile(const char *path, dev_t device, ino_t inode) {
    struct stat st;
    return stat(path, &st) == 0 && st.st_dev == device && st.st_ino == inode;
}

int dataflow_checkpointer_start(sqlite3 *writer, const char *vfs, int threshold, int autocheckpoint, dev_t device, ino_t inode,
                                dataflow_checkpointer **out) {
    *out = NULL;
    const char *path = sqlite3_db_filename(writer, "main");
    if (path == NULL || path[0] == 0) return SQLITE_MISUSE;
    // The thread opens the file by its name again: it must still be the writer's file, before and
    // after (a file put in its place would get the writer's WAL copied into it).
    if (!sameFile(path, device, inode)) return SQLITE_CANTOPEN;
    dataflow_checkpointer *c = calloc(1, sizeof *c);
    if (c == NULL) return SQLITE_NOMEM;
    c->writer = writer;
    c->threshold = threshold > 0 ? threshold : 1;
    c->autocheckpoint = autocheckpoint;
    int rc = sqlite3_open_v2(path, &c->own, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX | SQLITE_OPEN_NOFOLLOW, vfs);
    if (rc == SQLITE_OK) {
        sqlite3_busy_timeout(c->own, 0);
        sqlite3_wal_autocheckpoint(c->own, 0);
        // The WAL synced before a copy and the database file after it, whatever the library's default.
        // A connection opens the WAL on its first read; until then a checkpoint on it does nothing.
        rc = sqlite3_exec(c->own, "PRAGMA synchronous=NORMAL; SELECT count(*) FROM sqlite_schema", NULL, NULL, NULL);
    }
    if (rc == SQLITE_OK && !sameFile(path, device, inode)) rc = SQLITE_CANTOPEN;
    if (rc != SQLITE_OK) {
        sqlite3_close_v2(c->own);
        free(c);
        return rc;
    }
    pthread_mutex_init(&c->lock, NULL);
    pthread_cond_init(&c->wake, NULL);
    if (pthread_create(&c->thread, NULL, loop, c) != 0) {
        pthread_cond_destroy(&c->wake);
        pthread_mutex_destroy(&c->lock);
        sqlite3_close_v2(c->own);
        free(c);
        return SQLITE_ERROR;
    }
    sqlite3_wal_hook(writer, afterCommit, c);
    *out = c;
    return SQLITE_OK;
}

void dataflow_checkpointer_stop(dataflow_checkpointer *c) {
    if (c == NULL) return;
    // The writer's hook goes back to SQLite's automatic checkpoint, at its size, before the thread ends.
    sqlite3_wal_autocheckpoint(c->writer, c->autocheckpoint);
    pthread_mutex_lock(&c->lock);
    c->stopping = 1;
    pthread_cond_signal(&c->wake);
    pthread_mutex_unlock(&c->lock);
    pthread_join(c->thread, NULL);
    sqlite3_close_v2(c->own);
    pthread_cond_destroy(&c->wake);
    pthread_mutex_destroy(&c->lock);
    free(c);
}

void dataflow_checkpointer_counts(dataflow_checkpointer *c, sqlite3_int64 *runs, sqlite3_int64 *copied, int *lastError) {
    pthread_mutex_lock(&c->lock);
    *runs = c->runs;
    *copied = c->copied;
    *lastError = c->lastError;
    pthread_mutex_unlock(&c->lock);
}
