import DataflowCore
import DataflowPostgres
import Foundation
import Testing

/// An exchange database (前置库) the province fills: one table, written through either backend.
final class ExchangeDatabase {
    let backend: Backend
    let root: URL
    let schema: String?
    let writer: WarehouseReader

    init(backend: Backend, root: URL) throws {
        self.backend = backend
        self.root = root
        switch backend {
        case .sqlite:
            schema = nil
            writer = try SQLiteDatabase(path: root.appendingPathComponent("exchange.db").path)
        case .postgres:
            let name = TestPostgres.freshSchema()
            schema = name
            let pg = try PostgresConnection(location: TestPostgres.location(schema: name))
            try pg.execute("CREATE SCHEMA \(name); SET search_path TO \(name)")
            writer = pg
        }
        try writer.execute("""
            CREATE TABLE "T_TAX_REG" ("REG_ID" text PRIMARY KEY, "NAME" text, "SXBM" text, "DEL_FLAG" text, "UPDATE_TIME" text NOT NULL)
            """, [])
    }

    deinit { if let schema { TestPostgres.dropSchema(schema) } }

    /// The `url:` of the source.
    func url() throws -> String {
        switch backend {
        case .sqlite: return "sqlite:" + root.appendingPathComponent("exchange.db").path
        case .postgres: return try TestPostgres.url() + "?schema=\(schema ?? "")"
        }
    }

    func upsert(_ id: String, name: String?, time: String, deleted: Bool = false) throws {
        try writer.execute("""
            INSERT INTO "T_TAX_REG" ("REG_ID", "NAME", "SXBM", "DEL_FLAG", "UPDATE_TIME") VALUES (?, ?, ?, ?, ?)
            ON CONFLICT ("REG_ID") DO UPDATE SET "NAME" = excluded."NAME", "DEL_FLAG" = excluded."DEL_FLAG", "UPDATE_TIME" = excluded."UPDATE_TIME"
            """, [.text(id), name.map(CellValue.text) ?? .null, .text("000105001000"), .text(deleted ? "1" : "0"), .text(time)])
    }
}

/// A county project whose one dataset comes from an exchange database, into a warehouse of the same backend.
final class ExchangeProject {
    let root: URL
    let exchange: ExchangeDatabase
    let schema: String?

    init(backend: Backend, pageSize: Int) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("exchange-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"),
                        to: root.appendingPathComponent("Mappings/dictionaries"))
        exchange = try ExchangeDatabase(backend: backend, root: root)
        let warehouse: String
        switch backend {
        case .sqlite:
            schema = nil
            warehouse = "warehouse: sqlite:warehouse/county.db"
        case .postgres:
            let name = TestPostgres.freshSchema()
            schema = name
            warehouse = "warehouse: \(try TestPostgres.url())\nschema: \(name)"
        }
        try """
        version: 1
        county: { code: "330782", name: 义乌市 }
        \(warehouse)
        sources:
          exchange:
            type: sql
            url: \(try exchange.url())
        """.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        try """
        dataset: tax_registrations
        title: 税务登记信息
        source: exchange
        update_cycle: daily
        exchange:
          table: T_TAX_REG
          watermark: UPDATE_TIME
          page_size: \(pageSize)
        key: [reg_id]
        deleted: { field: DEL_FLAG, equals: "1" }
        matters: { field: SXBM }
        fields:
          reg_id:     { from: REG_ID, type: text, required: true }
          name:       { from: NAME, type: text, required: true }
          updated_at: { from: UPDATE_TIME, type: datetime, format: "yyyy-MM-dd HH:mm:ss" }
        """.write(to: root.appendingPathComponent("Mappings/datasets/tax_registrations.yml"), atomically: true, encoding: .utf8)
    }

    deinit {
        try? FileManager.default.removeItem(at: root)
        if let schema { TestPostgres.dropSchema(schema) }
    }

    func dataflow(_ arguments: String...) throws -> CommandResult {
        try Command.run(Binaries.dataflow, arguments + ["--project", root.path], environment: ["NO_COLOR": "1"], in: root)
    }

    func reader() throws -> WarehouseReader {
        if let schema { return try PostgresBackend().openExchange(.postgres(TestPostgres.location(schema: schema))) }
        return try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
    }
}

@Suite("type: sql sources (exchange databases) walked by keyset")
struct ExchangeSourceTests {
    static func time(_ minute: Int) -> String { String(format: "2024-03-01 08:%02d:00", minute) }

