import DataflowCore
import Foundation
import Testing

/// A UTF-8 CSV download that gains one stray Latin-1 byte fails the dataset with the byte's
/// offset and line, instead of being read as GB18030 (which rewrote every row into mojibake and
/// filled the change feed with false updates); a GB18030 download beside it still loads. Served
/// by Python's http.server on an ephemeral loopback port.
@Suite("A stray byte in a UTF-8 CSV download")
struct CSVEncodingCommandTests {

    @Test func failsTheDatasetAndLeavesItsTableAndChangeFeedAlone() throws {
        let rows = (1...20).map { "K\(String(format: "%03d", $0)),张三,义乌\n" }.joined()
        let gateway = try StaticGateway(files: ["items.csv": "id,name,city\n" + rows])
        // Python's gb18030 codec: 营业执照 is D3AA D2B5 D6B4 D5D5 (a stretch that also reads as
        // UTF-8), 𠮷田春 is 9534B235 CCEF B4BA.
        let gb: [UInt8] = Array("id,name\nG001,".utf8) + [0xD3, 0xAA, 0xD2, 0xB5, 0xD6, 0xB4, 0xD5, 0xD5]
            + Array("\nG002,".utf8) + [0x95, 0x34, 0xB2, 0x35, 0xCC, 0xEF, 0xB4, 0xBA, 0x0A]
        try Data(gb).write(to: gateway.dir.appendingPathComponent("www/gb.csv"))
        let root = try StaticGateway.county(at: gateway, datasets: [("items", "{ path: /items.csv, format: csv, pagination: { type: none } }"),
                                                                           ("licences", "{ path: /gb.csv, format: csv, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }

        let first = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(first.status == 0, "\(first.output)")
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        func column(_ sql: String) throws -> [String] {
            let statement = try db.prepare(sql)
            var values: [String] = []
            while try statement.step() { values.append(statement.text(0) ?? "") }
            return values
        }
        func table(_ name: String) throws -> [String] { try column("SELECT id || ' ' || name FROM \(name) ORDER BY id") }
        func changes() throws -> [String] { try column("SELECT dataset || ' ' || key || ' ' || op FROM _dataflow_changes ORDER BY seq") }
        let items = try table("items")
        #expect(items.count == 20 && items.allSatisfy { $0.hasSuffix(" 张三") }, "\(items)")
        #expect(try table("licences") == ["G001 营业执照", "G002 𠮷田春"])
        let feed = try changes()
        #expect(feed.count == 22)

        // The gateway adds K999 with its é as the one Latin-1 byte 0xE9.
        let before = Array(("id,name,city\n" + rows + "K999,Caf").utf8)
        try Data(before + [0xE9] + Array("s,x\n".utf8)).write(to: gateway.dir.appendingPathComponent("www/items.csv"))
        let second = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(second.status != 0, "\(second.output)")
        #expect(second.output.contains("not UTF-8 at byte \(before.count) (line 22, byte 0xE9)"), "\(second.output)")
        #expect(second.output.contains("`encoding: gb18030`"), "\(second.output)")
        #expect(try table("items") == items)
        #expect(try table("licences") == ["G001 营业执照", "G002 𠮷田春"])
        #expect(try changes() == feed)
    }
}
