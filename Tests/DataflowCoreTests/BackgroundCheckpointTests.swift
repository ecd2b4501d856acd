import CSQLite
import Foundation
import Testing
@testable import DataflowCore

/// A sync's commits are copied into the database file by a thread beside the writer
/// (Sources/CSQLite/checkpointer.c). What the files hold must stay what SQLite alone would leave:
/// every committed transaction, whenever a kill -9 comes, and the WAL kept in bounds.
@Suite("Background checkpoints")
struct BackgroundCheckpointTests {
    private static func size(_ path: String) -> Int64 {
        ((try? FileManager.default.attributesOfItem(atPath: path))?[.size] as? NSNumber)?.int64Value ?? 0
    }

    /// One transaction of `rows` rows of 300 random bytes (about one page per 12 rows), ids from `from`.
    private static func insert(_ db: SQLiteDatabase, from: Int64, rows: Int64) throws {
        try db.exec("""
            BEGIN;
            WITH RECURSIVE c(x) AS (SELECT \(from) UNION ALL SELECT x + 1 FROM c WHERE x < \(from + rows - 1))
            INSERT INTO t SELECT x, randomblob(300) FROM c;
            COMMIT;
            """)
    }

    /// Waits up to five seconds for `condition`.
    private static func eventually(_ condition: () -> Bool) -> Bool {
        let deadline = Date().addingTimeInterval(5)
        while !condition() {
            if Date() > deadline { return false }
            Thread.sleep(forTimeInterval: 0.01)
        }
        return true
    }

