// The "dataflow" SQLite VFS: the platform's default VFS ("unix" on Linux), except that a WAL
// file gathers the frames a transaction appends into one write of up to 124 KiB.
//
// Why: SQLite writes each WAL frame as two calls, its 24-byte header and then its page, so a
// 1,000,000-row load made 1.3 million pwrite calls, about a second of the writer thread in
// system-call overhead alone (docs/performance.md, item 25).
//
// What stays exactly as SQLite wrote it (docs/architecture.md, "The WAL write buffer"):
// - Only appends are gathered: a write that starts where the WAL's content ends. Any other write
//   (a frame overwritten in place, a checksum rewritten, a new WAL header at offset 0) goes to the
//   file at once, after whatever was gathered before it, so the file sees every write in
//   SQLite's order.
// - A commit is in the file before SQLite makes it visible: a commit frame is the one whose
//   header holds the database size after the commit (bytes 4-7, non-zero; the WAL format,
//   https://www.sqlite.org/fileformat2.html#walformat), and when the write that ends that frame
//   lands, everything gathered is written. SQLite only then updates the shared WAL index that
//   readers (other processes too) go by, so a reader never sees a frame that is not in the file,
//   and a kill -9 loses only frames of a transaction that had not committed, as without the
//   buffer.
// - Every other operation on the WAL file (read, sync, truncate, size, lock, file control, close)
//   writes what was gathered first, so SQLite and the platform's VFS see the file they expect.
// - What is still gathered when the connection gives up the WAL's write lock (frames of a
//   transaction that rolled back) is written before the lock goes: written later, it could land
//   on frames another connection had committed at the same offsets since. Uncommitted frames past
//   the last commit are what SQLite leaves after such a rollback anyway. (A database file is
//   wrapped only to see that unlock; everything else passes through.)
// Journals and temporary files are the platform VFS's own files, untouched.
#include "CSQLite.h"
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

// The buffer is one write: the platform VFS writes at most 128 KiB - 1 bytes per call (its
// seekAndWriteFd masks the length with 0x1ffff), so 124 KiB, thirty 4 KiB frames.
enum { WAL_HEADER = 32, FRAME_HEADER = 24, BUFFER_SIZE = 124 * 1024 };

typedef struct DbFile DbFile;

typedef struct WalFile {
    sqlite3_file base;       // SQLite sees this; pMethods = &walMethods
    sqlite3_file *real;      // the platform VFS's file, in the same allocation after this struct
    DbFile *db;              // the database file of the same connection (NULL if not found)
    unsigned char *buffer;   // gathered appends, from `start` (NULL until the first one)
    sqlite3_int64 start;     // file offset of buffer[0]
    int length;              // bytes gathered
    int pageSize;            // from the WAL header (0 until one is written or read)
    sqlite3_int64 end;       // where the WAL's content ends: the next frame is appended here
    sqlite3_int64 commitEnd; // end of a commit frame whose header is gathered (0: none)
    sqlite3_int64 received;  // write calls from SQLite
    sqlite3_int64 passed;    // write calls to the platform VFS
} WalFile;

struct DbFile {
    sqlite3_file base;       // SQLite sees this; pMethods = &dbMethods
    sqlite3_file *real;      // the platform VFS's file, after this struct
    const char *name;        // the name SQLite opened it with: its WAL's name points back to it
    WalFile *wal;            // this connection's WAL, once open
    DbFile *next;            // open database files, to find a WAL's database by its name
    void (*unlockProbe)(const char *); // tests: called as the write lock goes, before anything else
};

static sqlite3_vfs *platform;
static sqlite3_vfs dataflowVFS;
static DbFile *openDatabases;
static pthread_mutex_t openDatabasesLock = PTHREAD_MUTEX_INITIALIZER;

/// Where the platform VFS's file lives inside ours.
#define REAL_OFFSET(type) ((sizeof(type) + 7) & ~(size_t)7)

static int realWrite(WalFile *f, const void *data, int amount, sqlite3_int64 offset) {
    f->passed += 1;
    return f->real->pMethods->xWrite(f->real, data, amount, offset);
}

