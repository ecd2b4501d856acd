import DataflowCore
import Foundation

/// The PostgreSQL warehouse: the same tables, page transactions, change feed, rejects and state as
/// `SQLiteWarehouse`, in one schema per county (`schema:` in dataflow.yml).
///
/// ```swift
/// let warehouse = try PostgresWarehouse(location: location, purpose: .sync)   // takes the advisory lock
/// let engine = SyncEngine(project: project, warehouse: warehouse)
/// ```
public final class PostgresWarehouse: Warehouse {
    /// What the connection is for: a sync takes the schema's advisory lock, reports do not.
    public enum Purpose: Sendable { case sync, read }

    public let connection: PostgresConnection
    public let location: PostgresLocation
    private var tables: [String: PostgresDatasetTable] = [:]

    /// Connects, creates the schema if needed, (for a sync) takes the one-run-at-a-time advisory lock,
    /// then migrates. Throws `WarehouseLock.Held` when another run holds the lock.
    public init(location: PostgresLocation, purpose: Purpose) throws {
        self.location = location
        let pid = ProcessInfo.processInfo.processIdentifier
        let application = purpose == .sync ? "dataflow sync pid \(pid), started \(Timestamp.now())" : "dataflow pid \(pid)"
        connection = try PostgresConnection(location: location, applicationName: String(application.prefix(63)))
        let schema = Identifier.quoted(location.schema)
        if try connection.scalarInt("SELECT count(*) FROM pg_namespace WHERE nspname = ?", [.text(location.schema)]) == 0 {
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
        }
        try connection.execute("SET search_path TO \(schema)")
        if purpose == .sync { try PostgresAdvisoryLock.take(on: connection, location: location) }
        try migrate()
    }

    /// Whether a sync holds this schema's lock now (`status` shows a killed run as interrupted otherwise).
    public func syncLockHeld() throws -> Bool {
        try PostgresAdvisoryLock.holder(on: connection, location: location) != nil
    }

