import DataflowCore
import Foundation
import Testing

/// A gateway that sends one key in two Unicode forms (`café` as U+00E9, and as `e` + U+0301): the
/// warehouse compares `_key` by its bytes while the page's bookkeeping compares as Swift does
/// (canonical equivalence), so before keys were stored in NFC the table grew a second row for
/// the same key and tombstoned the first, or, with both forms on one page, counted an update
/// that changed no row. Served over loopback by Python's http.server (`StaticGateway`).
@Suite("A key in two Unicode forms is one key")
struct UnicodeKeyTests {
    static let composed = "caf\u{E9}", decomposed = "cafe\u{301}"

    func page(_ records: [(id: String, name: String)]) -> String {
        // Written by hand so the key's bytes reach the file exactly as given (no serializer normalizes).
        "{\"list\":[" + records.map { "{\"id\":\"\($0.id)\",\"name\":\"\($0.name)\"}" }.joined(separator: ",") + "]}"
    }

    @Test func aKeySentInTheOtherFormUpdatesItsRowInsteadOfAddingOne() throws {
        let gateway = try StaticGateway(files: ["page.json": page([(Self.composed, "甲"), ("K0002", "乙")])])
        let root = try StaticGateway.county(at: gateway, datasets: [("shops", "{ path: /page.json, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let pageFile = gateway.dir.appendingPathComponent("www/page.json")
        #expect(Array(page([(Self.decomposed, "x")]).utf8).contains(0xCC), "the decomposed form must reach the file")

        func sync(failing: String? = nil) throws -> SQLiteDatabase {
            let run = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
            if let failing {
                #expect(run.status == 1 && run.output.contains(failing), "\(run.output)")
            } else {
                #expect(run.status == 0, "\(run.output)")
            }
            return try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        }
        func ops(_ db: SQLiteDatabase, run: Int) throws -> [String] {
            let st = try db.prepare("SELECT op || ' ' || hex(key) FROM _dataflow_changes WHERE run_id = ? ORDER BY seq")
            try st.bind([.integer(Int64(run))])
            var out: [String] = []
            while try st.step() { out.append(st.text(0) ?? "") }
            return out
        }
        let composedHex = Array(Self.composed.utf8).map { String(format: "%02X", $0) }.joined()

        // Run 1: the composed form.
        var db = try sync()
        #expect(try db.scalarInt("SELECT count(*) FROM shops") == 2)
        #expect(try ops(db, run: 1).count == 2)

        // Run 2: the same key, decomposed, with a new name: one update, no insert, no tombstone.
        try page([(Self.decomposed, "丙"), ("K0002", "乙")]).write(to: pageFile, atomically: true, encoding: .utf8)
        db = try sync()
        #expect(try db.scalarInt("SELECT count(*) FROM shops") == 2)
        #expect(try db.scalarInt("SELECT count(*) FROM shops WHERE _deleted = 1") == 0)
        #expect(try db.scalarText("SELECT name FROM shops WHERE hex(_key) = ?", [.text(composedHex)]) == "丙")
        #expect(try ops(db, run: 2) == ["U \(composedHex)"])
        // The column keeps the text as the gateway sent it this time.
        #expect(try db.scalarText("SELECT hex(id) FROM shops WHERE name = '丙'") == Array(Self.decomposed.utf8).map { String(format: "%02X", $0) }.joined())

        // Run 3: both forms on one page. That is one key twice in one pass, as if the gateway sent
        // the same bytes twice: the pass is not complete (the order may have shifted), and the
        // pages read are kept. Each record is decided against the one before it, and both updates
        // reach the row (before, the second was counted but the table never saw it).
        try page([(Self.decomposed, "丁"), (Self.composed, "戊"), ("K0002", "乙")]).write(to: pageFile, atomically: true, encoding: .utf8)
        db = try sync(failing: "1 records came back twice in one pass")
        #expect(try db.scalarInt("SELECT count(*) FROM shops") == 2)
        #expect(try db.scalarText("SELECT name FROM shops WHERE hex(_key) = ?", [.text(composedHex)]) == "戊")
        #expect(try ops(db, run: 3) == ["U \(composedHex)", "U \(composedHex)"])
        #expect(try db.scalarText("SELECT inserted || ' ' || updated || ' ' || unchanged || ' ' || deleted FROM _dataflow_run_datasets WHERE run_id = 3") == "0 2 1 0")
    }
}
