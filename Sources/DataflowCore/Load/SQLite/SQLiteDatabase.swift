import CSQLite
import Foundation

/// An SQLite failure, with the statement that failed.
public struct SQLiteError: Error, Sendable, CustomStringConvertible {
    public var code: Int32
    public var message: String
    public var sql: String?

    public var description: String {
        var s = "SQLite error \(code): \(message)"
        if let sql { s += " (in: \(sql.prefix(300)))" }
        return s
    }
}

/// A thin wrapper over one `sqlite3` connection: exec, prepared statements, transactions.
///
/// ```swift
/// let db = try SQLiteDatabase(path: "county.db")
/// try db.exec("PRAGMA journal_mode=WAL")
/// let st = try db.prepare("SELECT count(*) FROM t")
/// ```
public final class SQLiteDatabase {
    let handle: OpaquePointer
    /// Process-wide settings, made once before the first connection opens, and the VFS every
    /// connection opens with: "dataflow" (Sources/CSQLite/wal_buffer.c), or SQLite's default if it
    /// could not be registered.
    private static let vfs: String? = dataflow_sqlite_configure() == SQLITE_OK ? DATAFLOW_SQLITE_VFS : nil
    public let path: String

    /// - Parameter immutable: read a file this process may not write (nor create its `-shm` beside):
    ///   SQLite then takes no locks, so a concurrent writer is not seen whole: `confirmReadWhole`
    ///   fails once the file changed since it was opened.
    public init(path: String, readOnly: Bool = false, immutable: Bool = false) throws(SQLiteError) {
        var db: OpaquePointer?
        // Taken before the file is opened, so any write from then on shows (`confirmReadWhole`).
        isImmutable = immutable
        fileAtOpen = immutable ? FileState.settled(path) : nil
        let flags = readOnly || immutable ? SQLITE_OPEN_READONLY : (SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE)
        let name = immutable ? "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1" : path
        let rc = sqlite3_open_v2(name, &db, flags | SQLITE_OPEN_NOMUTEX | (immutable ? SQLITE_OPEN_URI : 0), Self.vfs)
        guard rc == SQLITE_OK, let db else {
            let message = db.map { String(cString: sqlite3_errmsg($0)) } ?? "cannot open"
            if let db { sqlite3_close_v2(db) }
            throw SQLiteError(code: rc, message: "\(message): \(path)", sql: nil)
        }
        handle = db
        self.path = path
        var st = stat()
        identity = !immutable && stat(path, &st) == 0 ? (st.st_dev, st.st_ino) : nil
        sqlite3_busy_timeout(db, 10_000)
        sqlite3_extended_result_codes(db, 1)
    }

    deinit {
        stopBackgroundCheckpoints()
        statements.removeAll()
        sqlite3_close_v2(handle)
    }

    /// The database file this connection opened (device, inode), to tell that a name still names it.
    private let identity: (dev_t, ino_t)?

    /// The file as it stood when an immutable connection opened it (nil otherwise): such a reader
    /// takes no locks, so a writer's commit or checkpoint meanwhile could mix two states of it.
    let fileAtOpen: FileState?
    /// Opened `immutable=1`: SQLite takes no locks for this connection.
    let isImmutable: Bool

    /// What tells that a file was written: identity, size, and the modification and change times
    /// (to the nanosecond; Linux gives a file that was just looked at a fine-grained time on its
    /// next write, so a write right after the look still moves them).
    struct FileState: Equatable {
        let device: UInt64, inode: UInt64, size: Int64
        let modified: Int, modifiedNanoseconds: Int, changed: Int, changedNanoseconds: Int
        init(_ st: stat) {
            device = UInt64(st.st_dev); inode = UInt64(st.st_ino); size = Int64(st.st_size)
            modified = st.st_mtim.tv_sec; modifiedNanoseconds = st.st_mtim.tv_nsec
            changed = st.st_ctim.tv_sec; changedNanoseconds = st.st_ctim.tv_nsec
        }