/// Writes what was gathered. On failure the bytes are dropped: SQLite treats the error as a failed
/// write of the transaction and rolls it back, as it would if its own write had failed.
static int flush(WalFile *f) {
    if (f->length == 0) return SQLITE_OK;
    int rc = realWrite(f, f->buffer, f->length, f->start);
    f->length = 0;
    return rc;
}

static unsigned readBigEndian32(const unsigned char *p) {
    return ((unsigned)p[0] << 24) | ((unsigned)p[1] << 16) | ((unsigned)p[2] << 8) | (unsigned)p[3];
}

/// The page size a WAL header names (bytes 8-11; 1 means 65536), or 0 if it names none.
static int headerPageSize(const unsigned char *header) {
    unsigned size = readBigEndian32(header + 8);
    if (size == 1) return 65536;
    return size >= 512 && size <= 32768 && (size & (size - 1)) == 0 ? (int)size : 0;
}

/// If `[offset, offset + amount)` holds a frame header of a commit frame, the offset where that
/// frame ends; else 0.
static sqlite3_int64 commitFrameEnd(const WalFile *f, const unsigned char *data, int amount, sqlite3_int64 offset) {
    if (f->pageSize == 0 || offset < WAL_HEADER) return 0;
    sqlite3_int64 frame = FRAME_HEADER + (sqlite3_int64)f->pageSize;
    sqlite3_int64 into = (offset - WAL_HEADER) % frame;
    sqlite3_int64 header = into == 0 ? offset : offset + (frame - into);
    if (header + FRAME_HEADER > offset + amount) return 0;
    return readBigEndian32(data + (header - offset) + 4) != 0 ? header + frame : 0;
}

/// Writes `data` at `offset`: gathered when it is an append, else to the file (after what was
/// gathered before it).
static int place(WalFile *f, const void *data, int amount, sqlite3_int64 offset) {
    if (offset == 0 && amount >= WAL_HEADER) {
        // A new WAL header: the log restarts, and its frames are appended after it again.
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
        f->pageSize = headerPageSize(data);
        f->commitEnd = 0;
        rc = realWrite(f, data, amount, offset);
        if (rc == SQLITE_OK) f->end = amount;
        return rc;
    }
    if (offset != f->end || amount > BUFFER_SIZE || f->pageSize == 0 || f->db == NULL) {
        // Not an append: to the file now, after what was gathered, in SQLite's order. Nor is
        // anything gathered before the page size is known from a WAL header this VFS wrote or
        // read (a commit frame could not be told from the others), or for a WAL whose database
        // file was not found (the end of a write transaction could not be seen).
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
        rc = realWrite(f, data, amount, offset);
        if (rc == SQLITE_OK && offset + amount > f->end) f->end = offset + amount;
        return rc;
    }
    if (f->buffer == NULL && (f->buffer = sqlite3_malloc(BUFFER_SIZE)) == NULL) {
        // No memory for the buffer: write as the platform VFS would.
        int rc = realWrite(f, data, amount, offset);
        if (rc == SQLITE_OK) f->end = offset + amount;
        return rc;
    }
    if (f->length > 0 && f->length + amount > BUFFER_SIZE) {
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    if (f->length == 0) f->start = offset;
    memcpy(f->buffer + f->length, data, (size_t)amount);
    f->length += amount;
    f->end = offset + amount;
    return SQLITE_OK;
}

static int walWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) {
    WalFile *f = (WalFile *)file;
    f->received += 1;
    int rc = place(f, data, amount, offset);
    if (rc != SQLITE_OK) return rc;
    // A commit frame's header, gathered or written: once the whole frame is in, whether gathered
    // or written, the transaction goes to the file, before SQLite publishes it.
    sqlite3_int64 commit = commitFrameEnd(f, data, amount, offset);
    if (commit != 0) f->commitEnd = commit;
    // (A flush because the buffer was full, between the header and the page, does not end this:
    // the page is gathered again, and it completes the commit.)
    if (f->commitEnd != 0 && f->end >= f->commitEnd) {
        f->commitEnd = 0;
        return flush(f);
    }
    return SQLITE_OK;
}

