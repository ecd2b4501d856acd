import DataflowCore
import Foundation
import Testing

@Suite("Sync against the sandbox equals the truth")
struct SyncTruthTests {
    @Test func fullSyncEqualsTruthWithRejectsQuarantined() throws {
        let sandbox = try Sandbox(rows: 1200, caseRows: 1500)
        let project = try CountyProject(sandbox: sandbox)
        let result = try project.dataflow("sync")
        #expect(result.status == 0, "\(result.output)")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
        try TruthComparison.expectEqual(project, dataset: "service_cases")

        // Exactly 1 % of the base cases are invalid, one reason each, and they are all quarantined.
        let db = try project.database()
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset='service_cases'") == 15)
        #expect(try db.scalarInt("SELECT count(*) FROM service_cases") == 1485)
        for rule in ["citizen-id", "key", "type:datetime"] {
            #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset='service_cases' AND reasons LIKE ?", [.text("%\"rule\":\"\(rule)\"%")]) == 5, "\(rule)")
        }

        // Values as a county engineer reads them, checked against the raw truth by hand.
        let raw = try sandbox.truth("licenses")
        let first = try #require(raw.first(where: { $0["QYMC"]?.text?.hasPrefix(" ") == true }))
        let st = try db.prepare("SELECT name, capital, established, updated_at, _matter_code FROM market_licenses WHERE uscc = ?")
        try st.bind([.text(first["TYSHXYDM"]?.text ?? "")])
        #expect(try st.step())
        #expect(st.text(0) == first["QYMC"]?.text?.trimmingCharacters(in: .whitespaces))
        #expect(st.text(1) == first["ZCZB"]?.text)
        let clrq = first["CLRQ"]?.text ?? ""
        #expect(st.text(2) == "\(clrq.prefix(4))-\(clrq.dropFirst(4).prefix(2))-\(clrq.suffix(2))")
        #expect(st.text(3)?.hasSuffix("+08:00") == true)
        #expect(st.text(4) == first["SXBM"]?.text)

        // Every row of the first run is an insert in the change feed, once.
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE dataset='market_licenses' AND op='I'") == 1200)
        #expect(try db.scalarInt("SELECT count(DISTINCT key) FROM _dataflow_changes") == 1200 + 1485)
    }

    @Test func incrementalSyncAppliesExactlyTheUpstreamChanges() throws {
        let sandbox = try Sandbox(rows: 1500, caseRows: 600)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)
        let db = try project.database()
        let seqBefore = try db.scalarInt("SELECT max(seq) FROM _dataflow_changes") ?? 0

        try sandbox.advanceClock(seconds: 3600)
        let m = try sandbox.mutate("licenses", update: 40, insert: 25, delete: 12)
        #expect(m.updated.count == 40 && m.inserted.count == 25 && m.deleted.count == 12)
        let result = try project.dataflow("sync", "market_licenses")
        #expect(result.status == 0, "\(result.output)")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")

        var expectedOps: [String: String] = [:]
        for k in m.updated { expectedOps[k] = "U" }
        for k in m.inserted { expectedOps[k] = "I" }
        for k in m.deleted { expectedOps[k] = "D" }
        var ops: [String: String] = [:]
        var changeRows = 0
        let st = try db.prepare("SELECT key, op FROM _dataflow_changes WHERE seq > ?")
        try st.bind([.integer(seqBefore)])
        while try st.step() { ops[st.text(0) ?? ""] = st.text(1); changeRows += 1 }
        #expect(changeRows == expectedOps.count, "one change row per changed key")
        #expect(ops == expectedOps)
        #expect(try db.scalarInt("SELECT count(*) FROM market_licenses WHERE _deleted = 1") == Int64(m.deleted.count))