        /// The file's state once the kernel's coarse clock has passed its last write, or nil if it
        /// cannot be read. A kernel without fine-grained file times (before Linux 6.13) stamps a
        /// write with a clock that moves every few milliseconds: a write in the same tick as the
        /// last one would leave the times as they were, so the state is taken only when the clock
        /// has moved past them (a wait of at most a few ticks, only right after a write).
        static func settled(_ path: String) -> FileState? {
            var resolution = timespec()
            clock_getres(CLOCK_REALTIME_COARSE, &resolution)
            let tick = max(1_000, resolution.tv_nsec / 1_000 + 1)
            var st = stat()
            for _ in 0..<20 {
                guard stat(path, &st) == 0 else { return nil }
                var now = timespec()
                clock_gettime(CLOCK_REALTIME_COARSE, &now)
                func later(_ t: timespec) -> Bool { now.tv_sec > t.tv_sec || (now.tv_sec == t.tv_sec && now.tv_nsec > t.tv_nsec) }
                if later(st.st_mtim) && later(st.st_ctim) { break }
                usleep(useconds_t(tick))
            }
            return FileState(st)
        }
    }

    /// The thread that checkpoints beside this connection, while one runs (`startBackgroundCheckpoints`).
    private var checkpointer: OpaquePointer?

    /// Copies what each commit adds to the WAL into the database file on a thread and connection
    /// of its own, so the writer's last checkpoint has little left to copy (Sources/CSQLite/checkpointer.c,
    /// docs/architecture.md, "Checkpoints beside the writer"). The connection still checkpoints
    /// itself at its `wal_autocheckpoint` size, which must not be set again until the thread stops.
    /// Without a thread (not in WAL mode, the file no longer under its name, no second connection),
    /// SQLite's automatic checkpoint stays as it was. Like every use of the connection, while no other
    /// thread uses it.
    public func startBackgroundCheckpoints(everyFrames threshold: Int32) {
        guard checkpointer == nil, let identity, (try? scalarText("PRAGMA journal_mode")) == "wal",
              // What the automatic checkpoint is now (SQLite reports it while its own hook is installed).
              let autocheckpoint = (try? scalarInt("PRAGMA wal_autocheckpoint")).flatMap({ $0 }).flatMap({ Int32(exactly: $0) })
        else { return }
        var started: OpaquePointer?
        if dataflow_checkpointer_start(handle, Self.vfs, threshold, autocheckpoint, identity.0, identity.1, &started) == SQLITE_OK {
            checkpointer = started
        }
    }

    /// Ends the checkpoint thread (after the checkpoint it is running) and closes its connection,
    /// giving the connection SQLite's automatic checkpoint back. Idempotent.
    public func stopBackgroundCheckpoints() {
        guard let running = checkpointer else { return }
        checkpointer = nil
        dataflow_checkpointer_stop(running)
    }

    /// For tests: the checkpoints the background thread has run, SQLite's count of the WAL's frames
    /// in the database file after the last one, and its last error (0: none).
    var backgroundCheckpoints: (runs: Int64, frames: Int64, lastError: Int32)? {
        guard let checkpointer else { return nil }
        var runs: Int64 = 0, frames: Int64 = 0, lastError: Int32 = 0
        dataflow_checkpointer_counts(checkpointer, &runs, &frames, &lastError)
        return (runs, frames, lastError)
    }

    var lastMessage: String { String(cString: sqlite3_errmsg(handle)) }

    /// Runs one or more statements without results.
    public func exec(_ sql: String) throws(SQLiteError) {
        var error: UnsafeMutablePointer<CChar>?
        let rc = sqlite3_exec(handle, sql, nil, nil, &error)
        if rc != SQLITE_OK {
            let message = error.map { String(cString: $0) } ?? lastMessage
            sqlite3_free(error)
            throw SQLiteError(code: rc, message: message, sql: sql)
        }
    }

    /// Statements prepared once and kept for the connection's life (`cachedStatement`).
    private var statements: [String: SQLiteStatement] = [:]

    /// The statement for `sql`, prepared on first use and reused after; the caller binds, runs
    /// and resets it before the next call asks for it (one connection is used by one thread at a
    /// time). For the statements a sync runs every page.
    public func cachedStatement(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        if let statement = statements[sql] { return statement }
        let statement = try prepare(sql)
        statements[sql] = statement
        return statement
    }

