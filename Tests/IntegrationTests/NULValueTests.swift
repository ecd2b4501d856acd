import DataflowCore
import DataflowWarehouses
import Foundation
import Testing

/// A gateway record whose text holds U+0000 (`"nul\u0000byte"`): PostgreSQL's `text` cannot store
/// it, so before, COPY failed the whole page on every run there, while SQLite stored it. Now the
/// record is quarantined on both backends with rule `control-char` naming the field, the rest of
/// the page loads, and the next run changes nothing.
@Suite("A value holding U+0000 is quarantined on every backend")
struct NULValueTests {
    typealias Gateway = StaticGateway

    @Test(arguments: Backend.allCases)
    func theNULRecordIsQuarantinedAndTheOthersLoad(_ backend: Backend) throws {
        // A1 also names a member the mapping does not read with U+0000 in its name: schema drift
        // records it, with the character spelled out.
        let page = #"{"list":[{"id":"A1","name":"义乌甲","x\u0000":"1"},{"id":"A2","name":"nul\u0000byte"},{"id":"A3","name":"义乌丙"}]}"#
        let gateway = try Gateway(files: ["page.json": page])
        let root = try StaticGateway.county(at: gateway, datasets: [("shops", "{ path: /page.json, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let schema = TestPostgres.freshSchema()
        defer { if backend == .postgres { TestPostgres.dropSchema(schema) } }
        if backend == .postgres {
            let config = root.appendingPathComponent("dataflow.yml")
            try (String(contentsOf: config, encoding: .utf8) + "warehouse: \(try TestPostgres.url())\nschema: \(schema)\n")
                .write(to: config, atomically: true, encoding: .utf8)
        }
        func sync() throws {
            let run = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
            #expect(run.status == 0, "\(run.output)")
        }
        try sync()
        let db: WarehouseReader
        switch backend {
        case .sqlite: db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        case .postgres: db = try WarehouseFactory.standard.open(.postgres(TestPostgres.location(schema: schema)), purpose: .read)
        }
        func loaded() throws -> [String] {
            var ids: [String] = []
            try db.forEachRow("SELECT id FROM shops ORDER BY id", []) { ids.append($0.text(0) ?? "") }
            return ids
        }
        #expect(try loaded() == ["A1", "A3"])
        #expect(try db.scalarText("SELECT field FROM _dataflow_schema WHERE dataset = 'shops' AND mapped = 0", []) == #"x\u0000"#)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = 'shops' AND resolved_at IS NULL", []) == 1)
        #expect(try db.scalarText("SELECT key FROM _dataflow_rejects WHERE dataset = 'shops'", []) == "A2")

        let rejects = try Command.run(Binaries.dataflow, ["rejects", "shops", "--format", "json", "--project", root.path], in: root)
        #expect(rejects.status == 0, "\(rejects.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(rejects.stdout.utf8)) else { Issue.record("not a JSON list: \(rejects.stdout)"); return }
        guard case .array(let reasons)? = listed.first?["reasons"] else { Issue.record("no reasons: \(rejects.stdout)"); return }
        #expect(reasons.map { $0["rule"]?.text } == ["control-char"])
        #expect(reasons.first?["field"]?.text == "name")

        // The next run is stable: nothing inserted, changed or rejected anew.
        let changes = try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'shops'", [])
        #expect(changes == 2)
        try sync()
        #expect(try loaded() == ["A1", "A3"])
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'shops'", []) == changes)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = 'shops'", []) == 1)
        #expect(try db.scalarText("SELECT status FROM _dataflow_runs ORDER BY run_id DESC LIMIT 1", []) == "ok")
    }
}
