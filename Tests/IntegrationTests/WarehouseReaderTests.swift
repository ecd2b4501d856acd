import DataflowCore
import DataflowPostgres
import Foundation
import Testing

/// The backend-neutral reader reports use: the same SQL, the same answers on both backends.
@Suite("WarehouseReader on SQLite and PostgreSQL")
struct WarehouseReaderTests {
    /// A fresh, empty store of one backend, removed afterwards.
    final class Scratch {
        let reader: WarehouseReader
        let file: URL?
        let schema: String?

        init(_ backend: Backend) throws {
            switch backend {
            case .sqlite:
                let url = FileManager.default.temporaryDirectory.appendingPathComponent("reader-\(UUID().uuidString).db")
                file = url
                schema = nil
                reader = try SQLiteDatabase(path: url.path)
            case .postgres:
                let name = TestPostgres.freshSchema()
                schema = name
                file = nil
                let pg = try PostgresConnection(location: TestPostgres.location(schema: name))
                try pg.execute("CREATE SCHEMA \(name); SET search_path TO \(name)")
                reader = pg
            }
        }

        deinit {
            if let file { try? FileManager.default.removeItem(at: file) }
            if let schema { TestPostgres.dropSchema(schema) }
        }
    }

    @Test(arguments: Backend.allCases)
    func placeholdersAggregatesNumbersAndNullsReadTheSame(_ backend: Backend) throws {
        let scratch = try Scratch(backend)
        let db = scratch.reader
        try db.execute("CREATE TABLE t (name TEXT, n BIGINT, x DOUBLE PRECISION, note TEXT)", [])
        for (name, n) in [("b", 2), ("a", 1), ("c", 3)] {
            try db.execute("INSERT INTO t (name, n, x, note) VALUES (?, ?, ?, ?)", [.text(name), .integer(Int64(n)), .text("\(n).5"), .null])
        }
        // A literal '?' stays a literal; only placeholders are numbered.
        #expect(try db.scalarText("SELECT '?' || name FROM t WHERE n = ?", [.integer(2)]) == "?b")
        #expect(try db.scalarText("SELECT \(db.stringAggregate("name", separator: ",")) FROM (SELECT name FROM t ORDER BY name) AS s", []) == "a,b,c")
        var seen: [String] = []
        try db.forEachRow("SELECT name, n, x, note FROM t ORDER BY n", []) { row in
            #expect(row.columnCount == 4)
            #expect(row.columnName(0) == "name")
            #expect(!row.isNumeric(0) && row.isNumeric(1) && row.isNumeric(2) && !row.isNumeric(3))
            #expect(row.isNull(3) && row.text(3) == nil)
            #expect(row.double(2) == Double(row.int(1)) + 0.5)
            row.withBytes(0) { bytes in seen.append(String(decoding: bytes ?? UnsafeBufferPointer(start: nil, count: 0), as: UTF8.self)) }
        }
        #expect(seen == ["a", "b", "c"])
        #expect(try db.tableExists("t") && !db.tableExists("nope"))
        #expect(try db.columns(of: "t") == ["name", "n", "x", "note"])
        #expect(try db.scalarInt("SELECT count(*) FROM t WHERE note IS NULL", []) == 3)
    }

    @Test func aFailingStatementNamesTheSQLAndTheServersReason() throws {
        let scratch = try Scratch(.postgres)
        let error = try #require(throws: PostgresError.self) { try scratch.reader.scalarInt("SELECT count(*) FROM missing_table WHERE a = ?", [.integer(1)]) }
        #expect(error.sqlState == "42P01")
        #expect(error.description.contains("missing_table") && error.description.contains("$1"), "\(error)")
    }
}