    public func prepare(_ sql: String) throws(SQLiteError) -> SQLiteStatement {
        var statement: OpaquePointer?
        let rc = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard rc == SQLITE_OK, let statement else { throw SQLiteError(code: rc, message: lastMessage, sql: sql) }
        return SQLiteStatement(statement, database: self, sql: sql)
    }

    /// Runs `body` inside `BEGIN IMMEDIATE … COMMIT`, rolling back on any error.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try beginTransaction()
        do {
            let result = try body()
            try commitTransaction()
            return result
        } catch {
            rollbackTransaction()
            throw error
        }
    }

    public func beginTransaction() throws { try exec("BEGIN IMMEDIATE") }
    public func commitTransaction() throws { try exec("COMMIT") }
    public func rollbackTransaction() { try? exec("ROLLBACK") }

    public var changes: Int { Int(sqlite3_changes(handle)) }
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// Convenience: the first column of the first row as an integer.
    public func scalarInt(_ sql: String, _ bindings: [CellValue] = []) throws(SQLiteError) -> Int64? {
        let st = try prepare(sql)
        try st.bind(bindings)
        guard try st.step() else { return nil }
        return st.isNull(0) ? nil : st.int(0)
    }

    /// Convenience: the first column of the first row as text.
    public func scalarText(_ sql: String, _ bindings: [CellValue] = []) throws(SQLiteError) -> String? {
        let st = try prepare(sql)
        try st.bind(bindings)
        guard try st.step() else { return nil }
        return st.text(0)
    }

    /// True when a table of that name exists.
    public func tableExists(_ name: String) throws(SQLiteError) -> Bool {
        try scalarInt("SELECT count(*) FROM sqlite_master WHERE type='table' AND name=?", [.text(name)]) ?? 0 > 0
    }

    /// Column names of a table, in order.
    public func columns(of table: String) throws(SQLiteError) -> [String] {
        let st = try prepare("SELECT name FROM pragma_table_info(?)")
        try st.bind([.text(table)])
        var names: [String] = []
        while try st.step() { names.append(st.text(0) ?? "") }
        return names
    }
}

/// A prepared statement; reset and reused between executions.
public final class SQLiteStatement {
    let handle: OpaquePointer
    unowned let database: SQLiteDatabase
    public let sql: String

    init(_ handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
        arena?.deallocate()
    }

    /// Text bound with `bindInPlace`, copied here and read by SQLite where it lies
    /// (`SQLITE_STATIC`) until `clear` unbinds it; sized by what the previous round wanted.
    private var arena: UnsafeMutableRawPointer?
    private var arenaCapacity = 0
    private var arenaUsed = 0
    private var arenaWanted = 0
    /// Text beyond this is bound by copy: the arena stays small.
    static let arenaLimit = 1 << 20

