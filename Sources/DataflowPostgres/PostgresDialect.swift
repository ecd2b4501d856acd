import DataflowCore
import Foundation

/// PostgreSQL as a `WarehouseDialect`: PostgreSQL's types, `COPY` for bulk appends, and a
/// set-based `DatasetTableWriter` per dataset.
extension PostgresConnection: WarehouseDialect {
    public func columnType(_ type: FieldType) -> String {
        switch type {
        case .int, .bool: return "bigint"
        case .text, .decimal, .date, .datetime, .json: return "text"
        }
    }

    /// SQLite's types in the canonical migrations → PostgreSQL's.
    public func migrationSQL(_ canonical: String) -> String {
        var sql = canonical.replacingOccurrences(of: "INTEGER PRIMARY KEY AUTOINCREMENT", with: "bigserial PRIMARY KEY")
        for (from, to) in [("INTEGER", "bigint"), ("TEXT", "text"), ("REAL", "double precision")] {
            sql = sql.replacingOccurrences(of: "\\b\(from)\\b", with: to, options: .regularExpression)
        }
        return sql
    }

    public func executeScript(_ sql: String) throws { try execute(sql) }

    public func lockForMigration() throws {
        let schema = try scalarText("SELECT current_schema()", []) ?? ""
        try query("SELECT pg_advisory_xact_lock($1)", [.integer(PostgresAdvisoryLock.key(for: schema, purpose: "migrate"))])
    }

    /// PostgreSQL tests an `IN` list as cheaply as the comparisons it would become, and adding a
    /// constraint again would read the whole table to validate it: the constraint stays as written.
    public func replaceCheck(table: String, old: String, new: String) throws {}

    public func insertRows(into table: String, columns: [String], rows: [[CellValue]]) throws {
        guard !rows.isEmpty else { return }
        try copy(into: table, columns: columns, rows: rows)
    }

    public func tableWriter(for dataset: DatasetConfig) throws -> DatasetTableWriter {
        try PostgresDatasetTable(pg: self, dataset: dataset)
    }
}

/// One dataset table on PostgreSQL, set-based: one `SELECT … WHERE _key = ANY($1)` reads a page's
/// stored hashes; the written rows go by `COPY` into a temporary table and from there by one
/// `INSERT … ON CONFLICT (_key) DO UPDATE`.
final class PostgresDatasetTable: DatasetTableWriter {
    let pg: PostgresConnection
    let name: String
    let staging: String
    let columns: [String]
    /// The page's upsert from the staging table, built once.
    let upsert: String

    init(pg: PostgresConnection, dataset: DatasetConfig) throws {
        self.pg = pg
        name = Identifier.quoted(dataset.name)
        staging = Identifier.quoted(PostgresDatasetTable.stagingName(for: dataset.name))
        columns = dataset.fields.map { Identifier.quoted($0.column) } + ["_key", "_hash", "_deleted", "_first_seen", "_last_seen", "_run_id", "_matter", "_matter_code"]
        let updates = columns.filter { $0 != "_key" && $0 != "_first_seen" }.map { "\($0) = EXCLUDED.\($0)" }
        upsert = """
            INSERT INTO \(name) (\(columns.joined(separator: ", "))) SELECT \(columns.joined(separator: ", ")) FROM pg_temp.\(staging)
            ON CONFLICT (_key) DO UPDATE SET \(updates.joined(separator: ", "))
            """
        // The staging table lives in this session only; each page empties it first (a
        // transaction can hold several pages, SQLWarehouse.apply), and a commit empties it too.
        try pg.execute("DROP TABLE IF EXISTS pg_temp.\(staging); CREATE TEMP TABLE \(staging) (LIKE \(name)) ON COMMIT DELETE ROWS")
    }

    /// The session temp table a dataset's pages go through: `_page_`, the name's first 40
    /// characters, `_` and 16 hex digits of its MD5. PostgreSQL cuts an identifier at 63 bytes,
    /// and a dataset name may have 63 characters, so `_page_` + the name would give two datasets
    /// whose names agree in their first 57 characters one table, each dropping and recreating it
    /// like its own table. The digest keeps every dataset's table apart within 63 bytes; dataset
    /// names are ASCII (`Identifier.isSafe`), so characters are bytes.
    static func stagingName(for dataset: String) -> String {
        "_page_\(dataset.prefix(40))_\(Digest.md5Hex(dataset).prefix(16))"
    }

    func storedRows(keys: [String]) throws -> [String: StoredRow] {
        let old = try pg.query("SELECT _key, _hash, _deleted, _matter FROM \(name) WHERE _key = ANY($1::text[])", [.text(PostgresArray.text(keys))])
        var out: [String: StoredRow] = [:]
        out.reserveCapacity(old.count)
        for i in 0..<old.count {
            out[old.text(i, 0) ?? ""] = StoredRow(hash: old.text(i, 1) ?? "", deleted: (old.int(i, 2) ?? 0) != 0, matter: old.text(i, 3))
        }
        return out
    }

    func write(_ writes: [RowWrite], of rows: [MappedRow], now: String, runID: Int64) throws {
        // Final content per key (the last version on the page wins), in first-write order; the
        // upsert never overwrites _first_seen, so the staged one only counts for new keys.
        var written: [String: [CellValue]] = [:]
        var order: [String] = []
        let run = CellValue.integer(runID), nowText = CellValue.text(now)
        for write in writes {
            let row = rows[write.index]
            if written[row.key] == nil { order.append(row.key) }
            written[row.key] = row.values + [.text(row.key), .text(row.hash), .integer(row.deleted ? 1 : 0), nowText, nowText, run,
                                             row.matter.map(CellValue.text) ?? .null, row.matterCode.map(CellValue.text) ?? .null]
        }
        try pg.execute("DELETE FROM pg_temp.\(staging)")
        try pg.copy(into: "pg_temp.\(staging)", columns: columns, rows: order.lazy.compactMap { written[$0] })
        try pg.execute(upsert)
    }

    func markSeen(keys: [String], runID: Int64) throws {
        try pg.query("UPDATE \(name) SET _run_id = $1 WHERE _key = ANY($2::text[]) AND _run_id <> $1", [.integer(runID), .text(PostgresArray.text(keys))])
    }

    func tombstone(keys: [String], now: String, runID: Int64) throws {
        try pg.query("UPDATE \(name) SET _deleted = 1, _last_seen = $1, _run_id = $2 WHERE _key = ANY($3::text[])",
                     [.text(now), .integer(runID), .text(PostgresArray.text(keys))])
    }
}

/// PostgreSQL array literals for `= ANY($1::text[])` parameters.
enum PostgresArray {
    /// `{"a","b"}` with `"` and `\` escaped inside each element.
    static func text(_ values: [String]) -> String {
        var out = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for c in v.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }
}
