import CSQLite
import Foundation
import Testing
@testable import DataflowCore
import LoopbackGateway

/// The "dataflow" VFS (Sources/CSQLite/wal_buffer.c) gathers the frames a transaction appends to
/// the WAL. Whatever it gathers, the files must at every moment hold what SQLite's own VFS would
/// have left for a reader in another process or after a kill -9: every committed transaction.
@Suite("WAL write buffer")
struct WALBufferTests {
    static func folder() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("walbuffer-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        return path
    }

    private static func writeCounts(_ db: SQLiteDatabase) -> (received: Int64, passed: Int64)? {
        var received: sqlite3_int64 = 0, passed: sqlite3_int64 = 0
        return dataflow_wal_write_counts(db.handle, &received, &passed) == SQLITE_OK ? (received, passed) : nil
    }

    /// Rows and integrity of a database read through SQLite's own VFS ("unix"), as another program
    /// (the sqlite3 shell, a county's BI tool) reads it; `busy` when a lock held at that moment kept
    /// it out.
    static func readWithPlatformVFS(_ path: String, flags: Int32 = SQLITE_OPEN_READWRITE) -> (rows: Int64, integrity: String) {
        var handle: OpaquePointer?
        guard sqlite3_open_v2(path, &handle, flags, "unix") == SQLITE_OK, let handle else { return (-1, "cannot open") }
        defer { sqlite3_close_v2(handle) }
        var busy = false
        func scalar(_ sql: String) -> String? {
            var statement: OpaquePointer?
            guard sqlite3_prepare_v2(handle, sql, -1, &statement, nil) == SQLITE_OK else { busy = busy || sqlite3_errcode(handle) & 0xff == SQLITE_BUSY; return nil }
            defer { sqlite3_finalize(statement) }
            let rc = sqlite3_step(statement)
            busy = busy || rc & 0xff == SQLITE_BUSY
            guard rc == SQLITE_ROW, let text = sqlite3_column_text(statement, 0) else { return nil }
            return String(cString: text)
        }
        let rows = scalar("SELECT count(*) FROM t").flatMap { Int64($0) } ?? -1
        let integrity = scalar("PRAGMA integrity_check") ?? "unreadable"
        return busy ? (-1, "busy") : (rows, integrity)
    }

