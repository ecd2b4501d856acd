import Foundation

/// SQLite as a `WarehouseDialect`: the canonical migrations as written, bulk inserts and the
/// per-row page work as prepared statements stepped one row at a time (the bench's hot path).
extension SQLiteDatabase {
    /// How a warehouse connection that writes is set up (the bench's insert floor uses the same):
    /// WAL, so readers never wait for a sync; `synchronous=NORMAL` (a commit is durable at the next
    /// checkpoint; a power cut can lose the last commits, never corrupt the file); a 16 MB page
    /// cache; and a checkpoint every 65,536 pages (256 MiB) of WAL rather than SQLite's 1,000: a
    /// load of random keys writes most of the key index again at every commit, and copying it
    /// into the database file after every commit made a 1,000,000-row load 15 s instead of 12 s
    /// (docs/performance.md). A finished run empties the WAL (`runFinished`).
    public static let warehouseSettings =
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=65536;"
}

extension SQLiteDatabase: WarehouseDialect {
    public func columnType(_ type: FieldType) -> String {
        switch type {
        case .int, .bool: return "INTEGER"
        case .text, .decimal, .date, .datetime, .json: return "TEXT"
        }
    }

    public func migrationSQL(_ canonical: String) -> String { canonical }

    public func executeScript(_ sql: String) throws { try exec(sql) }

    /// A run's commits are copied into the database file beside it (`startBackgroundCheckpoints`):
    /// by a thread once 4,096 frames (16 MiB) were added, or `DATAFLOW_CHECKPOINT_FRAMES` (the crash
    /// tests set 16, so that runs are killed in the middle of such copies); by the writer itself
    /// at its `wal_autocheckpoint` (65,536, `warehouseSettings`), as before.
    public func runStarted() throws {
        var frames: Int32 = 4096
        if let text = ProcessInfo.processInfo.environment["DATAFLOW_CHECKPOINT_FRAMES"] {
            guard let value = Int32(text), value > 0 else {
                throw WarehouseError("DATAFLOW_CHECKPOINT_FRAMES must be a whole number of WAL frames above 0, not '\(text)'")
            }
            frames = value
        }
        startBackgroundCheckpoints(everyFrames: frames)
    }

    /// Copies the WAL into the database file and empties it. A reader that cannot write beside
    /// the file (another user, a read-only copy) opens it immutable and does not see the WAL, so
    /// the file itself must hold the whole run. Closing the connection does this too, but a
    /// process can end before its last reference to the connection is dropped (a walk's prefetch
    /// thread may still hold it), and then the run stayed in the WAL. The background checkpoint
    /// thread stops first, after the copy it is making.
    public func runFinished() throws {
        stopBackgroundCheckpoints()
        try exec("PRAGMA wal_checkpoint(TRUNCATE)")
    }

    /// SQLite cannot alter a constraint; its documented procedure for changing a CHECK in place
    /// (https://www.sqlite.org/lang_altertable.html, "Making Other Kinds Of Table Schema Changes")
    /// edits the table's text in `sqlite_master` and bumps the schema version, inside the
    /// migration's transaction. The rewrite only saves time, so a schema that does not hold `old`
    /// exactly once, or a SQLite that refuses schema edits (defensive mode), keeps its constraint
    /// and the migration goes on: a sync must never be blocked by it.
    public func replaceCheck(table: String, old: String, new: String) throws {
        guard let sql = try scalarText("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = ?", [.text(table)]) else {
            throw WarehouseError("migration: table \(table) does not exist")
        }
        guard sql.components(separatedBy: old).count == 2 else { return }
        let version = try scalarInt("PRAGMA schema_version", []) ?? 0
        try exec("PRAGMA writable_schema = ON")
        do {
            try execute("UPDATE sqlite_master SET sql = ? WHERE type = 'table' AND name = ?",
                        [.text(sql.replacingOccurrences(of: old, with: new)), .text(table)])
        } catch {
            // Nothing was written (defensive mode refuses the UPDATE): the old constraint stays.
            try exec("PRAGMA writable_schema = OFF")
            return
        }
        do {
            try exec("PRAGMA schema_version = \(version + 1)")
        } catch {
            // The text was edited but the version not bumped: the migration's transaction must roll back.
            try? exec("PRAGMA writable_schema = OFF")
            throw error
        }
        try exec("PRAGMA writable_schema = OFF")
    }

