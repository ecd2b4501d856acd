import DataflowCore
import DataflowWarehouses
import DataflowPostgres
import Foundation
import Testing

@Suite("warehouse copy: SQLite to PostgreSQL")
struct WarehouseCopyTests {
    @Test func aCopiedWarehouseHoldsTheSameContentAndTheNextSyncContinuesFromItsWatermarks() throws {
        let sandbox = try Sandbox(rows: 800, caseRows: 600)
        let sqlite = try CountyProject(sandbox: sandbox, backend: .sqlite)
        #expect(try sqlite.dataflow("sync").status == 0)
        try sandbox.advanceClock(seconds: 600)
        _ = try sandbox.mutate("licenses", update: 20, insert: 10, delete: 5)
        #expect(try sqlite.dataflow("sync").status == 0)
        #expect(try sqlite.dataflow("export", "market_licenses", "-o", sqlite.root.appendingPathComponent("x.csv").path).status == 0)

        let schema = TestPostgres.freshSchema()
        defer { TestPostgres.dropSchema(schema) }
        let copy = try sqlite.dataflow("warehouse", "copy", "--to", try TestPostgres.url(), "--schema", schema)
        #expect(copy.status == 0, "\(copy.output)")
        #expect(copy.stdout.contains("copied 16 tables"), "\(copy.stdout)")

        let a = try sqlite.reader()
        let b = try PostgresWarehouseReaderForTests.open(schema: schema)
        var tables = ["_dataflow_meta", "_dataflow_state", "_dataflow_runs", "_dataflow_run_datasets", "_dataflow_changes", "_dataflow_rejects",
                      "_dataflow_schema", "_dataflow_dataset_matters", "_dataflow_unresolved_matters", "_dataflow_matters", "_dataflow_functions",
                      "_dataflow_matter_functions", "_dataflow_matter_aliases", "_dataflow_exports"]
        tables += try sqlite.config().datasets.map(\.name)
        for table in tables {
            let columns = try a.columns(of: table).map(Identifier.quoted)
            #expect(try b.columns(of: table).map(Identifier.quoted) == columns, "\(table): same columns in the same order")
            let sql = "SELECT \(columns.joined(separator: ", ")) FROM \(table) ORDER BY \(columns.joined(separator: ", "))"
            let left = try WarehouseConformanceTests.dump(a, sql), right = try WarehouseConformanceTests.dump(b, sql)
            #expect(left == right, "\(table): SQLite \(left.count) rows, PostgreSQL \(right.count)")
        }
        #expect(try b.scalarInt("SELECT count(*) FROM _dataflow_exports", []) == 1)

        // A second copy into the same schema is refused; nothing changes.
        let again = try sqlite.dataflow("warehouse", "copy", "--to", try TestPostgres.url(), "--schema", schema)
        #expect(again.status == 1)
        #expect(again.stderr.contains("already holds a warehouse"), "\(again.stderr)")

        // The county switches dataflow.yml to PostgreSQL: the next sync continues from the copied
        // watermarks (new runs and change rows get fresh numbers after the copied ones).
        let config = try String(contentsOf: sqlite.root.appendingPathComponent("dataflow.yml"), encoding: .utf8)
            .replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db", with: "warehouse: \(try TestPostgres.url())\nschema: \(schema)")
        try config.write(to: sqlite.root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        let seq = try b.scalarInt("SELECT max(seq) FROM _dataflow_changes", []) ?? 0
        try sandbox.advanceClock(seconds: 600)
        let m = try sandbox.mutate("licenses", update: 7)
        let next = try sqlite.dataflow("sync", "market_licenses")
        #expect(next.status == 0, "\(next.output)")
        #expect(try b.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE seq > ?", [.integer(seq)]) == Int64(m.updated.count))
        #expect(try b.scalarInt("SELECT max(run_id) FROM _dataflow_runs", []) == 3)
        #expect(try b.scalarInt("SELECT inserted FROM _dataflow_run_datasets WHERE run_id = 3", []) == 0, "nothing re-inserted after the copy")
    }

    @Test func anUnreachableServerFailsTheSyncNamingItWithoutThePassword() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        let file = project.root.appendingPathComponent("dataflow.yml")
        try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db", with: "warehouse: postgres://dataflow:${DW_PW:-hunter2}@127.0.0.1:1/dw\nschema: county_a")
            .write(to: file, atomically: true, encoding: .utf8)
        let result = try project.dataflow("sync")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("cannot open the warehouse postgres://dataflow:***@127.0.0.1:1/dw schema county_a"), "\(result.stderr)")
        #expect(!result.output.contains("hunter2"))
        #expect(sandbox.process.isRunning)
        #expect((try sandbox.stats()["token_requests"] ?? 0) == 0, "nothing was fetched before the warehouse opened")
    }

    @Test func aBadTargetURLIsAUsageErrorThatNeverPrintsThePassword() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        let result = try project.dataflow("warehouse", "copy", "--to", "postgres://u:hunter2@127.0.0.1:1/db?sslmode=sometimes")
        #expect(result.status == 2)
        #expect(result.stderr.contains("sslmode 'sometimes'"), "\(result.stderr)")
        #expect(!result.output.contains("hunter2"))
        #expect(try project.dataflow("sync").status == 0)
        let unreachable = try project.dataflow("warehouse", "copy", "--to", "postgres://u:hunter2@127.0.0.1:1/db")
        #expect(unreachable.status == 1)
        #expect(unreachable.stderr.contains("cannot connect to postgres://u:***@127.0.0.1:1/db"), "\(unreachable.stderr)")
        #expect(!unreachable.output.contains("hunter2"))
    }
}

/// Opens a PostgreSQL schema of the test server for reading.
enum PostgresWarehouseReaderForTests {
    static func open(schema: String) throws -> WarehouseReader {
        try WarehouseFactory.standard.open(.postgres(TestPostgres.location(schema: schema)), purpose: .read)
    }
}