static int walRead(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset) {
    WalFile *f = (WalFile *)file;
    if (f->length > 0 && offset < f->start + f->length && offset + amount > f->start) {
        int rc = flush(f);
        if (rc != SQLITE_OK) return rc;
    }
    int rc = f->real->pMethods->xRead(f->real, data, amount, offset);
    // A WAL opened with frames in it (recovery, or another connection's log): learn its page size.
    if (rc == SQLITE_OK && offset == 0 && amount >= WAL_HEADER && f->pageSize == 0) f->pageSize = headerPageSize(data);
    return rc;
}

static int walClose(sqlite3_file *file) {
    WalFile *f = (WalFile *)file;
    pthread_mutex_lock(&openDatabasesLock);
    if (f->db != NULL) f->db->wal = NULL;
    f->db = NULL;
    pthread_mutex_unlock(&openDatabasesLock);
    int rc = flush(f);
    int closed = f->real->pMethods ? f->real->pMethods->xClose(f->real) : SQLITE_OK;
    sqlite3_free(f->buffer);
    f->buffer = NULL;
    return rc != SQLITE_OK ? rc : closed;
}

static int walTruncate(sqlite3_file *file, sqlite3_int64 size) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    rc = f->real->pMethods->xTruncate(f->real, size);
    if (rc == SQLITE_OK && f->end > size) f->end = size;
    return rc;
}

/// Writes what was gathered, then returns `call` (not made if the write failed).
#define AFTER_FLUSH(file, call) do { WalFile *f_ = (WalFile *)(file); int rc_ = flush(f_); return rc_ != SQLITE_OK ? rc_ : (call); } while (0)
#define WAL_REAL(file) (((WalFile *)(file))->real)

static int walSync(sqlite3_file *file, int flags) { AFTER_FLUSH(file, WAL_REAL(file)->pMethods->xSync(WAL_REAL(file), flags)); }
static int walFileSize(sqlite3_file *file, sqlite3_int64 *size) { AFTER_FLUSH(file, WAL_REAL(file)->pMethods->xFileSize(WAL_REAL(file), size)); }
static int walLock(sqlite3_file *file, int level) { AFTER_FLUSH(file, WAL_REAL(file)->pMethods->xLock(WAL_REAL(file), level)); }
static int walUnlock(sqlite3_file *file, int level) { AFTER_FLUSH(file, WAL_REAL(file)->pMethods->xUnlock(WAL_REAL(file), level)); }

static int walCheckReservedLock(sqlite3_file *file, int *out) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->xCheckReservedLock(f->real, out);
}

static int walFileControl(sqlite3_file *file, int op, void *arg) { AFTER_FLUSH(file, WAL_REAL(file)->pMethods->xFileControl(WAL_REAL(file), op, arg)); }

static int walSectorSize(sqlite3_file *file) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->xSectorSize(f->real);
}

static int walDeviceCharacteristics(sqlite3_file *file) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->xDeviceCharacteristics(f->real);
}

// A WAL file has no shared memory or memory map of its own; these pass through for completeness.
static int walShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->iVersion >= 2 ? f->real->pMethods->xShmMap(f->real, region, size, extend, out) : SQLITE_IOERR_SHMMAP;
}

static int walShmLock(sqlite3_file *file, int offset, int n, int flags) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->iVersion >= 2 ? f->real->pMethods->xShmLock(f->real, offset, n, flags) : SQLITE_IOERR_SHMLOCK;
}

static void walShmBarrier(sqlite3_file *file) {
    WalFile *f = (WalFile *)file;
    if (f->real->pMethods->iVersion >= 2) f->real->pMethods->xShmBarrier(f->real);
}

static int walShmUnmap(sqlite3_file *file, int deleteFlag) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->iVersion >= 2 ? f->real->pMethods->xShmUnmap(f->real, deleteFlag) : SQLITE_OK;
}

static int walFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    WalFile *f = (WalFile *)file;
    int rc = flush(f);
    if (rc != SQLITE_OK) return rc;
    if (f->real->pMethods->iVersion >= 3) return f->real->pMethods->xFetch(f->real, offset, amount, out);
    *out = NULL;
    return SQLITE_OK;
}

