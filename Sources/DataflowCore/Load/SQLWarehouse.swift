import Foundation

/// The warehouse, written once over a `WarehouseDialect`: migrations, dictionaries, runs, state,
/// page transactions (`DatasetApplier`), tombstones, the quarantine. SQLite and PostgreSQL are
/// dialects of it; `WarehouseFactory` opens the right one from a `DatabaseLocation`.
///
/// ```swift
/// let warehouse = try SQLWarehouse(dialect: SQLiteDatabase(path: "warehouse/county.db"), purpose: .sync)
/// let engine = SyncEngine(project: project, warehouse: warehouse, factory: .standard)
/// ```
public final class SQLWarehouse: Warehouse {
    /// What a warehouse is opened for: a sync takes the one-run-at-a-time lock, migrates and
    /// writes; `write` migrates and writes without the lock (the view log of `check --reveal-pii`);
    /// reports `read` what is there and change nothing of its shape.
    public enum Purpose: Sendable { case sync, write, read }

    /// A warehouse opened for reading whose tables are older than this dataflow.
    public struct NeedsMigration: Error, CustomStringConvertible {
        public var location: String
        public var version: Int
        public var latest: Int
        public var description: String {
            if version == 0 { return "there is no warehouse at \(location) yet (run `dataflow sync` first)" }
            return "the warehouse \(location) is at schema version \(version), this dataflow needs \(latest): run `dataflow sync` once (it migrates), then try again"
        }
    }

    public let dialect: any WarehouseDialect
    /// Whatever must live as long as the warehouse (the SQLite run lock).
    private let keepAlive: AnyObject?
    private var tables: [String: DatasetApplier] = [:]

    /// Opens over `dialect`: a sync migrates the warehouse's own tables; a read checks they need no migration.
    public init(dialect: any WarehouseDialect, purpose: Purpose, keepAlive: AnyObject? = nil, location: String = "") throws {
        self.dialect = dialect
        self.keepAlive = keepAlive
        switch purpose {
        case .sync, .write: try migrate()
        case .read:
            let version = try Self.schemaVersion(dialect)
            let latest = WarehouseMigrations.all.last?.version ?? 0
            if version < latest { throw NeedsMigration(location: location, version: version, latest: latest) }
        }
    }

    static func schemaVersion(_ dialect: any WarehouseDialect) throws -> Int {
        guard try dialect.tableExists("_dataflow_migrations") else { return 0 }
        return Int(try dialect.scalarInt("SELECT coalesce(max(version), 0) FROM _dataflow_migrations", []) ?? 0)
    }