    /// Appends in statements of `rowsPerInsert` rows each (`INSERT … VALUES (…), (…), …`), the
    /// rest one row at a time; both statements are prepared once per connection. One row per
    /// statement cost the change feed 2.7× as much: every statement also updates the table's
    /// `AUTOINCREMENT` counter.
    public func insertRows(into table: String, columns: [String], rows: [[CellValue]]) throws {
        guard !rows.isEmpty else { return }
        let perStatement = max(1, min(Self.rowsPerInsert, 999 / max(1, columns.count)))
        let many = rows.count >= perStatement ? try cachedStatement(Self.insertSQL(table, columns, rows: perStatement)) : nil
        let one = try cachedStatement(Self.insertSQL(table, columns, rows: 1))
        var start = 0
        while start < rows.count {
            let n = rows.count - start >= perStatement ? perStatement : 1
            let insert = n == 1 ? one : many ?? one
            try insert.clear()
            var index: Int32 = 0
            for row in rows[start ..< start + n] {
                for value in row { index += 1; try insert.bindInPlace(value, at: index) }
            }
            try insert.execute()
            start += n
        }
    }

    static let rowsPerInsert = 50

    /// The feed's entries by 50-row statements whose run, dataset and time are the statement's
    /// first three parameters, each row naming them by number (`(?1, ?2, ?4, ?5, ?6, ?3)`): bound
    /// once per statement instead of once per row, and no array of values per entry.
    public func insertChanges(runID: Int64, dataset: String, at: String, _ changes: [ChangeEntry]) throws {
        guard !changes.isEmpty else { return }
        let run = CellValue.integer(runID), name = CellValue.text(dataset), time = CellValue.text(at)
        let many = changes.count >= Self.rowsPerInsert ? try cachedStatement(Self.manyChangesSQL) : nil
        let one = try cachedStatement(Self.oneChangeSQL)
        var start = 0
        while start < changes.count {
            let n = changes.count - start >= Self.rowsPerInsert ? Self.rowsPerInsert : 1
            let insert = n == 1 ? one : many ?? one
            try insert.clear()
            try insert.bind(run, at: 1)
            try insert.bindInPlace(name, at: 2)
            try insert.bindInPlace(time, at: 3)
            var index: Int32 = 3
            for c in start ..< start + n {
                try insert.bindInPlace(text: changes[c].key, at: index + 1)
                try insert.bindInPlace(text: changes[c].op, at: index + 2)
                try insert.bindInPlace(text: changes[c].hash, at: index + 3)
                index += 3
            }
            try insert.execute()
            start += n
        }
    }

    /// The two statements' text, built once (built per page it was half a percent of a sync).
    static let manyChangesSQL = changesSQL(rows: rowsPerInsert), oneChangeSQL = changesSQL(rows: 1)

    /// `INSERT INTO _dataflow_changes … VALUES (?1, ?2, ?4, ?5, ?6, ?3), (?1, ?2, ?7, ?8, ?9, ?3), …`
    /// in `DatasetApplier.changeColumns` order.
    static func changesSQL(rows: Int) -> String {
        let values = (0 ..< rows).map { r in "(?1, ?2, ?\(4 + 3 * r), ?\(5 + 3 * r), ?\(6 + 3 * r), ?3)" }
        return "INSERT INTO _dataflow_changes (\(DatasetApplier.changeColumns.joined(separator: ", "))) VALUES " + values.joined(separator: ", ")
    }

    static func insertSQL(_ table: String, _ columns: [String], rows: Int) -> String {
        let one = "(" + Array(repeating: "?", count: columns.count).joined(separator: ", ") + ")"
        return "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES " + Array(repeating: one, count: rows).joined(separator: ", ")
    }

    public func tableWriter(for dataset: DatasetConfig) throws -> DatasetTableWriter {
        try SQLiteDatasetTable(db: self, dataset: dataset)
    }
}

/// One dataset table's prepared statements on SQLite, bound in place (no per-row arrays).
final class SQLiteDatasetTable: DatasetTableWriter {
    let db: SQLiteDatabase
    private let select: SQLiteStatement
    private let insert: SQLiteStatement
    private let insertIfAbsent: SQLiteStatement
    private let update: SQLiteStatement
    private let seen: SQLiteStatement
    private let tombstoneKey: SQLiteStatement