static int walUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) {
    WalFile *f = (WalFile *)file;
    return f->real->pMethods->iVersion >= 3 ? f->real->pMethods->xUnfetch(f->real, offset, page) : SQLITE_OK;
}

static const sqlite3_io_methods walMethods = {
    3, walClose, walRead, walWrite, walTruncate, walSync, walFileSize, walLock, walUnlock, walCheckReservedLock,
    walFileControl, walSectorSize, walDeviceCharacteristics, walShmMap, walShmLock, walShmBarrier, walShmUnmap,
    walFetch, walUnfetch,
};

// A database file: every method passes through; giving up the WAL's write lock also writes what
// the connection's WAL still gathers first (see dbShmLock).
#define DB_REAL(file) (((DbFile *)(file))->real)

static int dbClose(sqlite3_file *file) {
    DbFile *d = (DbFile *)file;
    pthread_mutex_lock(&openDatabasesLock);
    for (DbFile **p = &openDatabases; *p != NULL; p = &(*p)->next) {
        if (*p == d) { *p = d->next; break; }
    }
    if (d->wal != NULL) d->wal->db = NULL;
    d->wal = NULL;
    pthread_mutex_unlock(&openDatabasesLock);
    return d->real->pMethods ? d->real->pMethods->xClose(d->real) : SQLITE_OK;
}
static int dbRead(sqlite3_file *file, void *data, int amount, sqlite3_int64 offset) { return DB_REAL(file)->pMethods->xRead(DB_REAL(file), data, amount, offset); }
static int dbWrite(sqlite3_file *file, const void *data, int amount, sqlite3_int64 offset) { return DB_REAL(file)->pMethods->xWrite(DB_REAL(file), data, amount, offset); }
static int dbTruncate(sqlite3_file *file, sqlite3_int64 size) { return DB_REAL(file)->pMethods->xTruncate(DB_REAL(file), size); }
static int dbSync(sqlite3_file *file, int flags) { return DB_REAL(file)->pMethods->xSync(DB_REAL(file), flags); }
static int dbFileSize(sqlite3_file *file, sqlite3_int64 *size) { return DB_REAL(file)->pMethods->xFileSize(DB_REAL(file), size); }
static int dbLock(sqlite3_file *file, int level) { return DB_REAL(file)->pMethods->xLock(DB_REAL(file), level); }
static int dbUnlock(sqlite3_file *file, int level) { return DB_REAL(file)->pMethods->xUnlock(DB_REAL(file), level); }
static int dbCheckReservedLock(sqlite3_file *file, int *out) { return DB_REAL(file)->pMethods->xCheckReservedLock(DB_REAL(file), out); }
static int dbFileControl(sqlite3_file *file, int op, void *arg) { return DB_REAL(file)->pMethods->xFileControl(DB_REAL(file), op, arg); }
static int dbSectorSize(sqlite3_file *file) { return DB_REAL(file)->pMethods->xSectorSize(DB_REAL(file)); }
static int dbDeviceCharacteristics(sqlite3_file *file) { return DB_REAL(file)->pMethods->xDeviceCharacteristics(DB_REAL(file)); }
static int dbShmMap(sqlite3_file *file, int region, int size, int extend, void volatile **out) {
    return DB_REAL(file)->pMethods->xShmMap(DB_REAL(file), region, size, extend, out);
}
static int dbShmLock(sqlite3_file *file, int offset, int n, int flags) {
    DbFile *d = (DbFile *)file;
    // The connection gives up the WAL's write lock (lock 0 of the WAL index,
    // https://www.sqlite.org/walformat.html#locks): what its WAL still gathers is written while
    // no other connection can write, so it cannot land later on frames another one committed.
    int rc = SQLITE_OK;
    if (offset == 0 && flags == (SQLITE_SHM_UNLOCK | SQLITE_SHM_EXCLUSIVE)) {
        if (d->unlockProbe != NULL) d->unlockProbe(d->name);
        if (d->wal != NULL) rc = flush(d->wal);
    }
    int unlocked = d->real->pMethods->xShmLock(d->real, offset, n, flags);
    return rc != SQLITE_OK ? rc : unlocked;
}
static void dbShmBarrier(sqlite3_file *file) { DB_REAL(file)->pMethods->xShmBarrier(DB_REAL(file)); }
static int dbShmUnmap(sqlite3_file *file, int deleteFlag) { return DB_REAL(file)->pMethods->xShmUnmap(DB_REAL(file), deleteFlag); }
static int dbFetch(sqlite3_file *file, sqlite3_int64 offset, int amount, void **out) {
    return DB_REAL(file)->pMethods->xFetch(DB_REAL(file), offset, amount, out);
}
static int dbUnfetch(sqlite3_file *file, sqlite3_int64 offset, void *page) { return DB_REAL(file)->pMethods->xUnfetch(DB_REAL(file), offset, page); }

