import DataflowCore
import Foundation
import Testing

/// A gateway page whose record names a member twice (`{"id":"K0002","id":"K9999"}`): the others
/// sync, that one is quarantined with a machine-readable reason naming the member. The page is
/// served by Python's http.server on an ephemeral loopback port.
@Suite("Duplicate members in a JSON record or a CSV header are quarantined")
struct DuplicateMemberTests {
    @Test func theRecordWithADuplicateMemberIsQuarantinedAndTheOthersSync() throws {
        let page = #"{"list":[{"id":"K0001","name":"义乌甲"},{"id":"K0002","name":"义乌乙","id":"K9999"},{"id":"K0003","name":"义乌丙","extra":1,"extra":2}]}"#
        let gateway = try StaticGateway(files: ["page.json": page])
        let root = try StaticGateway.county(at: gateway, datasets: [("shops", "{ path: /page.json, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(sync.status == 0, "\(sync.output)")
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        let keys = try db.prepare("SELECT id FROM shops ORDER BY id")
        var loaded: [String] = []
        while try keys.step() { loaded.append(keys.text(0) ?? "") }
        // K0003's duplicate is a member the mapping does not read: nothing is ambiguous, it loads.
        #expect(loaded == ["K0001", "K0003"])

        let rejects = try Command.run(Binaries.dataflow, ["rejects", "shops", "--format", "json", "--project", root.path], in: root)
        #expect(rejects.status == 0, "\(rejects.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(rejects.stdout.utf8)) else { Issue.record("not a JSON list: \(rejects.stdout)"); return }
        #expect(listed.count == 1)
        guard case .array(let reasons)? = listed.first?["reasons"] else { Issue.record("no reasons"); return }
        #expect(reasons.count == 1)
        #expect(reasons.first?["rule"]?.text == "duplicate-member")
        #expect(reasons.first?["field"]?.text == "id")
        // The record is kept whole, both members in the order sent.
        #expect(try db.scalarText("SELECT record FROM _dataflow_rejects WHERE dataset = 'shops'", []) == #"{"id":"K0002","name":"义乌乙","id":"K9999"}"#)
    }

    /// A CSV download whose header names a column twice: the mapping reads `id`, so no record can
    /// say which `id` it means, and every record is quarantined with the reason (before, the
    /// first column won silently). A header that repeats a column the mapping does not read loads.
    @Test func aCSVHeaderThatRepeatsAColumnTheMappingReadsQuarantinesItsRecords() throws {
        let gateway = try StaticGateway(files: ["twice.csv": "id,name,id\nK0001,义乌甲,K9001\nK0002,义乌乙,K9002\n",
                                                "extra.csv": "id,name,extra,extra\nK0003,义乌丙,1,2\n"])
        let root = try StaticGateway.county(at: gateway, datasets: [("twice", "{ path: /twice.csv, format: csv, pagination: { type: none } }"),
                                                           ("extra", "{ path: /extra.csv, format: csv, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(sync.status == 0, "\(sync.output)")
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        #expect(try db.scalarInt("SELECT count(*) FROM twice", []) == 0)
        #expect(try db.scalarText("SELECT id || ' ' || name FROM extra", []) == "K0003 义乌丙")

        let rejects = try Command.run(Binaries.dataflow, ["rejects", "twice", "--format", "json", "--project", root.path], in: root)
        #expect(rejects.status == 0, "\(rejects.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(rejects.stdout.utf8)) else { Issue.record("not a JSON list: \(rejects.stdout)"); return }
        #expect(listed.count == 2)
        for reject in listed {
            guard case .array(let reasons)? = reject["reasons"] else { Issue.record("no reasons"); continue }
            #expect(reasons.map { $0["rule"]?.text } == ["duplicate-member"])
            #expect(reasons.first?["field"]?.text == "id")
        }
    }
}
