import DataflowCore
import DataflowWarehouses
import Foundation
import Testing

/// PostgreSQL cuts identifiers at 63 bytes. Each dataset's pages go through a session temp table
/// named after it; with `_page_` + the dataset name, two datasets whose names agree in their first
/// 57 characters shared one, each dropping and recreating it like its own table, and one failed
/// every run (`column "name" of relation "_page_aaa…" does not exist`).
@Suite("PostgreSQL staging tables of long dataset names")
struct PostgresStagingTableTests {
    @Test func twoDatasetsWhoseNamesAgreeIn57CharactersSyncSideBySide() throws {
        let stem = String(repeating: "a", count: 57)
        let one = stem + "one", two = stem + "two"
        let gateway = try StaticGateway(files: [
            "one.json": #"{"list":[{"id":"K1","name":"义乌甲"},{"id":"K2","name":"义乌乙"}]}"#,
            "two.json": #"{"list":[{"id":"T1","title":"稠城街道"},{"id":"T2","title":"北苑街道"},{"id":"T3","title":"后宅街道"}]}"#,
        ])
        let root = try StaticGateway.county(at: gateway, datasets: [(one, "{ path: /one.json, records: list, pagination: { type: none } }"),
                                                                          (two, "{ path: /two.json, records: list, pagination: { type: none } }")],
                                                   sourceOptions: ["concurrency: 2"])
        defer { try? FileManager.default.removeItem(at: root) }
        // The second dataset has other columns than the first.
        let twoFile = root.appendingPathComponent("Mappings/datasets/\(two).yml")
        try String(contentsOf: twoFile, encoding: .utf8).replacingOccurrences(of: "name: { from: name, type: text }", with: "title: { from: title, type: text }")
            .write(to: twoFile, atomically: true, encoding: .utf8)
        let schema = TestPostgres.freshSchema()
        defer { TestPostgres.dropSchema(schema) }
        let config = root.appendingPathComponent("dataflow.yml")
        try (String(contentsOf: config, encoding: .utf8) + "warehouse: \(try TestPostgres.url())\nschema: \(schema)\n")
            .write(to: config, atomically: true, encoding: .utf8)

        for _ in 0..<2 {
            let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
            #expect(sync.status == 0, "\(sync.output)")
        }
        let db = try WarehouseFactory.standard.open(.postgres(TestPostgres.location(schema: schema)), purpose: .read)
        #expect(try db.scalarText("SELECT string_agg(id || ' ' || name, ',' ORDER BY id) FROM \(Identifier.quoted(one))", []) == "K1 义乌甲,K2 义乌乙")
        #expect(try db.scalarText("SELECT string_agg(id || ' ' || title, ',' ORDER BY id) FROM \(Identifier.quoted(two))", []) == "T1 稠城街道,T2 北苑街道,T3 后宅街道")
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_run_datasets WHERE error IS NOT NULL", []) == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes", []) == 5, "the second run changed nothing")
    }
}
