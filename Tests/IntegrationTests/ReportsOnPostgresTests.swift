import DataflowCore
import DataflowPostgres
import Foundation
import Testing

/// `catalog`, `export` and `status` read PostgreSQL through the same `WarehouseReader` as SQLite:
/// a warehouse copied from SQLite reports the same catalogue, byte for byte.
@Suite("Reports on PostgreSQL")
struct ReportsOnPostgresTests {
    /// The output without its generation time (the one line that differs between two runs).
    static func withoutClock(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).filter { !$0.contains("\"generatedAt\"") }.joined(separator: "\n")
    }

    @Test func aCopiedWarehouseGivesTheSameCatalogExportAndStatus() throws {
        let sandbox = try Sandbox(rows: 700, caseRows: 500)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)
        try sandbox.advanceClock(seconds: 600)
        _ = try sandbox.mutate("licenses", update: 20, insert: 10, delete: 5)
        #expect(try project.dataflow("sync").status == 0)
        let catalogSQLite = try project.dataflow("catalog", "--format", "json")
        #expect(catalogSQLite.status == 0, "\(catalogSQLite.output)")
        let exportSQLite = try project.dataflow("export", "market_licenses", "--include-deleted", "--reveal-pii")
        #expect(exportSQLite.status == 0, "\(exportSQLite.output)")
        let feedSQLite = try project.dataflow("export", "service_cases", "--changes-since", "0", "--format", "ndjson")
        let statusSQLite = try project.dataflow("status", "--format", "json", "--limit", "5")

        let schema = TestPostgres.freshSchema()
        defer { TestPostgres.dropSchema(schema) }
        #expect(try project.dataflow("warehouse", "copy", "--to", try TestPostgres.url(), "--schema", schema, "--quiet").status == 0)
        let file = project.root.appendingPathComponent("dataflow.yml")
        try String(contentsOf: file, encoding: .utf8)
            .replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db", with: "warehouse: \(try TestPostgres.url())\nschema: \(schema)")
            .write(to: file, atomically: true, encoding: .utf8)

        let catalogPostgres = try project.dataflow("catalog", "--format", "json")
        #expect(catalogPostgres.status == 0, "\(catalogPostgres.output)")
        #expect(catalogSQLite.stdout.contains("\"generatedAt\""), "the clock line is the one left out")
        #expect(Self.withoutClock(catalogPostgres.stdout) == Self.withoutClock(catalogSQLite.stdout))

        // Exports: the same rows (PostgreSQL orders by key, SQLite by insertion) and the same change feed in order.
        let exportPostgres = try project.dataflow("export", "market_licenses", "--include-deleted", "--reveal-pii")
        #expect(exportPostgres.status == 0, "\(exportPostgres.output)")
        let rowsA = exportSQLite.stdout.split(whereSeparator: \.isNewline), rowsB = exportPostgres.stdout.split(whereSeparator: \.isNewline)
        #expect(rowsA.first == rowsB.first, "same header")
        #expect(rowsA.count > 700 && rowsA.sorted() == rowsB.sorted())
        let feedPostgres = try project.dataflow("export", "service_cases", "--changes-since", "0", "--format", "ndjson")
        #expect(feedPostgres.status == 0 && feedPostgres.stdout == feedSQLite.stdout && !feedSQLite.stdout.isEmpty)

        // Status: the same runs and dataset states; only the warehouse's name differs.
        let statusPostgres = try project.dataflow("status", "--format", "json", "--limit", "5")
        #expect(statusPostgres.status == 0, "\(statusPostgres.output)")
        func withoutWarehouse(_ s: String) -> String { s.split(separator: "\n").filter { !$0.contains("\"warehouse\"") }.joined(separator: "\n") }
        #expect(withoutWarehouse(statusPostgres.stdout) == withoutWarehouse(statusSQLite.stdout))
        #expect(statusPostgres.stdout.contains("schema \(schema)") && !statusPostgres.stdout.contains(#/"status" ?: ?"interrupted"/#))
    }

    @Test func metricsAndRejectsWorkOnAPostgreSQLWarehouse() throws {
        let sandbox = try Sandbox(rows: 200, caseRows: 300)
        let project = try CountyProject(sandbox: sandbox, backend: .postgres)
        let metrics = project.root.appendingPathComponent("dataflow.prom")
        let sync = try project.dataflow("sync", "--metrics-file", metrics.path)
        #expect(sync.status == 0, "\(sync.output)")
        let text = try String(contentsOf: metrics, encoding: .utf8)
        #expect(text.contains("dataflow_dataset_last_success_timestamp_seconds{dataset=\"market_licenses\"}"), "\(text.prefix(400))")
        let rejects = try project.dataflow("rejects", "--format", "json")
        let open = try project.reader().scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE resolved_at IS NULL", []) ?? 0
        #expect(open >= 3)
        #expect(rejects.status == 0, "\(rejects.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(rejects.stdout.utf8)) else { Issue.record("not a JSON list"); return }
        #expect(listed.count == Int(open))
    }

    /// Found by a hunt: what the server says besides its answers — a warning as it shuts down, a
    /// trigger's RAISE WARNING — went raw to stderr (libpq's default notice printer), a text line
    /// among the JSON events of `--log-format json`.
    @Test func aServerNoticeIsALogEventNotRawText() throws {
        let sandbox = try Sandbox(rows: 20, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox, backend: .postgres)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let schema = Identifier.quoted(try #require(project.schema))
        let pg = try PostgresConnection(location: TestPostgres.location(schema: "public"))
        try pg.execute("""
            CREATE FUNCTION \(schema).say_hello() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE WARNING 'a trigger says hello'; RETURN NEW; END $$;
            CREATE TRIGGER say_hello BEFORE INSERT ON \(schema)._dataflow_runs FOR EACH ROW EXECUTE FUNCTION \(schema).say_hello();
            """)
        let run = try project.dataflow("sync", "--log-format", "json")
        #expect(run.status == 0, "\(run.output)")
        #expect(run.stderr.contains("a trigger says hello"), "the notice is kept: \(run.stderr)")
        for line in run.stderr.split(separator: "\n") {
            #expect((try? JSONParser.parse(Array(line.utf8)))?["event"] != nil, "not a JSON event: \(line)")
        }
    }
}