    /// Applies the versioned migrations, serialized across processes by a transaction-level lock.
    func migrate() throws {
        try connection.transaction {
            try connection.query("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresAdvisoryLock.key(for: location.schema, purpose: "migrate"))])
            try connection.execute("CREATE TABLE IF NOT EXISTS _dataflow_migrations (version bigint PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)")
            let current = try connection.scalarInt("SELECT coalesce(max(version), 0) FROM _dataflow_migrations", []) ?? 0
            for migration in PostgresMigrations.all where migration.version > current {
                try connection.execute(migration.sql)
                try connection.query("INSERT INTO _dataflow_migrations (version, name, applied_at) VALUES ($1, $2, $3)",
                                     [.integer(Int64(migration.version)), .text(migration.name), .text(Timestamp.now())])
            }
        }
    }

    public func loadDictionaries(_ d: Dictionaries) throws {
        if try connection.scalarText("SELECT value FROM _dataflow_meta WHERE name = 'dictionaries_version'", []) == d.version { return }
        try connection.transaction {
            try connection.execute("DELETE FROM _dataflow_matters; DELETE FROM _dataflow_functions; DELETE FROM _dataflow_matter_functions; DELETE FROM _dataflow_matter_aliases;")
            var matters: [[CellValue]] = [], links: [String: [CellValue]] = [:], aliases: [String: [CellValue]] = [:]
            for m in d.matters {
                matters.append([.text(m.code), .text(m.name), .text(m.type.rawValue), .text(m.department), .text(d.version)])
                for f in m.functions { links[m.code + "\u{1F}" + f] = [.text(m.code), .text(f)] }
                for a in m.aliases { aliases[a] = [.text(a), .text(m.code)] }   // last one wins, as INSERT OR REPLACE
            }
            try connection.copy(into: "_dataflow_matters", columns: ["code", "name", "type", "department", "version"], rows: matters)
            try connection.copy(into: "_dataflow_matter_functions", columns: ["matter", "function"], rows: links.keys.sorted().compactMap { links[$0] })
            try connection.copy(into: "_dataflow_matter_aliases", columns: ["alias", "matter"], rows: aliases.keys.sorted().compactMap { aliases[$0] })
            try connection.copy(into: "_dataflow_functions", columns: ["code", "department", "name", "version"],
                                rows: d.functions.map { [.text($0.code), .text($0.department), .text($0.name), .text(d.version)] })
            let meta = "INSERT INTO _dataflow_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value"
            try connection.query(meta, [.text("dictionaries_version"), .text(d.version)])
            try connection.query(meta, [.text("dictionaries_loaded_at"), .text(Timestamp.now())])
        }
    }

    public func prepare(dataset: DatasetConfig) throws {
        let table = try PostgresDatasetTable(pg: connection, dataset: dataset)
        tables[dataset.name] = table
        let now = Timestamp.now()
        try connection.query("INSERT INTO _dataflow_state (dataset, updated_at) VALUES ($1, $2) ON CONFLICT (dataset) DO NOTHING", [.text(dataset.name), .text(now)])
        for field in Set(dataset.fields.map(\.from)).sorted() {
            try connection.query("""
                INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES ($1, $2, 1, $3, $4)
                ON CONFLICT (dataset, field) DO UPDATE SET mapped = 1
                """, [.text(dataset.name), .text(field), .text(now), .text(now)])
        }
    }

    public func state(of dataset: String) throws -> DatasetState {
        let r = try connection.query("SELECT watermark, watermark_text, pass_max, rows, deleted_rows FROM _dataflow_state WHERE dataset = $1", [.text(dataset)])
        guard r.count > 0 else { return DatasetState(watermark: nil, watermarkText: nil, passMax: nil, rows: 0, deletedRows: 0) }
        return DatasetState(watermark: r.int(0, 0).map { Int($0) }, watermarkText: r.text(0, 1), passMax: r.int(0, 2).map { Int($0) },
                            rows: Int(r.int(0, 3) ?? 0), deletedRows: Int(r.int(0, 4) ?? 0))
    }

    public func beginRun(datasets: [String], options: String) throws -> Int64 {
        let r = try connection.query("""
            INSERT INTO _dataflow_runs (started_at, status, datasets, pid, host, options) VALUES ($1, 'running', $2, $3, $4, $5) RETURNING run_id
            """, [.text(Timestamp.now()), .text(datasets.joined(separator: ",")), .integer(Int64(ProcessInfo.processInfo.processIdentifier)),
                  .text(ProcessInfo.processInfo.hostName), .text(options)])
        guard r.count == 1, let id = r.int(0, 0) else { throw PostgresError(message: "INSERT … RETURNING run_id returned no row") }
        return id
    }

    public func beginDataset(runID: Int64, dataset: String) throws {
        try connection.transaction {
            try connection.query("DELETE FROM _dataflow_run_datasets WHERE run_id = $1 AND dataset = $2", [.integer(runID), .text(dataset)])
            try connection.query("INSERT INTO _dataflow_run_datasets (run_id, dataset, status, started_at) VALUES ($1, $2, 'running', $3)",
                                 [.integer(runID), .text(dataset), .text(Timestamp.now())])
        }
    }

    public func apply(_ batch: PageBatch) throws -> PageCounts {
        guard let table = tables[batch.dataset.name] else {
            throw PostgresError(message: "dataset \(batch.dataset.name) was not prepared")
        }
        return try connection.transaction { try table.apply(batch, now: Timestamp.now()) }
    }

    public func finishPass(dataset: String, watermark: (epoch: Int, text: String)?) throws {
        try connection.query("""
            UPDATE _dataflow_state SET watermark = coalesce($1::bigint, watermark), watermark_text = coalesce($2::text, watermark_text),
                pass_max = NULL, updated_at = $3 WHERE dataset = $4
            """, [watermark.map { .integer(Int64($0.epoch)) } ?? .null, watermark.map { .text($0.text) } ?? .null, .text(Timestamp.now()), .text(dataset)])
    }

    public func metaValue(_ name: String) throws -> String? {
        try connection.scalarText("SELECT value FROM _dataflow_meta WHERE name = $1", [.text(name)])
    }

    public func setMetaValue(_ name: String, _ value: String) throws {
        try connection.query("INSERT INTO _dataflow_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET value = EXCLUDED.value",
                             [.text(name), .text(value)])
    }

    public func tombstoneUnseen(dataset: DatasetConfig, runID: Int64) throws -> Int {
        guard let table = tables[dataset.name] else { throw PostgresError(message: "dataset \(dataset.name) was not prepared") }
        return try connection.transaction { try table.tombstoneUnseen(runID: runID, now: Timestamp.now()) }
    }

    public func keysSeen(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try SeenKeys.distinct(in: connection, dataset: dataset, runID: runID)
    }

    public func rejectTally(dataset: String, runID: Int64) throws -> (new: Int, seenAgain: Int) {
        try SeenKeys.rejects(in: connection, dataset: dataset, runID: runID)
    }

    public func unseenLiveCount(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try SeenKeys.unseenLive(in: connection, dataset: dataset, runID: runID)
    }

    public func finishDataset(runID: Int64, dataset: String, outcome: DatasetOutcome) throws {
        try connection.query("UPDATE _dataflow_run_datasets SET status = $1, finished_at = $2, seconds = $3, error = $4, rejected = coalesce($5::bigint, rejected) WHERE run_id = $6 AND dataset = $7",
                             [.text(outcome.status), .text(Timestamp.now()), .text(String(format: "%.3f", outcome.seconds)),
                              outcome.error.map { .text($0) } ?? .null, outcome.rejected.map { .integer(Int64($0)) } ?? .null, .integer(runID), .text(dataset)])
    }

    public func finishRun(runID: Int64, status: String, exitCode: Int32) throws {
        try connection.query("UPDATE _dataflow_runs SET finished_at = $1, status = $2, exit_code = $3 WHERE run_id = $4",
                             [.text(Timestamp.now()), .text(status), .integer(Int64(exitCode)), .integer(runID)])
    }
}

extension PostgresWarehouse: RejectStore {
    public func rejects(dataset: String?, includeResolved: Bool) throws -> [StoredReject] {
        var sql = "SELECT id, dataset, key, record, reasons, first_seen, last_seen, resolved_at, resolved_run_id FROM _dataflow_rejects WHERE 1 = 1"
        var args: [CellValue] = []
        if let dataset { sql += " AND dataset = ?"; args.append(.text(dataset)) }
        if !includeResolved { sql += " AND resolved_at IS NULL" }
        var out: [StoredReject] = []
        try connection.forEachRow(sql + " ORDER BY id", args) { row in
            out.append(StoredReject(id: row.int(0), dataset: row.text(1) ?? "", key: row.text(2), record: row.text(3) ?? "",
                                    reasons: row.text(4) ?? "[]", firstSeen: row.text(5) ?? "", lastSeen: row.text(6) ?? "",
                                    resolvedAt: row.text(7), resolvedRunID: row.isNull(8) ? nil : row.int(8)))
        }
        return out
    }

    public func applyReplay(_ replay: RejectReplay) throws -> PageCounts {
        guard let table = tables[replay.dataset.name] else {
            throw PostgresError(message: "dataset \(replay.dataset.name) was not prepared")
        }
        return try connection.transaction { try table.applyReplay(replay, now: Timestamp.now()) }
    }
}
