import DataflowCore
import Foundation
import Testing

/// `dataflow export`: NDJSON read back by Python's json, filters as bound parameters, the change
/// feed, and the export log.
@Suite("Export: NDJSON, filters, change feed, export log")
struct ExportTests {
    static let caseColumns = ["case_id", "applicant", "applicant_id", "accepted_at", "finished_on", "status", "updated_at", "_matter"]

    /// Runs a Python script that reads NDJSON with `json.loads`, one line at a time, and prints the list.
    static func readNDJSON(_ file: String, in dir: URL) throws -> [JSONValue] {
        let script = """
        import json, sys
        with open(sys.argv[1], encoding='utf-8') as f:
            rows = [json.loads(line) for line in f]
        assert all(isinstance(r, dict) for r in rows)
        print(json.dumps(rows, ensure_ascii=False))
        """
        let py = try Command.run("/usr/bin/env", ["python3", "-c", script, file], in: dir)
        guard py.status == 0, case .array(let rows) = try JSONParser.parse(Array(py.stdout.utf8)) else {
            Issue.record("python could not read \(file): \(py.stderr)")
            return []
        }
        return rows
    }

    @Test func ndjsonIsReadBackByPythonsJSONModuleAndFiltersBindValues() throws {
        let sandbox = try Sandbox(rows: 200, caseRows: 300)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)
        let db = try project.database()

        let file = project.root.appendingPathComponent("cases.ndjson").path
        let result = try project.dataflow("export", "service_cases", "--format", "ndjson", "--reveal-pii", "-o", file)
        #expect(result.status == 0, "\(result.output)")
        let rows = try Self.readNDJSON(file, in: project.root)
        let st = try db.prepare("SELECT \(Self.caseColumns.joined(separator: ", ")) FROM service_cases WHERE _deleted = 0 ORDER BY rowid")
        var expected: [JSONValue] = []
        while try st.step() {
            expected.append(.object(JSONObject(Self.caseColumns.enumerated().map { i, c in (c, st.isNull(i) ? .null : .string(st.text(i) ?? "")) })))
        }
        #expect(rows.count == expected.count && rows.count > 100)
        #expect(rows == expected, "NDJSON read back differs from the table")

        // Typed values: integers are numbers, bools true/false; pii masked by default.
        let licences = try project.dataflow("export", "market_licenses", "--format", "ndjson", "--columns", "uscc,legal_rep,_deleted,_run_id")
        let first = try JSONParser.parse(Array((licences.stdout.split(separator: "\n").first.map(String.init) ?? "").utf8))
        #expect(first["_deleted"] == .bool(false))
        if case .number = first["_run_id"] {} else { Issue.record("_run_id is not a number: \(String(describing: first["_run_id"]))") }
        #expect(first["legal_rep"]?.text?.contains("*") == true, "legal_rep not masked")

        // --where: one value, several values of one column (any), two columns (all).
        let statuses = try distinct(db, "SELECT DISTINCT status FROM service_cases WHERE _deleted = 0 AND status IS NOT NULL ORDER BY status")
        try #require(statuses.count >= 2)
        func count(_ args: String...) throws -> Int {
            let r = try project.dataflow(["export", "service_cases", "--format", "ndjson"] + args)
            #expect(r.status == 0, "\(r.output)")
            return r.stdout.split(separator: "\n").count
        }
        func dbCount(_ sql: String, _ values: [CellValue]) throws -> Int { Int(try db.scalarInt(sql, values) ?? -1) }
        let one = try dbCount("SELECT count(*) FROM service_cases WHERE _deleted = 0 AND status = ?", [.text(statuses[0])])
        #expect(try count("--where", "status=\(statuses[0])") == one && one > 0)
        let two = try dbCount("SELECT count(*) FROM service_cases WHERE _deleted = 0 AND status IN (?, ?)", [.text(statuses[0]), .text(statuses[1])])
        #expect(try count("--where", "status=\(statuses[0])", "--where", "status=\(statuses[1])") == two && two > one)
        let matter = try #require(try db.scalarText("SELECT _matter FROM service_cases WHERE status = ? AND _matter IS NOT NULL LIMIT 1", [.text(statuses[0])]))
        let both = try dbCount("SELECT count(*) FROM service_cases WHERE _deleted = 0 AND status = ? AND _matter = ?", [.text(statuses[0]), .text(matter)])
        #expect(try count("--where", "status=\(statuses[0])", "--where", "_matter=\(matter)") == both && both > 0)
        // A value is data, never SQL.
        #expect(try count("--where", "status=x' OR '1'='1") == 0)
        #expect(try count("--where", "status=") == 0)