    @Test(arguments: Backend.allCases)
    func exchangeTablesSyncByKeysetIncludingRowsSharingTheLastWatermark(_ backend: Backend) throws {
        let project = try ExchangeProject(backend: backend, pageSize: 100)
        let db = project.exchange
        // 1,050 rows, 150 per UPDATE_TIME value: every value spans page boundaries. Every 100th has no NAME.
        for i in 0..<1050 {
            try db.upsert(String(format: "R%05d", i), name: i % 100 == 7 ? nil : "企业\(i)", time: Self.time(i / 150))
        }
        let first = try project.dataflow("sync")
        #expect(first.status == 0, "\(first.output)")
        let wh = try project.reader()
        #expect(try wh.scalarInt("SELECT count(*) FROM tax_registrations", []) == 1050 - 11)
        #expect(try wh.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = 'tax_registrations'", []) == 11)
        #expect(try wh.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'I'", []) == 1039)
        #expect(try wh.scalarInt("SELECT pages FROM _dataflow_run_datasets", []) == 11, "ceil(1050 / 100) pages, no empty extra read")
        #expect(try wh.scalarText("SELECT watermark_text FROM _dataflow_state WHERE dataset = 'tax_registrations'", []) == Self.time(6))
        #expect(try wh.scalarInt("SELECT count(*) FROM tax_registrations WHERE _matter = '000105001000'", []) == 1039)

        // The province adds rows at the last watermark value, updates and deletes some, and fixes a bad row.
        let seq = try wh.scalarInt("SELECT max(seq) FROM _dataflow_changes", []) ?? 0
        for i in 1050..<1080 { try db.upsert(String(format: "R%05d", i), name: "新企业\(i)", time: Self.time(6)) }
        for i in stride(from: 0, to: 300, by: 10) { try db.upsert(String(format: "R%05d", i), name: "更名\(i)", time: Self.time(9)) }
        for i in [11, 12, 13] { try db.upsert(String(format: "R%05d", i), name: "企业\(i)", time: Self.time(9), deleted: true) }
        try db.upsert("R00007", name: "补正", time: Self.time(9))
        let second = try project.dataflow("sync")
        #expect(second.status == 0, "\(second.output)")
        var ops: [String: String] = [:]
        try wh.forEachRow("SELECT key, op FROM _dataflow_changes WHERE seq > ? ORDER BY seq", [.integer(seq)]) { ops[$0.text(0) ?? ""] = $0.text(1) }
        var expected: [String: String] = [:]
        for i in 1050..<1080 { expected[String(format: "R%05d", i)] = "I" }
        for i in stride(from: 0, to: 300, by: 10) { expected[String(format: "R%05d", i)] = "U" }
        for i in [11, 12, 13] { expected[String(format: "R%05d", i)] = "D" }
        expected["R00007"] = "I"
        #expect(ops == expected)
        #expect(try wh.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE resolved_at IS NOT NULL", []) == 1, "the fixed row resolved its reject")
        #expect(try wh.scalarText("SELECT name FROM tax_registrations WHERE reg_id = 'R00010'", []) == "更名10")

        // Nothing changed: only the rows at the last watermark value are re-read, and they are no-ops.
        let seqAfter = try wh.scalarInt("SELECT max(seq) FROM _dataflow_changes", [])
        #expect(try project.dataflow("sync").status == 0)
        #expect(try wh.scalarInt("SELECT max(seq) FROM _dataflow_changes", []) == seqAfter)
        #expect(try wh.scalarInt("SELECT fetched FROM _dataflow_run_datasets WHERE run_id = 3", []) == 34, "30 updates + 3 deletes + 1 fix share the last value")
        #expect(try wh.scalarInt("SELECT unchanged FROM _dataflow_run_datasets WHERE run_id = 3", []) == 34)
    }

    @Test func theKeysetKeyDefaultsToTheSourceFieldsOfKey() throws {
        let project = try ExchangeProject(backend: .sqlite, pageSize: 250)
        let config = try ProjectLoader(environment: [:]).load(root: project.root.path)
        let exchange = try #require(config.datasets.first?.exchange)
        #expect(exchange.key == ["REG_ID"], "the key defaults to the source fields of key:")
        #expect(exchange.pageSize == 250)
        guard case .table("T_TAX_REG") = exchange.origin else { Issue.record("origin \(exchange.origin)"); return }
    }

    @Test func badExchangeSettingsNameTheFileAndKey() throws {
        let project = try ExchangeProject(backend: .sqlite, pageSize: 10)
        let file = project.root.appendingPathComponent("Mappings/datasets/tax_registrations.yml")
        let text = try String(contentsOf: file, encoding: .utf8)
        try text.replacingOccurrences(of: "  table: T_TAX_REG\n", with: "  table: T_TAX_REG\n  query: SELECT 1\n").write(to: file, atomically: true, encoding: .utf8)
        let both = try project.dataflow("validate")
        #expect(both.status == 2)
        #expect(both.stderr.contains("tax_registrations.yml") && both.stderr.contains("not both"), "\(both.stderr)")
        try text.replacingOccurrences(of: "  table: T_TAX_REG\n", with: "  table: \"T_TAX; DROP\"\n").write(to: file, atomically: true, encoding: .utf8)
        let unsafe = try project.dataflow("validate")
        #expect(unsafe.status == 2)
        #expect(unsafe.stderr.contains("must be a name or schema.name"), "\(unsafe.stderr)")
        try text.write(to: file, atomically: true, encoding: .utf8)
        let config = project.root.appendingPathComponent("dataflow.yml")
        let yml = try String(contentsOf: config, encoding: .utf8)
        try yml.replacingOccurrences(of: "url: sqlite:", with: "url: mysql:").write(to: config, atomically: true, encoding: .utf8)
        let badURL = try project.dataflow("validate")
        #expect(badURL.status == 2)
        #expect(badURL.stderr.contains("dataflow.yml") && badURL.stderr.contains("expected sqlite:PATH or postgres://"), "\(badURL.stderr)")
    }
}
