import DataflowCore
import Foundation
import Testing

/// `rejects`, `check` and `export` mask personal data by default with the real binary; every
/// clear view (`--reveal-pii`) is logged in `_dataflow_exports` with user, command, filter,
/// format and target, and a clear view that cannot be logged shows nothing.
@Suite("Clear views of personal data are masked by default and logged")
struct ClearViewTests {
    struct LogEntry {
        var user, command, dataset, target: String
        var masked: Int64
        var filter, format: String?
        var changesSince: Int64?
    }

    func log(_ db: SQLiteDatabase) throws -> [LogEntry] {
        let st = try db.prepare("SELECT \"user\", command, dataset, target, masked, filter, format, changes_since FROM _dataflow_exports ORDER BY id")
        var out: [LogEntry] = []
        while try st.step() {
            out.append(LogEntry(user: st.text(0) ?? "", command: st.text(1) ?? "", dataset: st.text(2) ?? "", target: st.text(3) ?? "",
                                masked: st.int(4), filter: st.text(5), format: st.text(6), changesSince: st.isNull(7) ? nil : st.int(7)))
        }
        return out
    }

    @Test func rejectsMaskIDsAndNamesUnlessRevealedAndTheClearViewIsLogged() throws {
        let sandbox = try Sandbox(rows: 20, caseRows: 300)
        let project = try CountyProject(sandbox: sandbox)
        let sync = try project.dataflow("sync")
        #expect(sync.status == 0, "\(sync.output)")
        // The records quarantined for a bad citizen ID carry a full ID and a name.
        let bad = try sandbox.truth("cases").filter { r in
            guard let id = r["SQRZJHM"]?.text else { return false }
            return CitizenIDCheck.validate(id) != nil && r["CASE_ID"]?.text?.isEmpty == false
        }
        try #require(!bad.isEmpty)
        let ids = bad.compactMap { $0["SQRZJHM"]?.text }
        let names = bad.compactMap { $0["SQRXM"]?.text }.filter { $0.count > 1 }
        try #require(!names.isEmpty)

        for format in ["table", "json", "csv"] {
            let masked = try project.dataflow("rejects", "service_cases", "--format", format)
            #expect(masked.status == 0, "\(masked.output)")
            for id in ids { #expect(!masked.stdout.contains(id), "\(format): clear ID \(id) shown") }
            for id in ids where format != "table" { #expect(masked.stdout.contains(String(id.prefix(6)) + "***********" + String(id.suffix(1))), "\(format): \(id) not masked as a citizen ID") }
            for name in names where format != "table" { #expect(!masked.stdout.contains(name), "\(format): clear name \(name) shown") }
        }
        let json = try project.dataflow("rejects", "service_cases", "--format", "json")
        guard case .array(let listed) = try JSONParser.parse(Array(json.stdout.utf8)) else { Issue.record("not a JSON list"); return }
        let idRejects = listed.filter { entry in
            if case .array(let reasons)? = entry["reasons"] { return reasons.first?["rule"]?.text == "citizen-id" }
            return false
        }
        #expect(idRejects.count == bad.count)
        for entry in idRejects {
            let name = entry["record"]?["SQRXM"]?.text ?? ""
            #expect(name.dropFirst().allSatisfy { $0 == "*" } && !name.isEmpty, "name \(name) not masked")
            #expect(entry["record"]?["CASE_ID"]?.text?.contains("*") == false, "non-personal members stay clear")
        }
        #expect(try log(project.database()).isEmpty, "masked views of rejects are not clear views")

        let clear = try project.dataflow("rejects", "service_cases", "--format", "json", "--reveal-pii", "--all")
        #expect(clear.status == 0, "\(clear.output)")
        for id in ids { #expect(clear.stdout.contains(id)) }
        let entries = try log(project.database())
        #expect(entries.count == 1)
        let entry = try #require(entries.first)
        #expect(entry.command == "rejects" && entry.dataset == "service_cases" && entry.masked == 0 && entry.target == "stdout")
        #expect(entry.format == "json" && entry.filter == #"["--all"]"# && !entry.user.isEmpty)

        // A clear view that cannot be logged does not happen.
        try project.database().exec("DROP TABLE _dataflow_exports")
        let refused = try project.dataflow("rejects", "service_cases", "--format", "json", "--reveal-pii")
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("cannot be logged"), "\(refused.output)")
        for id in ids { #expect(!refused.output.contains(id)) }
    }

    @Test func exportsAndChecksRecordCommandFilterFormatAndChangesSince() throws {
        let sandbox = try Sandbox(rows: 40, caseRows: 40)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync").status == 0)

        let clearExport = try project.dataflow("export", "service_cases", "--reveal-pii", "--where", "status=办结", "--changes-since", "0",
                                               "--encoding", "gb18030", "-o", project.root.appendingPathComponent("clear.csv").path)
        #expect(clearExport.status == 0, "\(clearExport.output)")
        // A masked export may not look for a person (that would say whether they are in the table);
        // it filters on what is not personal, and is logged with that filter.
        let lookingForAPerson = try project.dataflow("export", "market_licenses", "--format", "ndjson", "--where", "legal_rep=张三丰")
        #expect(lookingForAPerson.status == 2 && lookingForAPerson.stderr.contains("--reveal-pii"), "\(lookingForAPerson.output)")
        let maskedExport = try project.dataflow("export", "market_licenses", "--format", "ndjson", "--where", "division=330782")
        #expect(maskedExport.status == 0)
        let check = try project.dataflow("check", "service_cases", "--reveal-pii", "--records", "2", "--format", "json")
        #expect(check.status == 0, "\(check.output)")
        let maskedCheck = try project.dataflow("check", "service_cases", "--records", "2")
        #expect(maskedCheck.status == 0)

        let entries = try log(project.database())
        #expect(entries.map(\.command) == ["export", "export", "check"], "a masked check is not logged")
        #expect(entries[0].dataset == "service_cases" && entries[0].masked == 0 && entries[0].target.hasSuffix("clear.csv"))
        #expect(entries[0].filter == #"["status=办结"]"# && entries[0].format == "csv gb18030" && entries[0].changesSince == 0)
        #expect(entries[1].dataset == "market_licenses" && entries[1].masked == 1 && entries[1].format == "ndjson" && entries[1].changesSince == nil)
        #expect(entries[1].filter == #"["division=330782"]"#, "\(entries[1].filter ?? "nil")")
        #expect(entries[2].dataset == "service_cases" && entries[2].masked == 0 && entries[2].filter == #"["target=service_cases"]"# && entries[2].format == "json")
        #expect(entries.allSatisfy { !$0.user.isEmpty })

        // The masked check shows no applicant ID in clear; the clear one does.
        let truthIDs = try sandbox.truth("cases").compactMap { $0["SQRZJHM"]?.text }.filter { $0.count == 18 }
        #expect(truthIDs.contains { check.stdout.contains($0) })
        #expect(!truthIDs.contains { maskedCheck.stdout.contains($0) })
    }
}