        // Nothing changed upstream: the next run writes no data and no change rows.
        let seqAfter = try db.scalarInt("SELECT max(seq) FROM _dataflow_changes")
        let rowsChanged = try db.scalarInt("SELECT total_changes()")
        _ = rowsChanged
        let again = try project.dataflow("sync", "--log-format", "json")
        #expect(again.status == 0)
        #expect(try db.scalarInt("SELECT max(seq) FROM _dataflow_changes") == seqAfter)
        let last = try db.prepare("SELECT inserted, updated, deleted, rejected, unchanged FROM _dataflow_run_datasets WHERE run_id = (SELECT max(run_id) FROM _dataflow_runs) AND dataset = 'market_licenses'")
        #expect(try last.step())
        #expect([last.int(0), last.int(1), last.int(2), last.int(3)] == [0, 0, 0, 0])
        #expect(last.int(4) > 0, "the lookback window re-reads records and finds them unchanged")
        #expect(again.stderr.contains("\"event\":\"run_end\""))
    }

    @Test func exportIsReadBackByPythonsCSVModule() throws {
        let sandbox = try Sandbox(rows: 300, caseRows: 300)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)
        for encoding in ["utf8", "utf8-bom", "gb18030"] {
            let file = project.root.appendingPathComponent("cases-\(encoding).csv").path
            let result = try project.dataflow("export", "service_cases", "-o", file, "--encoding", encoding, "--reveal-pii")
            #expect(result.status == 0, "\(result.output)")
            let pyEncoding = ["utf8": "utf-8", "utf8-bom": "utf-8-sig", "gb18030": "gb18030"][encoding]!
            let script = """
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='\(pyEncoding)') as f:
                rows = list(csv.reader(f))
            print(json.dumps(rows, ensure_ascii=False))
            """
            let py = try Command.run("/usr/bin/env", ["python3", "-c", script, file], in: project.root)
            #expect(py.status == 0, "\(py.stderr)")
            let parsed = try JSONParser.parse(Array(py.stdout.utf8))
            guard case .array(let rows) = parsed else { Issue.record("not rows"); continue }
            let db = try project.database()
            let st = try db.prepare("SELECT case_id, applicant, applicant_id, accepted_at, finished_on, status, updated_at, _matter FROM service_cases WHERE _deleted = 0 ORDER BY rowid")
            var expected: [JSONValue] = [.array(["case_id", "applicant", "applicant_id", "accepted_at", "finished_on", "status", "updated_at", "_matter"].map(JSONValue.string))]
            while try st.step() { expected.append(.array((0..<8).map { JSONValue.string(st.text($0) ?? "") })) }
            #expect(rows.count == expected.count)
            #expect(rows == expected, "\(encoding) read back differs")
        }
        // Masked by default: the citizen ID keeps only its first 6 and last 4 characters.
        let masked = try project.dataflow("export", "service_cases", "--columns", "applicant_id")
        let line = masked.stdout.split(separator: "\r\n").dropFirst().first.map(String.init) ?? ""
        #expect(line.count == 18 && line.dropFirst(6).prefix(8) == "********", "\(line)")
        #expect(try project.database().scalarInt("SELECT count(*) FROM _dataflow_exports WHERE masked = 1") == 1)
    }

    @Test func catalogReportsCoverageGapsAndUnresolvedCodes() throws {
        let sandbox = try Sandbox(rows: 400, caseRows: 400)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)
        let result = try project.dataflow("catalog", "--format", "json")
        #expect(result.status == 0, "\(result.output)")
        let report = try JSONParser.parse(Array(result.stdout.utf8))
        // The example county lists 56 matters (18 of the original six departments, which the sandbox
        // serves, and 38 of ten further departments, which it does not).
        let dictionaries = try project.config().dictionaries
        #expect(dictionaries.matters.count == 56)
        #expect(report.value(at: ["matters", "total"]) == .number("56"))
        // The sandbox's data touches 15 of the 18 matters it serves; everything else is the gap list.
        #expect(report.value(at: ["matters", "covered"]) == .number("15"))
        guard case .array(let gaps)? = report["gaps"] else { Issue.record("no gaps"); return }
        let gapCodes = Set(gaps.compactMap { $0["code"]?.text })
        let sandboxDepartments: Set<String> = ["市场监管局", "公安局", "人力社保局", "民政局", "卫生健康局", "住建局"]
        let unserved = Set(dictionaries.matters.filter { !sandboxDepartments.contains($0.department) }.map(\.code))
        #expect(unserved.count == 38)
        #expect(gapCodes == unserved.union(["000205001000", "000605001000", "000914001000"]))
        guard case .array(let datasets)? = report["datasets"] else { Issue.record("no datasets"); return }
        let licences = try #require(datasets.first { $0["dataset"]?.text == "market_licenses" })
        #expect(licences["freshness"]?.text == "fresh")
        #expect(licences["rows"] == .number("400"))
        #expect(licences["unresolvedMatterCodes"] == .array([.string("000105999000")]))

        // 15 of 56 matters covered: 26.8 %.
        #expect(try project.dataflow("catalog", "--fail-under", "30").status == 4)
        #expect(try project.dataflow("catalog", "--fail-under", "25").status == 0)
        let status = try project.dataflow("status", "--format", "json")
        #expect(status.status == 0)
        #expect(try JSONParser.parse(Array(status.stdout.utf8)).value(at: ["runs"]) != nil)
    }
}
