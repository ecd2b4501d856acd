import DataflowCore
import Foundation

/// Copies a synced SQLite warehouse into an empty PostgreSQL schema: every metadata table (runs,
/// state, change feed, rejects, drift, dictionaries, export log) and every dataset table, row for
/// row, in one PostgreSQL transaction, from one consistent SQLite snapshot. Afterwards the county
/// points `warehouse:` at PostgreSQL and the next sync continues from the copied watermarks.
///
/// ```swift
/// let copier = WarehouseCopier(project: project)
/// let counts = try copier.copy(from: "warehouse/county.db", to: location)
/// ```
public struct WarehouseCopier {
    /// Rows copied per table, in copy order.
    public struct TableCount: Sendable, Equatable {
        public var table: String
        public var rows: Int
    }

    /// The target already holds a warehouse.
    public struct TargetNotEmpty: Error, CustomStringConvertible {
        public var location: PostgresLocation
        public var runs: Int64
        public var description: String {
            "\(location) already holds a warehouse (\(runs) runs); copy into an empty schema (e.g. --schema county_new) or drop this one first"
        }
    }

    /// Metadata tables in dependency-free order; `_dataflow_migrations` stays the target's own.
    public static let metadataTables = [
        "_dataflow_meta", "_dataflow_matters", "_dataflow_functions", "_dataflow_matter_functions", "_dataflow_matter_aliases",
        "_dataflow_state", "_dataflow_runs", "_dataflow_run_datasets", "_dataflow_changes", "_dataflow_rejects",
        "_dataflow_schema", "_dataflow_dataset_matters", "_dataflow_unresolved_matters", "_dataflow_exports",
    ]
    static let serials = [("_dataflow_runs", "run_id"), ("_dataflow_changes", "seq"), ("_dataflow_rejects", "id"), ("_dataflow_exports", "id")]

    public let project: ProjectConfig

    public init(project: ProjectConfig) { self.project = project }

    /// Copies; takes the target schema's sync lock so no run writes it meanwhile.
    public func copy(from sqlitePath: String, to location: PostgresLocation,
                     progress: (TableCount) -> Void = { _ in }) throws -> [TableCount] {
        let source = try SQLiteBackend.openForReading(path: sqlitePath)
        let (target, pg) = try PostgresBackend().openWarehouse(location, purpose: .sync)
        let runs = try pg.scalarInt("SELECT count(*) FROM _dataflow_runs", []) ?? 0
        guard runs == 0 else { throw TargetNotEmpty(location: location, runs: runs) }

        var counts: [TableCount] = []
        // One read snapshot of the source, even while a sync writes it (a reader who cannot take
        // SQLite's locks gets none: `confirmReadWhole` below then refuses a source that changed).
        try source.exec("BEGIN")
        defer { try? source.exec("COMMIT") }
        let sourceTables = try tables(in: source)
        try pg.transaction {
            for table in WarehouseCopier.metadataTables where sourceTables.contains(table) {
                try pg.execute("DELETE FROM \(Identifier.quoted(table))")
                counts.append(try copyTable(table, from: source, to: pg))
                progress(counts[counts.count - 1])
            }
            for table in sourceTables where !table.hasPrefix("_dataflow") {
                if let dataset = project.dataset(named: table) {
                    try target.createTable(for: dataset)   // the same DDL a sync would create
                } else {
                    try createLike(table, from: source, in: pg)               // a dataset no longer in Mappings/
                }
                counts.append(try copyTable(table, from: source, to: pg))
                progress(counts[counts.count - 1])
            }
            for (table, column) in WarehouseCopier.serials {
                try pg.execute("""
                    SELECT setval(pg_get_serial_sequence('\(table)', '\(column)'), coalesce(max(\(column)), 0) + 1, false) FROM \(table)
                    """)
            }
            // A source read without SQLite's locks that a run wrote meanwhile: nothing is kept.
            try source.confirmReadWhole()
        }
        return counts
    }

    private func tables(in db: SQLiteDatabase) throws -> [String] {
        var names: [String] = []
        try db.forEachRow("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' AND name <> '_dataflow_migrations' ORDER BY name", []) {
            names.append($0.text(0) ?? "")
        }
        return names
    }

    private func copyTable(_ table: String, from source: SQLiteDatabase, to pg: PostgresConnection) throws -> TableCount {
        let targetColumns = Set(try pg.columns(of: table))
        let columns = try source.columns(of: table).filter { targetColumns.contains($0) }
        let quoted = columns.map(Identifier.quoted)
        let st = try source.prepare("SELECT \(quoted.joined(separator: ", ")) FROM \(Identifier.quoted(table)) ORDER BY rowid")
        var rows = 0
        let sequence = AnyIterator<[CellValue]> {
            guard (try? st.step()) == true else { return nil }
            rows += 1
            return (0..<columns.count).map { st.isNull($0) ? .null : .text(st.text($0) ?? "") }
        }
        try pg.copy(into: Identifier.quoted(table), columns: quoted, rows: sequence)
        let expected = try source.scalarInt("SELECT count(*) FROM \(Identifier.quoted(table))") ?? 0
        guard Int64(rows) == expected else {
            throw PostgresError(message: "copied \(rows) rows of \(table) but the source holds \(expected); nothing was committed")
        }
        return TableCount(table: table, rows: rows)
    }

    private func createLike(_ table: String, from source: SQLiteDatabase, in pg: PostgresConnection) throws {
        var defs: [String] = []
        try source.forEachRow("SELECT name, upper(type) FROM pragma_table_info(?)", [.text(table)]) { row in
            let name = row.text(0) ?? ""
            let type: String
            switch row.text(1) ?? "" {
            case "INTEGER": type = "bigint"
            case "REAL": type = "double precision"
            default: type = "text"
            }
            defs.append("\(Identifier.quoted(name)) \(type)\(name == "_key" ? " NOT NULL UNIQUE" : "")")
        }
        try pg.execute("CREATE TABLE IF NOT EXISTS \(Identifier.quoted(table)) (\(defs.joined(separator: ", ")))")
    }
}