    /// A warehouse-like database (`warehouseSettings`) with table `t` in a new folder.
    private static func database(index: Bool) throws -> (dir: String, path: String, db: SQLiteDatabase) {
        let dir = try WALBufferTests.folder()
        let path = dir + "/w.db"
        let db = try SQLiteDatabase(path: path)
        try db.exec(SQLiteDatabase.warehouseSettings)
        try db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB);" + (index ? " CREATE INDEX t_b ON t (b);" : ""))
        return (dir, path, db)
    }

    @Test func commitsReachTheDatabaseFileWhileTheWriterGoesOnAndEveryMomentRecovers() throws {
        let (dir, path, db) = try Self.database(index: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let empty = Self.size(path)
        // Woken after every 50 frames; each transaction below adds about 170.
        db.startBackgroundCheckpoints(everyFrames: 50)
        var committed: Int64 = 0
        let files = FileManager.default
        for step in 0..<25 {
            try Self.insert(db, from: committed + 1, rows: 1000)
            committed += 1000
            // The files as a kill -9 would leave them now, the thread perhaps in the middle of a copy.
            let copy = dir + "/killed-\(step).db"
            try files.copyItem(atPath: path, toPath: copy)
            if files.fileExists(atPath: path + "-wal") { try files.copyItem(atPath: path + "-wal", toPath: copy + "-wal") }
            let recovered = WALBufferTests.readWithPlatformVFS(copy)
            #expect(recovered == (committed, "ok"), "step \(step): what a kill -9 leaves")
            for suffix in ["", "-wal", "-shm"] { try? files.removeItem(atPath: copy + suffix) }
        }
        // The thread copied pages into the database file before the run's last checkpoint.
        #expect(Self.eventually { (db.backgroundCheckpoints?.runs ?? 0) > 0 }, "\(String(describing: db.backgroundCheckpoints))")
        #expect(db.backgroundCheckpoints?.lastError == 0)
        #expect(Self.eventually { Self.size(path) > empty + 1_000_000 }, "database file \(Self.size(path)) bytes")
        try db.runFinished()
        #expect(db.backgroundCheckpoints == nil)
        #expect(Self.size(path + "-wal") == 0)
        #expect(WALBufferTests.readWithPlatformVFS(path) == (committed, "ok"))
    }

    /// The hook that wakes the thread replaces SQLite's automatic checkpoint, so it keeps it: a
    /// commit that leaves `autocheckpoint` frames makes the writer checkpoint itself, and the next
    /// transaction starts the WAL again from its beginning. Without that, a long load whose thread
    /// is always behind would grow the WAL without end.
    @Test func theWriterStillCheckpointsItselfAtTheAutocheckpointSize() throws {
        let (dir, path, db) = try Self.database(index: false)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        // The thread is never woken; the writer checkpoints at its 200 frames.
        try db.exec("PRAGMA wal_autocheckpoint=200")
        db.startBackgroundCheckpoints(everyFrames: .max)
        for step in 0..<20 { try Self.insert(db, from: Int64(step) * 1000 + 1, rows: 1000) }
        #expect(db.backgroundCheckpoints?.runs == 0)
        // Twenty transactions of about 90 frames: the WAL never holds more than three of them.
        #expect(Self.size(path + "-wal") < 400 * 4120, "WAL \(Self.size(path + "-wal")) bytes")
        #expect(Self.size(path) > 5_000_000)
        // Stopped, the connection has SQLite's automatic checkpoint back, at the same size.
        db.stopBackgroundCheckpoints()
        #expect(try db.scalarInt("PRAGMA wal_autocheckpoint", []) == 200)
        for step in 20..<40 { try Self.insert(db, from: Int64(step) * 1000 + 1, rows: 1000) }
        #expect(Self.size(path + "-wal") < 400 * 4120, "WAL \(Self.size(path + "-wal")) bytes")
        #expect(WALBufferTests.readWithPlatformVFS(path) == (40000, "ok"))
    }

    /// Without WAL there is nothing to copy beside the writer: no thread, and the connection keeps
    /// its automatic checkpoint. Nor when the name no longer leads to the writer's file: the thread
    /// would open another file and copy the writer's WAL into it.
    @Test func noThreadWithoutWALOrWhenTheNameNoLongerLeadsToTheWritersFile() throws {
        let dir = try WALBufferTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let rollback = try SQLiteDatabase(path: dir + "/rollback.db")
        try rollback.exec("PRAGMA wal_autocheckpoint=300; CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)")
        rollback.startBackgroundCheckpoints(everyFrames: 10)
        #expect(rollback.backgroundCheckpoints == nil)
        #expect(try rollback.scalarInt("PRAGMA wal_autocheckpoint", []) == 300)

        let path = dir + "/w.db"
        let db = try SQLiteDatabase(path: path)
        try db.exec(SQLiteDatabase.warehouseSettings)
        try db.exec("CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)")
        try FileManager.default.moveItem(atPath: path, toPath: dir + "/moved.db")
        let other = try SQLiteDatabase(path: path)
        try other.exec("PRAGMA journal_mode=WAL; CREATE TABLE other (x)")
        db.startBackgroundCheckpoints(everyFrames: 10)
        #expect(db.backgroundCheckpoints == nil)
        #expect(try db.scalarInt("PRAGMA wal_autocheckpoint", []) == 65536)
    }

    /// A sync's run starts the thread and its end stops it before the last checkpoint, which then
    /// empties the WAL; the migration's checkpoint before the run does not start one.
    @Test func aRunCheckpointsBesideItsWriterFromItsStartToItsEnd() throws {
        let dir = try WALBufferTests.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/county.db"
        let warehouse = try #require(try SQLiteBackend().open(.sqlite(path: path), purpose: .sync) as? SQLWarehouse)
        let db = try #require(warehouse.dialect as? SQLiteDatabase)
        #expect(db.backgroundCheckpoints == nil)
        let run = try warehouse.beginRun(datasets: [], options: "")
        #expect(db.backgroundCheckpoints?.runs == 0)
        try warehouse.finishRun(runID: run, status: "ok", exitCode: 0)
        #expect(db.backgroundCheckpoints == nil)
        #expect(Self.size(path + "-wal") == 0)
    }
}