static const sqlite3_io_methods dbMethods = {
    3, dbClose, dbRead, dbWrite, dbTruncate, dbSync, dbFileSize, dbLock, dbUnlock, dbCheckReservedLock,
    dbFileControl, dbSectorSize, dbDeviceCharacteristics, dbShmMap, dbShmLock, dbShmBarrier, dbShmUnmap,
    dbFetch, dbUnfetch,
};

/// Opens the platform VFS's file at `offset` into ours; on failure SQLite sees no methods to close.
static int openReal(sqlite3_file *file, sqlite3_file **real, size_t offset, sqlite3_filename name, int flags, int *outFlags) {
    *real = (sqlite3_file *)((char *)file + offset);
    int rc = platform->xOpen(platform, name, *real, flags, outFlags);
    if (rc != SQLITE_OK) file->pMethods = NULL;
    return rc;
}

static int dataflowOpen(sqlite3_vfs *vfs, sqlite3_filename name, sqlite3_file *file, int flags, int *outFlags) {
    (void)vfs;
    if ((flags & SQLITE_OPEN_MAIN_DB) != 0 && name != NULL && platform->iVersion >= 3) {
        DbFile *d = (DbFile *)file;
        memset(d, 0, sizeof *d);
        int rc = openReal(file, &d->real, REAL_OFFSET(DbFile), name, flags, outFlags);
        if (rc != SQLITE_OK) return rc;
        if (d->real->pMethods == NULL || d->real->pMethods->iVersion < 3) {
            // Not a file this wrapper knows how to pass through: SQLite gets the platform's own.
            memmove(file, d->real, (size_t)platform->szOsFile);
            return SQLITE_OK;
        }
        d->name = name;
        d->base.pMethods = &dbMethods;
        pthread_mutex_lock(&openDatabasesLock);
        d->next = openDatabases;
        openDatabases = d;
        pthread_mutex_unlock(&openDatabasesLock);
        return SQLITE_OK;
    }
    if ((flags & SQLITE_OPEN_WAL) == 0 || name == NULL) {
        // Not a WAL: the platform VFS's own file, in the space SQLite gave us (it is large enough).
        return platform->xOpen(platform, name, file, flags, outFlags);
    }
    WalFile *f = (WalFile *)file;
    memset(f, 0, sizeof *f);
    int rc = openReal(file, &f->real, REAL_OFFSET(WalFile), name, flags, outFlags);
    if (rc != SQLITE_OK) return rc;
    sqlite3_int64 size = 0;
    rc = f->real->pMethods->xFileSize(f->real, &size);
    if (rc != SQLITE_OK) {
        f->real->pMethods->xClose(f->real);
        f->base.pMethods = NULL;
        return rc;
    }
    f->end = size;
    // The WAL's database, by the name SQLite opened it with (the same pointer, not the same text:
    // two connections to one file are two databases here).
    const char *database = sqlite3_filename_database(name);
    pthread_mutex_lock(&openDatabasesLock);
    for (DbFile *d = openDatabases; d != NULL; d = d->next) {
        if (d->name == database && d->wal == NULL) { d->wal = f; f->db = d; break; }
    }
    pthread_mutex_unlock(&openDatabasesLock);
    f->base.pMethods = &walMethods;
    return SQLITE_OK;
}

int dataflow_wal_set_unlock_probe(sqlite3 *db, void (*probe)(const char *databasePath)) {
    sqlite3_file *file = NULL;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_FILE_POINTER, &file);
    if (rc != SQLITE_OK) return rc;
    if (file == NULL || file->pMethods != &dbMethods) return SQLITE_NOTFOUND;
    ((DbFile *)file)->unlockProbe = probe;
    return SQLITE_OK;
}