    /// Applies the versioned migrations in one transaction, serialized across processes.
    func migrate() throws {
        let latest = WarehouseMigrations.all.last?.version ?? 0
        if try dialect.tableExists("_dataflow_migrations"), try Self.schemaVersion(dialect) >= latest { return }
        defer {
            // Into the database file at once: a reader who cannot write beside it reads the file
            // alone (immutable) and would otherwise see the old version until a sync ends.
            try? dialect.runFinished()
        }
        try dialect.transaction {
            try dialect.lockForMigration()
            try dialect.executeScript(dialect.migrationSQL(
                "CREATE TABLE IF NOT EXISTS _dataflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"))
            let current = try Self.schemaVersion(dialect)
            for migration in WarehouseMigrations.all where migration.version > current {
                if !migration.sql.isEmpty { try dialect.executeScript(dialect.migrationSQL(migration.sql)) }
                try migration.step?(dialect)
                try dialect.execute("INSERT INTO _dataflow_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                                    [.integer(Int64(migration.version)), .text(migration.name), .text(Timestamp.now())])
            }
        }
    }

    public func loadDictionaries(_ d: Dictionaries) throws {
        try commitPending()
        if try dialect.scalarText("SELECT value FROM _dataflow_meta WHERE name = 'dictionaries_version'", []) == d.version { return }
        try dialect.transaction {
            for table in ["_dataflow_matters", "_dataflow_functions", "_dataflow_matter_functions", "_dataflow_matter_aliases"] {
                try dialect.execute("DELETE FROM \(table)", [])
            }
            var matters: [[CellValue]] = [], links: [String: [CellValue]] = [:], aliases: [String: [CellValue]] = [:]
            for m in d.matters {
                matters.append([.text(m.code), .text(m.name), .text(m.type.rawValue), .text(m.department), .text(d.version)])
                for f in m.functions { links[m.code + "\u{1F}" + f] = [.text(m.code), .text(f)] }
                for a in m.aliases { aliases[a] = [.text(a), .text(m.code)] }   // the last one wins
            }
            try dialect.insertRows(into: "_dataflow_matters", columns: ["code", "name", "type", "department", "version"], rows: matters)
            try dialect.insertRows(into: "_dataflow_matter_functions", columns: ["matter", "function"], rows: links.keys.sorted().compactMap { links[$0] })
            try dialect.insertRows(into: "_dataflow_matter_aliases", columns: ["alias", "matter"], rows: aliases.keys.sorted().compactMap { aliases[$0] })
            try dialect.insertRows(into: "_dataflow_functions", columns: ["code", "department", "name", "version"],
                                   rows: d.functions.map { [.text($0.code), .text($0.department), .text($0.name), .text(d.version)] })
            try setMetaValue("dictionaries_version", d.version)
            try setMetaValue("dictionaries_loaded_at", Timestamp.now())
        }
    }

    /// Creates a dataset's table (or adds the columns a mapping gained), as a sync would.
    public func createTable(for dataset: DatasetConfig) throws {
        try commitPending()
        try DatasetApplier.createOrExtendTable(dialect: dialect, dataset: dataset)
    }

    public func prepare(dataset: DatasetConfig) throws {
        try commitPending()
        lostGroups[dataset.name] = nil
        tables[dataset.name] = try DatasetApplier(dialect: dialect, dataset: dataset)
        let now = Timestamp.now()
        try dialect.execute("INSERT INTO _dataflow_state (dataset, updated_at) VALUES (?, ?) ON CONFLICT (dataset) DO NOTHING",
                            [.text(dataset.name), .text(now)])
        for field in Set(dataset.fields.map(\.from)).sorted() {
            try dialect.execute("""
                INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES (?, ?, 1, ?, ?)
                ON CONFLICT (dataset, field) DO UPDATE SET mapped = 1
                """, [.text(dataset.name), .text(field), .text(now), .text(now)])
        }
    }

    public func state(of dataset: String) throws -> DatasetState {
        try commitPending()
        var state = DatasetState(watermark: nil, watermarkText: nil, rows: 0, deletedRows: 0)
        try dialect.forEachRow("SELECT watermark, watermark_text, rows, deleted_rows FROM _dataflow_state WHERE dataset = ?",
                               [.text(dataset)]) { r in
            state = DatasetState(watermark: r.isNull(0) ? nil : Int(r.int(0)), watermarkText: r.text(1),
                                 rows: Int(r.int(2)), deletedRows: Int(r.int(3)))
        }
        return state
    }

    public func beginRun(datasets: [String], options: String) throws -> Int64 {
        try commitPending()
        // Before the run's row: a run that cannot start leaves no trace.
        try dialect.runStarted()
        do {
            let id = try dialect.scalarInt("""
                INSERT INTO _dataflow_runs (started_at, status, datasets, pid, host, options) VALUES (?, 'running', ?, ?, ?, ?) RETURNING run_id
                """, [.text(Timestamp.now()), .text(datasets.joined(separator: ",")), .integer(Int64(ProcessInfo.processInfo.processIdentifier)),
                      .text(ProcessInfo.processInfo.hostName), .text(options)])
            guard let id else { throw WarehouseError("INSERT INTO _dataflow_runs … RETURNING run_id returned no row") }
            return id
        } catch {
            try? dialect.runFinished()
            throw error
        }
    }

    public func beginDataset(runID: Int64, dataset: String) throws {
        try commitPending()
        lostGroups[dataset] = nil
        try dialect.transaction {
            try dialect.execute("DELETE FROM _dataflow_run_datasets WHERE run_id = ? AND dataset = ?", [.integer(runID), .text(dataset)])
            try dialect.execute("INSERT INTO _dataflow_run_datasets (run_id, dataset, status, started_at) VALUES (?, ?, 'running', ?)",
                                [.integer(runID), .text(dataset), .text(Timestamp.now())])
        }
    }

    private func applier(_ dataset: String) throws -> DatasetApplier {
        guard let table = tables[dataset] else { throw WarehouseError("dataset \(dataset) was not prepared") }
        return table
    }

    /// Applies one page with its state. A page whose walk already holds the next one
    /// (`batch.nextInHand`) may stay in an open transaction and commit together with the next
    /// pages of the same dataset: a group commits at `groupRows` rows, `groupSeconds` after its
    /// first page, when a page comes with nothing in hand, before another dataset's page, or
    /// before any other call. Every page still commits with its state in one transaction, so
    /// kill -9 loses at most the open group, which the next run fetches again, exactly as if the
    /// process had died before those pages (docs/sync.md, "Pages and checkpoints"). A page that fails
    /// rolls its whole group back (its dataset's earlier pages with their state) and the dataset
    /// fails. The walk reports the next page in hand when it arrived within
    /// `PageWalker.nextPageWait` (0.1 s), so a fast gateway's pages are grouped; a gateway slower
    /// than that leaves nothing in hand, and every page commits at once.
    public func apply(_ batch: PageBatch) throws -> PageCounts {
        let table = try applier(batch.dataset.name)
        try refuseIfLost(batch.dataset.name)
        if let open = group, open.dataset != batch.dataset.name { try commitPending() }
        guard batch.nextInHand || group != nil else {
            return try dialect.transaction { try table.apply(batch, now: Timestamp.now()) }
        }
        if group == nil {
            try dialect.beginTransaction()
            group = (batch.dataset.name, DispatchTime.now().uptimeNanoseconds, 0)
        }
        let counts: PageCounts
        do { counts = try table.apply(batch, now: Timestamp.now()) } catch { abandonGroup(); throw error }
        group?.rows += batch.rows.count + batch.rejects.count
        if let open = group, !batch.nextInHand || open.rows >= Self.groupRows
            || DispatchTime.now().uptimeNanoseconds - open.began >= Self.groupSeconds * 1_000_000_000 {
            try commitPending()
        }
        return counts
    }

    /// Pages of one dataset applied in a transaction still open: since when, and how many rows
    /// and rejects.
    private var group: (dataset: String, began: UInt64, rows: Int)?
    /// A group of pages commits at this many rows, or this many seconds after its first page.
    static let groupRows = 50_000
    static let groupSeconds: UInt64 = 1

    /// Commits the open group of pages, if any. Every call but `apply` does this first.
    /// A group that fails to commit is rolled back and its dataset remembered (`lostGroups`): the
    /// call may come from another worker's dataset, and the group's own walk must not go on.
    public func commitPending() throws {
        guard let open = group else { return }
        group = nil
        do { try dialect.commitTransaction() } catch {
            dialect.rollbackTransaction()
            lostGroups[open.dataset] = "\(error)"
            throw WarehouseError("\(open.dataset): its last pages (\(open.rows) rows) could not be committed and were rolled back: \(error)")
        }
    }

    /// Datasets whose open group of pages was rolled back because its commit failed, with why.
    /// Their walk's next page, pass end, seen-key counts and tombstones fail, so nothing is stored
    /// or tombstoned as if those pages were there; the next run fetches them again. Cleared when
    /// the dataset is prepared or begins again.
    private var lostGroups: [String: String] = [:]

    private func refuseIfLost(_ dataset: String) throws {
        guard let reason = lostGroups[dataset] else { return }
        throw WarehouseError("\(dataset): pages applied earlier in this run were rolled back when their commit failed (\(reason)); the dataset stops here and the next run fetches those pages again")
    }

    private func abandonGroup() {
        group = nil
        dialect.rollbackTransaction()
    }

    deinit { try? commitPending() }

    public func finishPass(dataset: String, watermark: (epoch: Int, text: String)?) throws {
        try commitPending()
        try refuseIfLost(dataset)
        try dialect.execute("""
            UPDATE _dataflow_state SET watermark = coalesce(?, watermark), watermark_text = coalesce(?, watermark_text),
                pass_max = NULL, updated_at = ? WHERE dataset = ?
            """, [watermark.map { .integer(Int64($0.epoch)) } ?? .null, watermark.map { .text($0.text) } ?? .null, .text(Timestamp.now()), .text(dataset)])
    }

    public func metaValue(_ name: String) throws -> String? {
        try commitPending()
        return try dialect.scalarText("SELECT value FROM _dataflow_meta WHERE name = ?", [.text(name)])
    }

    public func setMetaValue(_ name: String, _ value: String) throws {
        try commitPending()
        try dialect.execute("INSERT INTO _dataflow_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET value = excluded.value",
                            [.text(name), .text(value)])
    }

    public func keysSeen(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try commitPending()
        try refuseIfLost(dataset.name)
        return try SeenKeys.distinct(in: dialect, dataset: dataset, runID: runID)
    }

    public func unseenLiveCount(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try commitPending()
        try refuseIfLost(dataset.name)
        return try SeenKeys.unseenLive(in: dialect, dataset: dataset, runID: runID)
    }

    public func tombstoneUnseen(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try commitPending()
        try refuseIfLost(dataset.name)
        let table = try applier(dataset.name)
        return try dialect.transaction { try table.tombstoneUnseen(runID: runID, now: Timestamp.now()) }
    }

    @discardableResult
    public func forgetRows(dataset: DatasetConfig, runID: Int64) throws -> Int {
        try commitPending()
        try refuseIfLost(dataset.name)
        let table = try applier(dataset.name)
        return try dialect.transaction { try table.forgetAll(runID: runID, now: Timestamp.now()) }
    }

    public func rejectTally(dataset: String, runID: Int64) throws -> (new: Int, seenAgain: Int) {
        try commitPending()
        return try SeenKeys.rejects(in: dialect, dataset: dataset, runID: runID)
    }

    public func finishDataset(runID: Int64, dataset: String, outcome: DatasetOutcome) throws {
        try commitPending()
        try dialect.execute("""
            UPDATE _dataflow_run_datasets SET status = ?, finished_at = ?, seconds = ?, error = ?, rejected = coalesce(?, rejected),
                requests = coalesce(?, requests)
            WHERE run_id = ? AND dataset = ?
            """, [.text(outcome.status), .text(Timestamp.now()), .text(String(format: "%.3f", outcome.seconds)),
                  outcome.error.map { .text($0) } ?? .null, outcome.rejected.map { .integer(Int64($0)) } ?? .null,
                  outcome.requests.map { .integer(Int64($0)) } ?? .null, .integer(runID), .text(dataset)])
    }

    public func finishRun(runID: Int64, status: String, exitCode: Int32) throws {
        do {
            try commitPending()
            try dialect.execute("UPDATE _dataflow_runs SET finished_at = ?, status = ?, exit_code = ? WHERE run_id = ?",
                                [.text(Timestamp.now()), .text(status), .integer(Int64(exitCode)), .integer(runID)])
        } catch {
            // The run's writing ends here all the same (the background checkpoint thread stops).
            try? dialect.runFinished()
            throw error
        }
        try dialect.runFinished()
    }

    // MARK: RejectStore

    public func rejects(dataset: String?, includeResolved: Bool) throws -> [StoredReject] {
        try commitPending()
        var sql = "SELECT id, dataset, key, record, reasons, first_seen, last_seen, resolved_at, resolved_run_id FROM _dataflow_rejects WHERE 1 = 1"
        var args: [CellValue] = []
        if let dataset { sql += " AND dataset = ?"; args.append(.text(dataset)) }
        if !includeResolved { sql += " AND resolved_at IS NULL" }
        var out: [StoredReject] = []
        try dialect.forEachRow(sql + " ORDER BY id", args) { row in
            out.append(StoredReject(id: row.int(0), dataset: row.text(1) ?? "", key: row.text(2), record: row.text(3) ?? "",
                                    reasons: row.text(4) ?? "[]", firstSeen: row.text(5) ?? "", lastSeen: row.text(6) ?? "",
                                    resolvedAt: row.text(7), resolvedRunID: row.isNull(8) ? nil : row.int(8)))
        }
        return out
    }

    public func applyReplay(_ replay: RejectReplay) throws -> PageCounts {
        try commitPending()
        let table = try applier(replay.dataset.name)
        return try dialect.transaction { try table.applyReplay(replay, now: Timestamp.now()) }
    }

    // MARK: WarehouseReader (the dialect's own)

    public var backend: String { dialect.backend }
    public var rowOrder: String { dialect.rowOrder }
    public func stringAggregate(_ expression: String, separator: String) -> String { dialect.stringAggregate(expression, separator: separator) }
    public func scalarInt(_ sql: String, _ bindings: [CellValue]) throws -> Int64? { try commitPending(); return try dialect.scalarInt(sql, bindings) }
    public func scalarText(_ sql: String, _ bindings: [CellValue]) throws -> String? { try commitPending(); return try dialect.scalarText(sql, bindings) }
    public func forEachRow(_ sql: String, _ bindings: [CellValue], _ body: (any WarehouseRow) throws -> Void) throws {
        try commitPending()
        try dialect.forEachRow(sql, bindings, body)
    }
    public func execute(_ sql: String, _ bindings: [CellValue]) throws { try commitPending(); try dialect.execute(sql, bindings) }
    public func tableExists(_ name: String) throws -> Bool { try commitPending(); return try dialect.tableExists(name) }
    public func columns(of table: String) throws -> [String] { try commitPending(); return try dialect.columns(of: table) }
    public func confirmReadWhole() throws { try dialect.confirmReadWhole() }
}

/// A warehouse used in a way it cannot serve (a dataset not prepared, a missing row).
public struct WarehouseError: Error, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
