import Foundation

/// The embedded SQLite warehouse (WAL mode, so reports read while a sync writes).
public final class SQLiteWarehouse: Warehouse {
    public let db: SQLiteDatabase
    private var tables: [String: DatasetTable] = [:]

    /// Opens (creating folders and file as needed) and migrates the warehouse.
    public init(path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        db = try SQLiteDatabase(path: path)
        try db.exec("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=OFF; PRAGMA cache_size=-16000; PRAGMA wal_autocheckpoint=8192;")
        try migrate()
    }

    /// Opens an existing warehouse for reading only (reports).
    public init(readingFrom path: String) throws {
        guard FileManager.default.fileExists(atPath: path) else {
            throw SQLiteError(code: 14, message: "no warehouse at \(path) yet (run `dataflow sync` first)", sql: nil)
        }
        db = try SQLiteDatabase(path: path)
        try migrate()
    }

    func migrate() throws {
        try db.exec("CREATE TABLE IF NOT EXISTS _dataflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
        let current = try db.scalarInt("SELECT max(version) FROM _dataflow_migrations") ?? 0
        for migration in WarehouseMigrations.all where migration.version > current {
            try db.transaction {
                try db.exec(migration.sql)
                try db.prepare("INSERT INTO _dataflow_migrations (version, name, applied_at) VALUES (?, ?, ?)")
                    .run([.integer(Int64(migration.version)), .text(migration.name), .text(Timestamp.now())])
            }
        }
    }

    public func loadDictionaries(_ d: Dictionaries) throws {
        if try db.scalarText("SELECT value FROM _dataflow_meta WHERE name='dictionaries_version'") == d.version { return }
        try db.transaction {
            try db.exec("DELETE FROM _dataflow_matters; DELETE FROM _dataflow_functions; DELETE FROM _dataflow_matter_functions; DELETE FROM _dataflow_matter_aliases;")
            let matter = try db.prepare("INSERT INTO _dataflow_matters (code, name, type, department, version) VALUES (?,?,?,?,?)")
            let link = try db.prepare("INSERT OR IGNORE INTO _dataflow_matter_functions (matter, function) VALUES (?,?)")
            let alias = try db.prepare("INSERT OR REPLACE INTO _dataflow_matter_aliases (alias, matter) VALUES (?,?)")
            for m in d.matters {
                try matter.run([.text(m.code), .text(m.name), .text(m.type.rawValue), .text(m.department), .text(d.version)])
                for f in m.functions { try link.run([.text(m.code), .text(f)]) }
                for a in m.aliases { try alias.run([.text(a), .text(m.code)]) }
            }
            let function = try db.prepare("INSERT INTO _dataflow_functions (code, department, name, version) VALUES (?,?,?,?)")
            for f in d.functions { try function.run([.text(f.code), .text(f.department), .text(f.name), .text(d.version)]) }
            try db.prepare("INSERT OR REPLACE INTO _dataflow_meta (name, value) VALUES ('dictionaries_version', ?)").run([.text(d.version)])
            try db.prepare("INSERT OR REPLACE INTO _dataflow_meta (name, value) VALUES ('dictionaries_loaded_at', ?)").run([.text(Timestamp.now())])
        }
    }

    public func prepare(dataset: DatasetConfig) throws {
        let table = try DatasetTable(db: db, dataset: dataset)
        tables[dataset.name] = table
        try db.prepare("INSERT OR IGNORE INTO _dataflow_state (dataset, updated_at) VALUES (?, ?)").run([.text(dataset.name), .text(Timestamp.now())])
        let now = Timestamp.now()
        let schema = try db.prepare("""
            INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
            ON CONFLICT (dataset, field) DO UPDATE SET mapped = 1
            """)
        for field in Set(dataset.fields.map(\.from)) { try schema.run([.text(dataset.name), .text(field), .text(now), .text(now)]) }
    }

    public func state(of dataset: String) throws -> DatasetState {
        let st = try db.prepare("SELECT watermark, watermark_text, pass_max, rows, deleted_rows FROM _dataflow_state WHERE dataset = ?")
        try st.bind([.text(dataset)])
        guard try st.step() else { return DatasetState(watermark: nil, watermarkText: nil, passMax: nil, rows: 0, deletedRows: 0) }
        return DatasetState(watermark: st.isNull(0) ? nil : Int(st.int(0)), watermarkText: st.text(1),
                            passMax: st.isNull(2) ? nil : Int(st.int(2)), rows: Int(st.int(3)), deletedRows: Int(st.int(4)))
    }

    public func beginRun(datasets: [String], options: String) throws -> Int64 {
        try db.prepare("INSERT INTO _dataflow_runs (started_at, status, datasets, pid, host, options) VALUES (?, 'running', ?, ?, ?, ?)")
            .run([.text(Timestamp.now()), .text(datasets.joined(separator: ",")), .integer(Int64(ProcessInfo.processInfo.processIdentifier)),
                  .text(ProcessInfo.processInfo.hostName), .text(options)])
        return db.lastInsertRowID
    }

    public func beginDataset(runID: Int64, dataset: String) throws {
        try db.prepare("INSERT OR REPLACE INTO _dataflow_run_datasets (run_id, dataset, status, started_at) VALUES (?, ?, 'running', ?)")
            .run([.integer(runID), .text(dataset), .text(Timestamp.now())])
    }

    public func apply(_ batch: PageBatch) throws -> PageCounts {
        guard let table = tables[batch.dataset.name] else {
            throw SQLiteError(code: 1, message: "dataset \(batch.dataset.name) was not prepared", sql: nil)
        }
        return try db.transaction { try table.apply(batch, now: Timestamp.now()) }
    }

    public func finishPass(dataset: String, watermark: (epoch: Int, text: String)?) throws {
        try db.prepare("UPDATE _dataflow_state SET watermark = coalesce(?, watermark), watermark_text = coalesce(?, watermark_text), pass_max = NULL, updated_at = ? WHERE dataset = ?")
            .run([watermark.map { .integer(Int64($0.epoch)) } ?? .null, watermark.map { .text($0.text) } ?? .null, .text(Timestamp.now()), .text(dataset)])
    }

    public func metaValue(_ name: String) throws -> String? {
        try db.scalarText("SELECT value FROM _dataflow_meta WHERE name = ?", [.text(name)])
    }

    public func setMetaValue(_ name: String, _ value: String) throws {
        try db.prepare("INSERT OR REPLACE INTO _dataflow_meta (name, value) VALUES (?, ?)").run([.text(name), .text(value)])
    }

    public func tombstoneUnseen(dataset: DatasetConfig, runID: Int64) throws -> Int {
        guard let table = tables[dataset.name] else {
            throw SQLiteError(code: 1, message: "dataset \(dataset.name) was not prepared", sql: nil)
        }
        return try db.transaction { try table.tombstoneUnseen(runID: runID, now: Timestamp.now()) }
    }

    public func keysSeen(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try SeenKeys.distinct(in: db, dataset: dataset, runID: runID)
    }

    public func rejectTally(dataset: String, runID: Int64) throws -> (new: Int, seenAgain: Int) {
        try SeenKeys.rejects(in: db, dataset: dataset, runID: runID)
    }

    public func unseenLiveCount(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try SeenKeys.unseenLive(in: db, dataset: dataset, runID: runID)
    }

    public func finishDataset(runID: Int64, dataset: String, outcome: DatasetOutcome) throws {
        try db.prepare("UPDATE _dataflow_run_datasets SET status = ?, finished_at = ?, seconds = ?, error = ?, rejected = coalesce(?, rejected) WHERE run_id = ? AND dataset = ?")
            .run([.text(outcome.status), .text(Timestamp.now()), .text(String(format: "%.3f", outcome.seconds)),
                  outcome.error.map { .text($0) } ?? .null, outcome.rejected.map { .integer(Int64($0)) } ?? .null, .integer(runID), .text(dataset)])
    }

    public func finishRun(runID: Int64, status: String, exitCode: Int32) throws {
        try db.prepare("UPDATE _dataflow_runs SET finished_at = ?, status = ?, exit_code = ? WHERE run_id = ?")
            .run([.text(Timestamp.now()), .text(status), .integer(Int64(exitCode)), .integer(runID)])
    }
}

extension SQLiteWarehouse: RejectStore {
    public func rejects(dataset: String?, includeResolved: Bool) throws -> [StoredReject] {
        var sql = "SELECT id, dataset, key, record, reasons, first_seen, last_seen, resolved_at, resolved_run_id FROM _dataflow_rejects WHERE 1 = 1"
        var args: [CellValue] = []
        if let dataset { sql += " AND dataset = ?"; args.append(.text(dataset)) }
        if !includeResolved { sql += " AND resolved_at IS NULL" }
        let st = try db.prepare(sql + " ORDER BY id")
        try st.bind(args)
        var out: [StoredReject] = []
        while try st.step() {
            out.append(StoredReject(id: st.int(0), dataset: st.text(1) ?? "", key: st.text(2), record: st.text(3) ?? "",
                                    reasons: st.text(4) ?? "[]", firstSeen: st.text(5) ?? "", lastSeen: st.text(6) ?? "",
                                    resolvedAt: st.text(7), resolvedRunID: st.isNull(8) ? nil : st.int(8)))
        }
        return out
    }

    public func applyReplay(_ replay: RejectReplay) throws -> PageCounts {
        guard let table = tables[replay.dataset.name] else {
            throw SQLiteError(code: 1, message: "dataset \(replay.dataset.name) was not prepared", sql: nil)
        }
        return try db.transaction { try table.applyReplay(replay, now: Timestamp.now()) }
    }
}
