import DataflowCore
import Foundation

/// A third warehouse backend that lives only in the tests: an in-memory database driven through
/// nothing but `WarehouseReader` calls — no prepared statements, no COPY, one plain statement per
/// row. It exists to prove that a backend is this one file plus one `register` line: it shares
/// every line of page-apply logic with SQLite and PostgreSQL, and the engine-level conformance
/// suite (`WarehouseEngineConformanceTests`) runs on it.
///
/// ```swift
/// var factory = WarehouseFactory.standard
/// factory.register(InMemoryBackend())
/// let warehouse = try factory.open(InMemoryBackend.location("county"), purpose: .sync)
/// ```
struct InMemoryBackend: WarehouseBackend {
    static let scheme = "memory"

    static func location(_ name: String) -> DatabaseLocation { .registered(scheme: scheme, address: name) }

    func serves(_ location: DatabaseLocation) -> Bool {
        if case .registered(Self.scheme, _) = location { return true }
        return false
    }

    func open(_ location: DatabaseLocation, purpose: SQLWarehouse.Purpose) throws -> Warehouse {
        try SQLWarehouse(dialect: InMemoryDialect(), purpose: purpose, location: location.description)
    }

    func openExchange(_ location: DatabaseLocation) throws -> WarehouseReader {
        throw WarehouseError("\(location): the in-memory backend holds no exchange databases")
    }

    func syncLockHeld(_ location: DatabaseLocation) throws -> Bool { false }
}

/// The dialect: SQL text through the reader, one statement at a time.
final class InMemoryDialect: WarehouseDialect {
    private let db: SQLiteDatabase

    init() throws { db = try SQLiteDatabase(path: ":memory:") }

    var backend: String { "memory" }
    var rowOrder: String { "_key" }
    func stringAggregate(_ expression: String, separator: String) -> String { db.stringAggregate(expression, separator: separator) }
    func scalarInt(_ sql: String, _ bindings: [CellValue]) throws -> Int64? { try db.scalarInt(sql, bindings) }
    func scalarText(_ sql: String, _ bindings: [CellValue]) throws -> String? { try db.scalarText(sql, bindings) }
    func forEachRow(_ sql: String, _ bindings: [CellValue], _ body: (any WarehouseRow) throws -> Void) throws {
        try db.forEachRow(sql, bindings, body)
    }
    func execute(_ sql: String, _ bindings: [CellValue]) throws { try db.execute(sql, bindings) }
    func tableExists(_ name: String) throws -> Bool { try db.tableExists(name) }
    func columns(of table: String) throws -> [String] { try db.columns(of: table) }

    func columnType(_ type: FieldType) -> String { type == .int || type == .bool ? "INTEGER" : "TEXT" }
    func migrationSQL(_ canonical: String) -> String { canonical }
    func executeScript(_ sql: String) throws { try db.exec(sql) }
    func transaction<T>(_ body: () throws -> T) throws -> T { try db.transaction(body) }
    func beginTransaction() throws { try db.beginTransaction() }
    func commitTransaction() throws { try db.commitTransaction() }
    func rollbackTransaction() { db.rollbackTransaction() }
    func replaceCheck(table: String, old: String, new: String) throws { try db.replaceCheck(table: table, old: old, new: new) }

    func insertRows(into table: String, columns: [String], rows: [[CellValue]]) throws {
        let sql = "INSERT INTO \(table) (\(columns.joined(separator: ", "))) VALUES (\(columns.map { _ in "?" }.joined(separator: ", ")))"
        for row in rows { try execute(sql, row) }
    }

    func tableWriter(for dataset: DatasetConfig) throws -> DatasetTableWriter { InMemoryTable(dialect: self, dataset: dataset) }
}

/// One dataset table, row by row in plain SQL.
final class InMemoryTable: DatasetTableWriter {
    let dialect: InMemoryDialect
    let name: String
    let columns: [String]

    init(dialect: InMemoryDialect, dataset: DatasetConfig) {
        self.dialect = dialect
        name = Identifier.quoted(dataset.name)
        columns = dataset.fields.map { Identifier.quoted($0.column) }
    }

    func storedRows(keys: [String]) throws -> [String: StoredRow] {
        var out: [String: StoredRow] = [:]
        for key in keys {
            try dialect.forEachRow("SELECT _hash, _deleted, _matter FROM \(name) WHERE _key = ?", [.text(key)]) { row in
                out[key] = StoredRow(hash: row.text(0) ?? "", deleted: row.int(1) != 0, matter: row.text(2))
            }
        }
        return out
    }

    func write(_ writes: [RowWrite], of rows: [MappedRow], now: String, runID: Int64) throws {
        for w in writes {
            let row = rows[w.index]
            let system: [CellValue] = [.text(row.hash), .integer(row.deleted ? 1 : 0), .text(now), .integer(runID),
                                       row.matter.map(CellValue.text) ?? .null, row.matterCode.map(CellValue.text) ?? .null]
            if w.isNew {
                let all = columns + ["_hash", "_deleted", "_last_seen", "_run_id", "_matter", "_matter_code", "_key", "_first_seen"]
                try dialect.execute("INSERT INTO \(name) (\(all.joined(separator: ", "))) VALUES (\(all.map { _ in "?" }.joined(separator: ", ")))",
                                    row.values + system + [.text(row.key), .text(now)])
            } else {
                let sets = (columns + ["_hash", "_deleted", "_last_seen", "_run_id", "_matter", "_matter_code"]).map { "\($0) = ?" }
                try dialect.execute("UPDATE \(name) SET \(sets.joined(separator: ", ")) WHERE _key = ?", row.values + system + [.text(row.key)])
            }
        }
    }

    func markSeen(keys: [String], runID: Int64) throws {
        for key in keys { try dialect.execute("UPDATE \(name) SET _run_id = ? WHERE _key = ?", [.integer(runID), .text(key)]) }
    }

    func tombstone(keys: [String], now: String, runID: Int64) throws {
        for key in keys {
            try dialect.execute("UPDATE \(name) SET _deleted = 1, _last_seen = ?, _run_id = ? WHERE _key = ?", [.text(now), .integer(runID), .text(key)])
        }
    }
}