    init(db: SQLiteDatabase, dataset: DatasetConfig) throws {
        self.db = db
        let name = Identifier.quoted(dataset.name)
        let cols = dataset.fields.map { Identifier.quoted($0.column) }
        select = try db.prepare("SELECT _hash, _deleted, _matter FROM \(name) WHERE _key = ?")
        let insertColumns = cols + DatasetApplier.systemColumns
        let insertSQL = "INSERT INTO \(name) (\(insertColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: insertColumns.count).joined(separator: ", ")))"
        insert = try db.prepare(insertSQL)
        insertIfAbsent = try db.prepare(insertSQL + " ON CONFLICT (_key) DO NOTHING")
        let sets = cols.map { "\($0) = ?" } + ["_hash = ?", "_deleted = ?", "_last_seen = ?", "_run_id = ?", "_matter = ?", "_matter_code = ?"]
        update = try db.prepare("UPDATE \(name) SET \(sets.joined(separator: ", ")) WHERE _key = ?")
        seen = try db.prepare("UPDATE \(name) SET _run_id = ? WHERE _key = ? AND _run_id <> ?")
        tombstoneKey = try db.prepare("UPDATE \(name) SET _deleted = 1, _last_seen = ?, _run_id = ? WHERE _key = ?")
    }

    func storedRows(keys: [String]) throws -> [String: StoredRow] {
        var out: [String: StoredRow] = [:]
        out.reserveCapacity(keys.count)
        for key in keys {
            try select.bind([.text(key)])
            if try select.step() {
                out[key] = StoredRow(hash: select.text(0) ?? "", deleted: select.int(1) != 0, matter: select.text(2))
            }
            select.reset()
        }
        return out
    }

    func write(_ writes: [RowWrite], of rows: [MappedRow], now: String, runID: Int64) throws {
        let nowText = CellValue.text(now), run = CellValue.integer(runID)
        try rows.withUnsafeBufferPointer { rows in
            for write in writes {
                precondition(rows.indices.contains(write.index), "a row write names a row outside its page")
                let statement = write.isNew ? insert : update
                try bind(rows.baseAddress! + write.index, to: statement, isNew: write.isNew, now: nowText, run: run)
                try statement.execute()
            }
        }
    }

    func insertAbsent(_ rows: [MappedRow], now: String, runID: Int64) throws -> [Bool]? {
        let nowText = CellValue.text(now), run = CellValue.integer(runID)
        var inserted: [Bool] = []
        inserted.reserveCapacity(rows.count)
        // Each row is bound where it is, without a copy (a retain and release of each of its strings).
        try rows.withUnsafeBufferPointer { rows in
            guard let first = rows.baseAddress else { return }
            for index in rows.indices {
                try bind(first + index, to: insertIfAbsent, isNew: true, now: nowText, run: run)
                try insertIfAbsent.execute()
                inserted.append(db.changes == 1)
            }
        }
        return inserted
    }

    /// Binds a row's values in the column order of `insert` (the mapped columns, then
    /// `DatasetApplier.systemColumns`) or of `update` (the SET list, then the key). The row is read
    /// through a pointer into its page: passed as a value it was copied (every string retained).
    private func bind(_ row: UnsafePointer<MappedRow>, to st: SQLiteStatement, isNew: Bool, now: CellValue, run: CellValue) throws {
        try st.clear()
        var i: Int32 = 0
        // Strings are bound as they are, not wrapped in a `CellValue` per row (a retain and release each).
        func next(_ value: CellValue) throws { i += 1; try st.bindInPlace(value, at: i) }
        func next(text: String?) throws {
            i += 1
            if let text { try st.bindInPlace(text: text, at: i) } else { try st.bind(.null, at: i) }
        }
        for index in row.pointee.values.indices { try next(row.pointee.values[index]) }
        if isNew { try next(text: row.pointee.key) }
        try next(text: row.pointee.hash)
        try next(.integer(row.pointee.deleted ? 1 : 0))
        if isNew { try next(now) }
        try next(now)
        try next(run)
        try next(text: row.pointee.matter)
        try next(text: row.pointee.matterCode)
        if !isNew { try next(text: row.pointee.key) }
    }

    func markSeen(keys: [String], runID: Int64) throws {
        for key in keys { try seen.run([.integer(runID), .text(key), .integer(runID)]) }
    }

    func tombstone(keys: [String], now: String, runID: Int64) throws {
        for key in keys { try tombstoneKey.run([.text(now), .integer(runID), .text(key)]) }
    }
}