int dataflow_wal_write_counts(sqlite3 *db, sqlite3_int64 *received, sqlite3_int64 *passed) {
    sqlite3_file *file = NULL;
    int rc = sqlite3_file_control(db, "main", SQLITE_FCNTL_JOURNAL_POINTER, &file);
    if (rc != SQLITE_OK) return rc;
    if (file == NULL || file->pMethods != &walMethods) return SQLITE_NOTFOUND;
    *received = ((WalFile *)file)->received;
    *passed = ((WalFile *)file)->passed;
    return SQLITE_OK;
}

static int dataflowDelete(sqlite3_vfs *vfs, const char *name, int syncDir) { (void)vfs; return platform->xDelete(platform, name, syncDir); }
static int dataflowAccess(sqlite3_vfs *vfs, const char *name, int flags, int *out) { (void)vfs; return platform->xAccess(platform, name, flags, out); }
static int dataflowFullPathname(sqlite3_vfs *vfs, const char *name, int size, char *out) { (void)vfs; return platform->xFullPathname(platform, name, size, out); }
static void *dataflowDlOpen(sqlite3_vfs *vfs, const char *name) { (void)vfs; return platform->xDlOpen(platform, name); }
static void dataflowDlError(sqlite3_vfs *vfs, int size, char *out) { (void)vfs; platform->xDlError(platform, size, out); }
static void (*dataflowDlSym(sqlite3_vfs *vfs, void *handle, const char *symbol))(void) { (void)vfs; return platform->xDlSym(platform, handle, symbol); }
static void dataflowDlClose(sqlite3_vfs *vfs, void *handle) { (void)vfs; platform->xDlClose(platform, handle); }
static int dataflowRandomness(sqlite3_vfs *vfs, int size, char *out) { (void)vfs; return platform->xRandomness(platform, size, out); }
static int dataflowSleep(sqlite3_vfs *vfs, int microseconds) { (void)vfs; return platform->xSleep(platform, microseconds); }
static int dataflowCurrentTime(sqlite3_vfs *vfs, double *out) { (void)vfs; return platform->xCurrentTime(platform, out); }
static int dataflowGetLastError(sqlite3_vfs *vfs, int size, char *out) { (void)vfs; return platform->xGetLastError ? platform->xGetLastError(platform, size, out) : 0; }
static int dataflowCurrentTimeInt64(sqlite3_vfs *vfs, sqlite3_int64 *out) { (void)vfs; return platform->xCurrentTimeInt64(platform, out); }

int dataflow_sqlite_configure(void) {
    sqlite3_config(SQLITE_CONFIG_MEMSTATUS, 0);
    platform = sqlite3_vfs_find(NULL);
    if (platform == NULL) return SQLITE_ERROR;
    int walSize = (int)REAL_OFFSET(WalFile) + platform->szOsFile, dbSize = (int)REAL_OFFSET(DbFile) + platform->szOsFile;
    dataflowVFS = (sqlite3_vfs){
        .iVersion = platform->iVersion >= 2 ? 2 : 1,
        .szOsFile = walSize > dbSize ? walSize : dbSize,
        .mxPathname = platform->mxPathname,
        .zName = DATAFLOW_SQLITE_VFS,
        .xOpen = dataflowOpen,
        .xDelete = dataflowDelete,
        .xAccess = dataflowAccess,
        .xFullPathname = dataflowFullPathname,
        .xDlOpen = dataflowDlOpen,
        .xDlError = dataflowDlError,
        .xDlSym = dataflowDlSym,
        .xDlClose = dataflowDlClose,
        .xRandomness = dataflowRandomness,
        .xSleep = dataflowSleep,
        .xCurrentTime = dataflowCurrentTime,
        .xGetLastError = dataflowGetLastError,
        .xCurrentTimeInt64 = platform->iVersion >= 2 ? dataflowCurrentTimeInt64 : NULL,
    };
    return sqlite3_vfs_register(&dataflowVFS, 0);
}