        let unknown = try project.dataflow("export", "service_cases", "--where", "statu=办结")
        #expect(unknown.status == 2 && unknown.stderr.contains("unknown column 'statu'") && unknown.stderr.contains("status"), "\(unknown.stderr)")
        let malformed = try project.dataflow("export", "service_cases", "--where", "status")
        #expect(malformed.status == 2 && malformed.stderr.contains("expected COLUMN=VALUE"), "\(malformed.stderr)")
        let injected = try project.dataflow("export", "service_cases", "--where", "status\" = status OR \"x=1")
        #expect(injected.status == 2 && injected.stderr.contains("unknown column"), "\(injected.stderr)")
        let badEncoding = try project.dataflow("export", "service_cases", "--format", "ndjson", "--encoding", "gb18030")
        #expect(badEncoding.status == 2 && badEncoding.stderr.contains("CSV only"))
        #expect(try db.scalarInt("SELECT count(*) FROM service_cases") == Int64(expected.count) + (try db.scalarInt("SELECT count(*) FROM service_cases WHERE _deleted = 1") ?? 0))
    }

    @Test func changeFeedStreamsEachChangeWithTheRowAsOfNow() throws {
        let sandbox = try Sandbox(rows: 300, caseRows: 100)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)
        let db = try project.database()
        let firstSeq = try db.scalarInt("SELECT max(seq) FROM _dataflow_changes WHERE dataset = 'market_licenses'") ?? 0
        try sandbox.advanceClock(seconds: 3600)
        let m = try sandbox.mutate("licenses", update: 10, insert: 5, delete: 4)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)

        // Everything since 0: one line per change row, in seq order, joined to the current row.
        let all = try project.dataflow("export", "market_licenses", "--changes-since", "0", "--format", "ndjson")
        #expect(all.status == 0, "\(all.output)")
        let total = Int(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'market_licenses'") ?? 0)
        let lines = all.stdout.split(separator: "\n").map { try? JSONParser.parse(Array($0.utf8)) }
        #expect(lines.count == total && total == 300 + 5 + 10 + 4)
        let seqs = lines.compactMap { $0?["_seq"]?.text.flatMap { Int64($0) } }
        #expect(seqs == seqs.sorted() && Set(seqs).count == seqs.count)
        #expect(all.stderr.contains("last change seq: \(seqs.last ?? -1)"))

        // Since the first run: exactly the mutation, with the row as it is now.
        let recent = try project.dataflow("export", "market_licenses", "--changes-since", String(firstSeq), "--format", "ndjson", "--reveal-pii")
        let changes = recent.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) }
        var ops: [String: String] = [:]
        for c in changes { ops[c["_key"]?.text ?? ""] = c["_op"]?.text }
        var expected: [String: String] = [:]
        for k in m.updated { expected[k] = "U" }
        for k in m.inserted { expected[k] = "I" }
        for k in m.deleted { expected[k] = "D" }
        #expect(ops == expected)
        for c in changes {
            let key = c["_key"]?.text ?? ""
            let now = try db.prepare("SELECT name, legal_rep, _deleted FROM market_licenses WHERE _key = ?")
            try now.bind([.text(key)])
            #expect(try now.step())
            #expect(c["name"] == (now.isNull(0) ? .null : .string(now.text(0) ?? "")))
            #expect(c["legal_rep"] == (now.isNull(1) ? .null : .string(now.text(1) ?? "")))
            #expect(c["_deleted"] == .bool(now.int(2) != 0))
            #expect(c["_deleted"] == .bool(c["_op"]?.text == "D"))
        }

        // CSV change feed, with masking and a filter on the row.
        let csv = try project.dataflow("export", "market_licenses", "--changes-since", String(firstSeq), "--where", "_deleted=1")
        let csvLines = csv.stdout.split(separator: "\r\n").map(String.init)
        #expect(csvLines.first?.hasPrefix("_seq,_op,_key,_changed_at,_change_run_id,uscc,name,legal_rep,") == true, "\(csvLines.first ?? "")")
        #expect(csvLines.count == 1 + m.deleted.count)
        #expect(csvLines.dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[1] == "D" })
        // Nothing after the last seq: an empty feed, and the same seq to continue from.
        let none = try project.dataflow("export", "market_licenses", "--changes-since", String(seqs.last ?? 0), "--format", "ndjson")
        #expect(none.status == 0 && none.stdout.isEmpty && none.stderr.contains("next: --changes-since \(seqs.last ?? -1)"))
        #expect(try project.dataflow("export", "market_licenses", "--changes-since", "-1").status == 2)

        // Every export is in the log: who, what, how many, which columns, masked or not.
        let log = try db.prepare("SELECT user, dataset, rows, columns, masked, target FROM _dataflow_exports ORDER BY id")
        var entries: [(String, String, Int64, String, Int64, String)] = []
        while try log.step() {
            entries.append((log.text(0) ?? "", log.text(1) ?? "", log.int(2), log.text(3) ?? "", log.int(4), log.text(5) ?? ""))
        }
        #expect(entries.count == 4)
        #expect(entries.allSatisfy { !$0.0.isEmpty && $0.1 == "market_licenses" && $0.5 == "stdout" })
        #expect(entries.map(\.2) == [Int64(total), Int64(changes.count), Int64(m.deleted.count), 0])
        #expect(entries.map(\.4) == [1, 0, 1, 1], "masked unless --reveal-pii")
        #expect(entries[0].3.hasPrefix("_seq,_op,_key,_changed_at,_change_run_id,uscc,"))
    }

    @Test func jsonColumnsNestInNDJSONAndStayTextInCSV() throws {
        let fixed = try FixedWarehouse()
        func export(_ args: String...) throws -> CommandResult {
            try Command.run(Binaries.dataflow, ["export", "job_centres"] + args + ["--project", fixed.root.path], in: fixed.root)
        }
        let nd = try export("--format", "ndjson")
        #expect(nd.status == 0, "\(nd.output)")
        let rows = nd.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) }
        #expect(rows.count == 3)
        #expect(rows.first?.value(at: ["services", "desk"]) == .number("2"))
        #expect(rows.first?.value(at: ["services", "days"]) == .array([.string("一"), .string("三")]))
        #expect(rows.dropFirst().first?["services"] == .null)
        #expect(rows.last?["services"] == .string("not json"), "a stored value that is not JSON stays a string")
        let csv = try export()
        #expect(csv.stdout.contains("JC001,稠城街道零工市场,\"{\"\"days\"\":[\"\"一\"\",\"\"三\"\"],\"\"desk\"\":2}\",001105001000\r\n"), "\(csv.stdout)")
    }

    private func distinct(_ db: SQLiteDatabase, _ sql: String) throws -> [String] {
        let st = try db.prepare(sql)
        var out: [String] = []
        while try st.step() { if let t = st.text(0) { out.append(t) } }
        return out
    }
}

extension CountyProject {
    /// Runs `dataflow ARGS --project ROOT` with an argument array.
    func dataflow(_ arguments: [String]) throws -> CommandResult {
        try Command.run(Binaries.dataflow, arguments + ["--project", root.path], environment: environment, in: root)
    }
}
