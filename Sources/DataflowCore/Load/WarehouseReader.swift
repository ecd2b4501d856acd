#if canImport(Glibc)
import Glibc
#endif
/// One result row as a `WarehouseReader` hands it to a callback; valid only inside that callback.
public protocol WarehouseRow {
    var columnCount: Int { get }
    func columnName(_ i: Int) -> String
    func isNull(_ i: Int) -> Bool
    /// True when the value is a number (SQLite INTEGER/REAL, PostgreSQL integer/float/numeric types).
    func isNumeric(_ i: Int) -> Bool
    /// The value as text (numbers in decimal), nil for NULL.
    func text(_ i: Int) -> String?
    /// The value as an integer, 0 for NULL or non-numbers (SQLite's rule).
    func int(_ i: Int) -> Int64
    func double(_ i: Int) -> Double
    /// Raw UTF-8 bytes of the value without building a String (for streaming exports).
    func withBytes<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T
}

/// Backend-neutral reads (and the few writes reports make, such as the export log) over a
/// warehouse, so `catalog`, `export` and `status` run unchanged on SQLite and PostgreSQL.
///
/// SQL uses `?` placeholders on every backend (PostgreSQL's reader numbers them `$1…$n`) and
/// should stay in the common dialect: standard aggregates, `coalesce`, `LIMIT`, no SQLite-only
/// functions (`stringAggregate` and `rowOrder` cover the two differences reports meet). Quote
/// `"user"` (reserved in PostgreSQL) and give every subquery in FROM an alias (PostgreSQL < 16
/// requires one).
///
/// ```swift
/// let reader: WarehouseReader = try SQLiteDatabase(path: "warehouse/county.db")
/// let rows = try reader.scalarInt("SELECT rows FROM _dataflow_state WHERE dataset = ?", [.text("market_licenses")])
/// try reader.forEachRow("SELECT run_id, status FROM _dataflow_runs ORDER BY run_id", []) { row in
///     print(row.int(0), row.text(1) ?? "")
/// }
/// ```
public protocol WarehouseReader: AnyObject {
    /// `sqlite` or `postgres`.
    var backend: String { get }
    /// An ORDER BY expression giving a dataset table a stable order (`rowid` on SQLite, `_key` on PostgreSQL).
    var rowOrder: String { get }
    /// The aggregate that joins text values: `group_concat(x, ',')` on SQLite (in the order rows arrive,
    /// so aggregate over an ordered subquery), `string_agg(x, ',' ORDER BY x COLLATE "C")` on PostgreSQL.
    func stringAggregate(_ expression: String, separator: String) -> String
    func scalarInt(_ sql: String, _ bindings: [CellValue]) throws -> Int64?
    func scalarText(_ sql: String, _ bindings: [CellValue]) throws -> String?
    /// Streams the rows of one statement in order.
    func forEachRow(_ sql: String, _ bindings: [CellValue], _ body: (any WarehouseRow) throws -> Void) throws
    /// Runs one statement that returns no rows.
    func execute(_ sql: String, _ bindings: [CellValue]) throws
    func tableExists(_ name: String) throws -> Bool
    /// Column names of a table, in order.
    func columns(of table: String) throws -> [String]
    /// Throws when what was read since the warehouse was opened may not be one state of it: a
    /// reader that cannot take SQLite's locks (docs/security.md, "Files") whose file changed
    /// meanwhile. Called when a report or export has read everything, before it is kept.
    func confirmReadWhole() throws
}

extension WarehouseReader {
    public func confirmReadWhole() throws {}
}

extension SQLiteStatement: WarehouseRow {}

extension SQLiteDatabase: WarehouseReader {
    public var backend: String { "sqlite" }
    public var rowOrder: String { "rowid" }

    public func confirmReadWhole() throws {
        guard isImmutable else { return }
        var now = stat()
        guard let opened = fileAtOpen, stat(path, &now) == 0, FileState(now) == opened else {
            throw WarehouseChangedWhileRead(path: path)
        }
    }

    public func stringAggregate(_ expression: String, separator: String) -> String {
        "group_concat(\(expression), '\(separator.replacingOccurrences(of: "'", with: "''"))')"
    }

    public func forEachRow(_ sql: String, _ bindings: [CellValue], _ body: (any WarehouseRow) throws -> Void) throws {
        let st = try prepare(sql)
        try st.bind(bindings)
        while try st.step() { try body(st) }
    }

    /// Kept prepared (`cachedStatement`): a sync runs the same few statements — state, run
    /// counters, per-matter counts — on every page. The SQL is always the program's own text (values
    /// are bound), so the cache holds a bounded set.
    public func execute(_ sql: String, _ bindings: [CellValue]) throws {
        try cachedStatement(sql).run(bindings)
    }
}

/// Why a read without SQLite's locks was not handed on (docs/security.md, "Files"): a command
/// says it and stops, whatever else it does with errors of the warehouse.
public protocol LocklessReadRefused: Error, CustomStringConvertible {}

/// A warehouse read without SQLite's locks changed while it was read (docs/security.md, "Files").
public struct WarehouseChangedWhileRead: LocklessReadRefused {
    public var path: String
    public var description: String {
        "the warehouse \(path) was written, or its mode or owner changed, while it was read (a dataflow run writing it): "
            + "this user, who cannot create its -shm beside it, reads the file without SQLite's locks, so what was read may "
            + "mix two states of it. Read it again when the run has finished"
    }
}

/// A reader without SQLite's locks found a run's pages in the warehouse's WAL, which it cannot
/// read (docs/security.md, "Files").
public struct WarehouseRunUnfinished: LocklessReadRefused {
    public var path: String
    public var description: String {
        "cannot read the warehouse at \(path) now: a dataflow run is writing it, or one was killed while writing it, and this "
            + "user, who cannot create its -shm beside it, cannot read the run's pages in \(path)-wal, so the database file alone "
            + "may not be one state of it. Read it when the run has finished (after a killed run, when the next run has finished)"
    }
}

extension WarehouseReader {
    /// A value of the warehouse's own `_dataflow_meta` table, read by a report or an export (the
    /// sync writes them through `Warehouse.setMetaValue`).
    public func metaText(_ name: String) throws -> String? {
        try scalarText("SELECT value FROM _dataflow_meta WHERE name = ?", [.text(name)])
    }
}