    @Test func framesAppendedByATransactionGoToTheFileInFewWrites() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let db = try SQLiteDatabase(path: dir + "/w.db")
        try db.exec(SQLiteDatabase.warehouseSettings)
        try db.exec("""
            CREATE TABLE t (a INTEGER PRIMARY KEY, b TEXT);
            BEGIN;
            WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 20000) INSERT INTO t SELECT x, hex(randomblob(150)) FROM c;
            COMMIT;
            """)
        let counts = try #require(Self.writeCounts(db))
        // SQLite writes each frame as two calls (header, page): thousands for these 2,500 pages.
        #expect(counts.received > 3000)
        // Thirty frames to a write: a tenth of the calls is generous.
        #expect(counts.passed * 10 < counts.received, "\(counts)")
        #expect(Self.readWithPlatformVFS(dir + "/w.db") == (20000, "ok"))
    }

    /// Two connections take turns writing transactions that spill pages in the middle (a cache of a
    /// few pages), rewrite pages they spilled, roll back, and checkpoint. A reader must find each
    /// commit the moment SQLite publishes it; after every step the files are copied as a kill -9
    /// would leave them (no shared-memory index), and the copy must recover to exactly the
    /// committed rows.
    /// Called by the VFS as a connection gives up the WAL's write lock, when SQLite has just
    /// published a commit (or rollback) in the WAL index: a reader opened now, as another process
    /// could, counts the rows and leaves the count in `PATH.probe`.
    private static let readAtUnlock: @convention(c) (UnsafePointer<CChar>?) -> Void = { database in
        guard let database else { return }
        let path = String(cString: database)
        let seen = readWithPlatformVFS(path, flags: SQLITE_OPEN_READONLY)
        // A checkpoint that restarts the WAL gives up the write lock while it still holds the
        // others, and keeps a reader out: then the count from the step's commit stands.
        if seen.integrity == "busy" { return }
        _ = FileManager.default.createFile(atPath: path + ".probe", contents: Data("\(seen.rows) \(seen.integrity)".utf8))
    }

    /// From an empty WAL, transactions of 1 to 64 pages: in one of them the buffer fills between
    /// the commit frame's header and its page, and the commit must still be in the file when SQLite
    /// publishes it (a reader then found a frame missing: "disk image is malformed").
    @Test func aCommitFrameSplitByAFullBufferIsInTheFileWhenPublished() throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/w.db"
        let db = try SQLiteDatabase(path: path)
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB)")
        #expect(dataflow_wal_set_unlock_probe(db.handle, Self.readAtUnlock) == SQLITE_OK)
        var rows = 0
        for n in 1...64 {
            try db.exec("PRAGMA wal_checkpoint(TRUNCATE)")
            // A row of 3,000 bytes fills a leaf page of its own: n rows, about n + 1 frames.
            try db.exec("BEGIN; WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < \(n)) INSERT INTO t (b) SELECT zeroblob(3000) FROM c; COMMIT;")
            rows += n
            let probe = try? String(contentsOfFile: path + ".probe", encoding: .utf8)
            #expect(probe == "\(rows) ok", "a transaction of \(n) rows")
            try? FileManager.default.removeItem(atPath: path + ".probe")
        }
    }

    @Test(arguments: [1, 2, 3, 4, 5, 6])
    func everyCommitIsInTheFilesAtOnceAndARollbackNeverOverwritesAnotherCommit(seed: UInt64) throws {
        let dir = try Self.folder()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let path = dir + "/w.db"
        let first = try SQLiteDatabase(path: path)
        try first.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA cache_size=20; CREATE TABLE t (a INTEGER PRIMARY KEY, b BLOB); CREATE INDEX t_b ON t (b);")
        let second = try SQLiteDatabase(path: path)
        try second.exec("PRAGMA synchronous=NORMAL; PRAGMA cache_size=15;")
        for db in [first, second] { #expect(dataflow_wal_set_unlock_probe(db.handle, Self.readAtUnlock) == SQLITE_OK) }
        var g = SeededGenerator(seed: seed)
        var committed: Int64 = 0, next: Int64 = 1
        var rolledBack = 0, checkpoints = 0
        let files = FileManager.default
        for step in 0..<60 {
            let db = Bool.random(using: &g) ? first : second
            let rows = Int64.random(in: 1...300, using: &g)
            try db.exec("BEGIN IMMEDIATE")
            try db.exec("""
                WITH RECURSIVE c(x) AS (SELECT \(next) UNION ALL SELECT x + 1 FROM c WHERE x < \(next + rows - 1))
                INSERT INTO t SELECT x, randomblob(\(Int.random(in: 20...300, using: &g))) FROM c
                """)
            if Int.random(in: 0..<3, using: &g) == 0 {
                try db.exec("UPDATE t SET b = randomblob(\(Int.random(in: 30...200, using: &g))) WHERE a % \(Int.random(in: 2...20, using: &g)) = 0")
            }
            if Int.random(in: 0..<5, using: &g) == 0 {
                try db.exec("ROLLBACK")
                rolledBack += 1
            } else {
                try db.exec("COMMIT")
                committed += rows
                next += rows
            }
            if Int.random(in: 0..<10, using: &g) == 0 {
                try db.exec(Bool.random(using: &g) ? "PRAGMA wal_checkpoint(PASSIVE)" : "PRAGMA wal_checkpoint(TRUNCATE)")
                checkpoints += 1
            }
            // At the moment SQLite published the step, a reader already found it in the files.
            let probe = try? String(contentsOfFile: path + ".probe", encoding: .utf8)
            #expect(probe == "\(committed) ok", "step \(step): a reader as the write lock went")
            try? files.removeItem(atPath: path + ".probe")
            let copy = dir + "/killed-\(step).db"
            try files.copyItem(atPath: path, toPath: copy)
            if files.fileExists(atPath: path + "-wal") { try files.copyItem(atPath: path + "-wal", toPath: copy + "-wal") }
            let recovered = Self.readWithPlatformVFS(copy)
            #expect(recovered == (committed, "ok"), "step \(step): what a kill -9 leaves")
            #expect(Self.readWithPlatformVFS(path, flags: SQLITE_OPEN_READONLY).rows == committed, "step \(step): another reader")
            for suffix in ["", "-wal", "-shm"] { try? files.removeItem(atPath: copy + suffix) }
            if recovered.rows != committed { break }
        }
        // The walk took every path: rollbacks, checkpoints, and frames both gathered and passed on.
        #expect(rolledBack > 3 && checkpoints > 1)
        let counts = try #require(Self.writeCounts(first))
        #expect(counts.passed < counts.received)
    }
}