    /// Resets and binds values to parameters 1…n.
    public func bind(_ values: [CellValue]) throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        for (i, value) in values.enumerated() { try bind(value, at: Int32(i + 1)) }
    }

    public func bind(_ value: CellValue, at index: Int32) throws(SQLiteError) {
        let rc: Int32
        switch value {
        case .null: rc = sqlite3_bind_null(handle, index)
        case .integer(let n): rc = sqlite3_bind_int64(handle, index, n)
        case .text(let s):
            var s = s
            rc = s.withUTF8 { buffer in
                buffer.withMemoryRebound(to: CChar.self) { chars in
                    sqlite3_bind_text(handle, index, chars.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(chars.count),
                                      dataflow_sqlite_transient())
                }
            }
        }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: database.lastMessage, sql: sql) }
    }

    /// `bind(_:at:)` for a statement cleared with `clear()` before every round of binding: text is
    /// copied once into the statement's own buffer, and SQLite reads it there instead of
    /// allocating and copying each value itself (`SQLITE_TRANSIENT`), which was a tenth of the
    /// writer's time in a large load. A round that does not fit is bound by copy and sizes the
    /// buffer for the next round.
    public func bindInPlace(_ value: CellValue, at index: Int32) throws(SQLiteError) {
        guard case .text(let s) = value else { return try bind(value, at: index) }
        try bindInPlace(text: s, at: index)
    }

    /// `bindInPlace(.text(s), at:)` without wrapping the string in a `CellValue` first.
    public func bindInPlace(text s: String, at index: Int32) throws(SQLiteError) {
        let rc = s.withUTF8Bytes { bindInPlace(utf8: $0, at: index) }
        guard rc == SQLITE_OK else { throw SQLiteError(code: rc, message: database.lastMessage, sql: sql) }
    }

    /// Copies the bytes into the arena and binds them there, or binds a copy SQLite makes itself
    /// when the arena is full (it is sized for the next round at `clear()`).
    private func bindInPlace(utf8 buffer: UnsafeBufferPointer<UInt8>, at index: Int32) -> Int32 {
        arenaWanted += buffer.count
        guard let arena, arenaUsed + buffer.count <= arenaCapacity, let source = buffer.baseAddress else {
            return buffer.withMemoryRebound(to: CChar.self) { chars in
                sqlite3_bind_text(handle, index, chars.baseAddress ?? UnsafePointer(bitPattern: 1), Int32(chars.count), dataflow_sqlite_transient())
            }
        }
        let target = arena + arenaUsed
        target.copyMemory(from: source, byteCount: buffer.count)
        arenaUsed += buffer.count
        return sqlite3_bind_text(handle, index, target.assumingMemoryBound(to: CChar.self), Int32(buffer.count), nil)
    }

    public func reset() { sqlite3_reset(handle) }

    /// Resets and clears bindings, for binding values one by one with `bind(_:at:)` or
    /// `bindInPlace(_:at:)`. Nothing is bound to the arena afterwards, so it may be reused or grown.
    public func clear() throws(SQLiteError) {
        sqlite3_reset(handle)
        sqlite3_clear_bindings(handle)
        if arenaWanted > arenaCapacity && arenaWanted <= Self.arenaLimit {
            arena?.deallocate()
            arenaCapacity = max(arenaWanted * 2, 4096)
            arena = UnsafeMutableRawPointer.allocate(byteCount: arenaCapacity, alignment: 8)
        }
        arenaUsed = 0
        arenaWanted = 0
    }

    /// Runs a statement whose values were bound with `bind(_:at:)` to completion, then resets it.
    public func execute() throws(SQLiteError) {
        while try step() {}
        sqlite3_reset(handle)
    }

    /// Steps once: true when a row is available, false when done.
    @discardableResult
    public func step() throws(SQLiteError) -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        let message = database.lastMessage
        sqlite3_reset(handle)
        throw SQLiteError(code: rc, message: message, sql: sql)
    }

    /// Binds, runs to completion and resets.
    public func run(_ values: [CellValue]) throws(SQLiteError) {
        try bind(values)
        while try step() {}
        sqlite3_reset(handle)
    }

    public var columnCount: Int { Int(sqlite3_column_count(handle)) }
    public func columnName(_ i: Int) -> String { String(cString: sqlite3_column_name(handle, Int32(i))) }
    public func isNull(_ i: Int) -> Bool { sqlite3_column_type(handle, Int32(i)) == SQLITE_NULL }
    /// True when the value is stored as an INTEGER or REAL (NDJSON writes it as a JSON number).
    public func isNumeric(_ i: Int) -> Bool {
        let type = sqlite3_column_type(handle, Int32(i))
        return type == SQLITE_INTEGER || type == SQLITE_FLOAT
    }
    public func int(_ i: Int) -> Int64 { sqlite3_column_int64(handle, Int32(i)) }
    public func double(_ i: Int) -> Double { sqlite3_column_double(handle, Int32(i)) }

    public func text(_ i: Int) -> String? {
        guard let p = sqlite3_column_text(handle, Int32(i)) else { return nil }
        let n = Int(sqlite3_column_bytes(handle, Int32(i)))
        return String(decoding: UnsafeBufferPointer(start: p, count: n), as: UTF8.self)
    }

    /// Raw UTF-8 bytes of a text column without building a String (for streaming exports).
    public func withBytes<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        guard let p = sqlite3_column_text(handle, Int32(i)) else { return try body(nil) }
        let n = Int(sqlite3_column_bytes(handle, Int32(i)))
        return try body(UnsafeBufferPointer(start: p, count: n))
    }
}
