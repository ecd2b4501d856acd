/// What a warehouse backend does its own way. Everything else — the insert/update/unchanged/revive
/// decision, the change feed, rejects, drift, unresolved matters, per-matter counts, state, run
/// counters, tombstones and reject replays — is written once in `SQLWarehouse` and
/// `DatasetApplier` over this protocol (docs/architecture.md, "The shared warehouse core").
///
/// A dialect is also the warehouse's reader: the shared core keeps its small, once-a-page
/// statements in the common SQL that `WarehouseReader` documents (`?` placeholders,
/// `INSERT … ON CONFLICT … DO UPDATE`, `RETURNING`). The calls that run per row are batch-level
/// here, so each backend does its own fast thing: SQLite steps prepared statements, PostgreSQL
/// sends one `COPY` and one set-based upsert.
///
/// ```swift
/// let warehouse = try SQLWarehouse(dialect: SQLiteDatabase(path: "county.db"), purpose: .sync)
/// ```
public protocol WarehouseDialect: WarehouseReader {
    /// The column type a field is stored as (dataset tables).
    func columnType(_ type: FieldType) -> String
    /// The warehouse's own tables in this dialect, from the canonical text of `WarehouseMigrations`
    /// (SQLite's types: `INTEGER`, `TEXT`, `REAL`, `INTEGER PRIMARY KEY AUTOINCREMENT`).
    func migrationSQL(_ canonical: String) -> String
    /// Runs several statements without results (DDL, migrations).
    func executeScript(_ sql: String) throws
    /// Runs `body` in one transaction, rolled back when it throws.
    func transaction<T>(_ body: () throws -> T) throws -> T
    /// A transaction that spans several calls (grouped pages, `SQLWarehouse.apply`): begin it,
    /// then commit it or roll it back. Savepoints inside it are plain SQL (`SAVEPOINT name`).
    func beginTransaction() throws
    func commitTransaction() throws
    func rollbackTransaction()
    /// Called first inside the migration transaction: keeps two processes from migrating at once.
    func lockForMigration() throws
    /// A migration step: the CHECK constraint text `old` of one of dataflow's tables becomes `new`,
    /// an equivalent rule every stored row already satisfies. A backend whose constraint costs
    /// the same either way may keep it as it is.
    func replaceCheck(table: String, old: String, new: String) throws
    /// Called when a sync run begins, before its run row is written.
    func runStarted() throws
    /// Called when a sync run has finished writing (its last statement committed), and after migrations.
    func runFinished() throws
    /// Appends rows to one of dataflow's tables, in order (dictionaries, tombstones' feed entries).
    func insertRows(into table: String, columns: [String], rows: [[CellValue]]) throws
    /// Appends a page's change-feed entries, in order: one run, dataset and time for all of them.
    func insertChanges(runID: Int64, dataset: String, at: String, _ changes: [ChangeEntry]) throws
    /// The per-row calls on one dataset table (which the shared core has already created).
    func tableWriter(for dataset: DatasetConfig) throws -> DatasetTableWriter
}

extension DatasetTableWriter {
    public func insertAbsent(_ rows: [MappedRow], now: String, runID: Int64) throws -> [Bool]? { nil }
}

extension WarehouseDialect {
    public func lockForMigration() throws {}
    public func runStarted() throws {}
    public func runFinished() throws {}

    /// As rows of `DatasetApplier.changeColumns` (PostgreSQL sends them in one `COPY`).
    public func insertChanges(runID: Int64, dataset: String, at: String, _ changes: [ChangeEntry]) throws {
        let run = CellValue.integer(runID), name = CellValue.text(dataset), time = CellValue.text(at)
        try insertRows(into: "_dataflow_changes", columns: DatasetApplier.changeColumns,
                       rows: changes.map { [run, name, .text($0.key), .text($0.op), .text($0.hash), time] })
    }
}

/// One change-feed entry of a page: the key, `I`, `U` or `D`, and the row's content hash.
public struct ChangeEntry: Sendable, Equatable {
    public var key: String
    public var op: String
    public var hash: String

    public init(key: String, op: String, hash: String) {
        self.key = key
        self.op = op
        self.hash = hash
    }
}

/// What a dataset table holds for one key before a page is applied.
public struct StoredRow: Sendable, Equatable {
    public var hash: String
    public var deleted: Bool
    public var matter: String?

    public init(hash: String, deleted: Bool, matter: String?) {
        self.hash = hash
        self.deleted = deleted
        self.matter = matter
    }
}

/// One row to write, by its index in the page's rows (no copy of the row): new keys are
/// inserted (with `_first_seen`), known keys are updated.
public struct RowWrite {
    public var index: Int
    public var isNew: Bool
}

/// The per-row work on one dataset table, batch by batch; the caller holds the transaction.
/// Every call keeps the order it is given (the change feed and counters depend on it).
public protocol DatasetTableWriter: AnyObject {
    /// `_hash`, `_deleted` and `_matter` of those `keys` the table holds.
    func storedRows(keys: [String]) throws -> [String: StoredRow]
    /// Inserts, in order, every row whose key the table does not hold yet (a key twice in `rows`
    /// is inserted the first time), as `write` inserts a new key, and says which rows it inserted;
    /// nil when the backend has no cheap way to do that, and the caller reads `storedRows` first.
    /// On a first load it saves the lookup of every key (`DatasetApplier.apply`).
    func insertAbsent(_ rows: [MappedRow], now: String, runID: Int64) throws -> [Bool]?
    /// Writes the rows: all columns, `_hash`, `_deleted`, `_last_seen = now`, `_run_id`, `_matter`,
    /// `_matter_code`; a key may appear twice (the later write wins, `_first_seen` stays the first).
    func write(_ writes: [RowWrite], of rows: [MappedRow], now: String, runID: Int64) throws
    /// Stamps unchanged rows as seen by `runID` (full-snapshot datasets).
    func markSeen(keys: [String], runID: Int64) throws
    /// Marks the keys deleted, seen by `runID` at `now`.
    func tombstone(keys: [String], now: String, runID: Int64) throws
}
