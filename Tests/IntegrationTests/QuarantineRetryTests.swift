import DataflowCore
import Foundation
import Testing

/// Every invalid record lands in the quarantine with the right reason, none is lost, and after a
/// mapping fix `sync --retry-rejects` moves the fixed ones into the table (rejects kept for audit).
@Suite("Quarantine: nothing lost, retry after a mapping fix")
struct QuarantineRetryTests {
    func count(_ db: SQLiteDatabase, _ sql: String, _ args: [CellValue] = []) throws -> Int {
        Int(try db.scalarInt(sql, args) ?? -1)
    }

    @Test func invalidRecordsAreQuarantinedAndFixedOnesMoveIntoTheTable() throws {
        let sandbox = try Sandbox(rows: 300, caseRows: 900)
        let project = try CountyProject(sandbox: sandbox)
        let first = try project.dataflow("sync")
        #expect(first.status == 0, "\(first.output)")
        let db = try project.database()

        // Count in = rows + rejects, for every dataset, and each invalid record for its one reason.
        let cases = try sandbox.truth("cases")
        #expect(cases.count == 900)
        #expect(try count(db, "SELECT count(*) FROM service_cases") + count(db, "SELECT count(*) FROM _dataflow_rejects WHERE dataset='service_cases' AND resolved_at IS NULL") == 900)
        #expect(try count(db, "SELECT count(*) FROM market_licenses") + count(db, "SELECT count(*) FROM _dataflow_rejects WHERE dataset='market_licenses'") == 300)
        let badIDs = cases.filter { r in
            guard let id = r["SQRZJHM"]?.text else { return false }
            return CitizenIDCheck.validate(id) != nil && r["CASE_ID"]?.text?.isEmpty == false
        }
        #expect(badIDs.count == 3)
        for record in badIDs {
            let st = try db.prepare("SELECT reasons, key FROM _dataflow_rejects WHERE dataset='service_cases' AND record = ?")
            try st.bind([.text(record.serialized())])
            #expect(try st.step(), "record \(record["CASE_ID"]?.text ?? "") is not in the quarantine")
            let reasons = try JSONParser.parse(Array((st.text(0) ?? "").utf8))
            guard case .array(let items) = reasons else { Issue.record("reasons are not a list"); continue }
            #expect(items.count == 1)
            #expect(items.first?["field"]?.text == "applicant_id")
            #expect(items.first?["rule"]?.text == "citizen-id")
            #expect(items.first?["value"]?.text == record["SQRZJHM"]?.text)
            #expect(st.text(1) == record["CASE_ID"]?.text)
        }

        // `dataflow rejects` in its three formats.
        let json = try project.dataflow("rejects", "service_cases", "--format", "json")
        #expect(json.status == 0, "\(json.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(json.stdout.utf8)) else { Issue.record("not a JSON list"); return }
        #expect(listed.count == 9)
        let rules = listed.compactMap { entry -> String? in
            if case .array(let rs)? = entry["reasons"] { return rs.first?["rule"]?.text }
            return nil
        }
        #expect(rules.sorted() == ["citizen-id", "citizen-id", "citizen-id", "key", "key", "key", "type:datetime", "type:datetime", "type:datetime"])
        #expect(listed.allSatisfy { $0["record"]?["SXBM"] != nil }, "the record is listed whole")
        let csv = try project.dataflow("rejects", "--format", "csv")
        #expect(csv.status == 0)
        let lines = csv.stdout.split(whereSeparator: \.isNewline)
        #expect(lines.first == "id,dataset,key,field,rule,value,message,first_seen,last_seen,resolved_at,resolved_run_id,record")
        #expect(lines.count == 1 + 9)
        let table = try project.dataflow("rejects")
        #expect(table.stdout.contains("9 rejects (9 open)"), "\(table.stdout)")
        #expect(try project.dataflow("rejects", "service_casez").status == 2)

        // The county decides to accept IDs that fail the check digit: relax the mapping, retry.
        let file = project.root.appendingPathComponent("Mappings/datasets/service_cases.yml")
        let text = try String(contentsOf: file, encoding: .utf8)
        let relaxed = text.replacingOccurrences(of: "check: citizen-id, legacy_id: upgrade, ", with: "")
        #expect(relaxed != text)
        try relaxed.write(to: file, atomically: true, encoding: .utf8)
        let retry = try project.dataflow("sync", "--retry-rejects", "service_cases")
        #expect(retry.status == 0, "\(retry.output)")
        #expect(retry.output.contains("retried 9 open rejects — 3 now load, 6 still rejected"), "\(retry.output)")
        let runID = try count(db, "SELECT max(run_id) FROM _dataflow_runs")
        // The replay is not a page: status counts the pages the run's own summary line does.
        let logged = try #require(retry.output.firstMatch(of: /service_cases: ok — .*, (\d+) pages in/)?.output.1, "\(retry.output)")
        #expect(try db.scalarInt("SELECT pages FROM _dataflow_run_datasets WHERE run_id = ?", [.integer(Int64(runID))]) == Int64(logged))

        #expect(try count(db, "SELECT count(*) FROM service_cases") == 894)
        #expect(try count(db, "SELECT count(*) FROM _dataflow_rejects WHERE dataset='service_cases'") == 9, "resolved rejects are kept")
        #expect(try count(db, "SELECT count(*) FROM _dataflow_rejects WHERE dataset='service_cases' AND resolved_at IS NULL") == 6)
        #expect(try count(db, "SELECT count(*) FROM _dataflow_rejects WHERE resolved_run_id = ? AND reasons LIKE '%citizen-id%'", [.integer(Int64(runID))]) == 3)
        for record in badIDs {
            let key = record["CASE_ID"]?.text ?? ""
            let st = try db.prepare("SELECT applicant_id FROM service_cases WHERE case_id = ?")
            try st.bind([.text(key)])
            #expect(try st.step())
            #expect(st.text(0) == record["SQRZJHM"]?.text)
            #expect(try count(db, "SELECT count(*) FROM _dataflow_changes WHERE key = ? AND op = 'I' AND run_id = ?", [.text(key), .integer(Int64(runID))]) == 1)
        }
        // Still count in = rows + open rejects, and the table equals the truth under the new mapping.
        #expect(try count(db, "SELECT count(*) FROM service_cases") + count(db, "SELECT count(*) FROM _dataflow_rejects WHERE dataset='service_cases' AND resolved_at IS NULL") == 900)
        try TruthComparison.expectEqual(project, dataset: "service_cases")

        let all = try project.dataflow("rejects", "service_cases", "--all", "--format", "json")
        guard case .array(let everything) = try JSONParser.parse(Array(all.stdout.utf8)) else { Issue.record("not a JSON list"); return }
        #expect(everything.count == 9)
        #expect(everything.filter { $0["resolved_at"] != .null }.count == 3)

        // A second retry changes nothing.
        let again = try project.dataflow("sync", "--retry-rejects", "service_cases")
        #expect(again.status == 0)
        #expect(again.output.contains("retried 6 open rejects — 0 now load, 6 still rejected"), "\(again.output)")
        #expect(try count(db, "SELECT count(*) FROM service_cases") == 894)
    }

    @Test func strictDatasetsRejectUnresolvedMatterCodes() throws {
        let sandbox = try Sandbox(rows: 500, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox) { file, text in
            file == "market_licenses.yml" ? text.replacingOccurrences(of: "matters: { field: SXBM }", with: "matters: { field: SXBM }\nstrict: true") : text
        }
        let result = try project.dataflow("sync", "market_licenses")
        #expect(result.status == 0, "\(result.output)")
        let db = try project.database()
        let unknown = try sandbox.truth("licenses").filter { $0["SXBM"]?.text == "000105999000" }.count
        #expect(unknown == 10, "2 % of 500")
        #expect(try count(db, "SELECT count(*) FROM _dataflow_rejects WHERE dataset='market_licenses' AND reasons LIKE '%\"rule\":\"matter\"%' AND reasons LIKE '%000105999000%'") == unknown)
        #expect(try count(db, "SELECT count(*) FROM market_licenses") == 500 - unknown)
        #expect(try count(db, "SELECT count(*) FROM market_licenses WHERE _matter IS NULL") == 0)
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
    }
}
