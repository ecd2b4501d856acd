import DataflowCore
import Foundation
import Testing

/// A dataset's `key:` changed after its rows were stored. Before, the next sync stored every
/// record a second time under its new key beside the old row, and the old `_key` values — clear
/// citizen IDs when the old key was `applicant_id` — were exported unmasked, because masking
/// follows the mapping's key of now. The sync now refuses that dataset, names both keys and the
/// way out; `sync --rekey DATASET` loads it afresh under the new key (docs/sync.md, "Changing a key").
@Suite("A changed key is refused, or the dataset loaded afresh with --rekey")
struct KeyChangeTests {
    @Test(arguments: Backend.allCases)
    func aChangedKeyIsRefusedAndRekeyReplacesTheRowsWithAnExactFeed(_ backend: Backend) throws {
        let sandbox = try Sandbox(rows: 30, caseRows: 120)
        let project = try CountyProject(sandbox: sandbox, backend: backend)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let reader = try project.reader()
        func count(_ sql: String) throws -> Int64 { try reader.scalarInt(sql, []) ?? -1 }
        let live = try count("SELECT count(*) FROM service_cases WHERE _deleted = 0")
        let rows = try count("SELECT count(*) FROM service_cases")
        let seq = try count("SELECT max(seq) FROM _dataflow_changes")
        #expect(live > 100)

        let file = project.root.appendingPathComponent("Mappings/datasets/service_cases.yml")
        let mapping = try String(contentsOf: file, encoding: .utf8)
        try mapping.replacingOccurrences(of: "key: [case_id]", with: "key: [applicant_id]").write(to: file, atomically: true, encoding: .utf8)
        let refused = try project.dataflow("sync")
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.output.contains("service_cases: its key is now applicant_id (from SQRZJHM), but its \(rows) rows were stored under case_id (from CASE_ID)"),
                "\(refused.output)")
        #expect(refused.output.contains("dataflow sync --rekey service_cases"))
        #expect(refused.output.contains("market_licenses: ok"), "the other datasets still sync: \(refused.output)")
        #expect(try count("SELECT count(*) FROM service_cases") == rows, "nothing stored twice")
        #expect(try count("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'service_cases' AND seq > \(seq)") == 0)

        // A dataset to reload must be one the run syncs: otherwise it would be left as it is without a word.
        let elsewhere = try project.dataflow("sync", "market_licenses", "--rekey", "service_cases")
        #expect(elsewhere.status == 2 && elsewhere.stderr.contains("--rekey service_cases names a dataset this run does not sync"), "\(elsewhere.output)")
        let rekeyed = try project.dataflow("sync", "--rekey", "service_cases")
        #expect(rekeyed.status == 0, "\(rekeyed.output)")
        try TruthComparison.expectEqual(project, dataset: "service_cases")
        #expect(try count("SELECT count(*) FROM service_cases WHERE _key LIKE 'YW%'") == 0, "no row left under the old key")
        // The feed: a D for every old live key, an I for every new one, nothing else.
        let newLive = try count("SELECT count(*) FROM service_cases WHERE _deleted = 0")
        #expect(try count("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'service_cases' AND seq > \(seq) AND op = 'D'") == live)
        #expect(try count("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'service_cases' AND seq > \(seq) AND op = 'I'") == newLive)
        #expect(try count("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'service_cases' AND seq > \(seq) AND op = 'U'") == 0)
        #expect(try count("SELECT rows FROM _dataflow_state WHERE dataset = 'service_cases'") == newLive)
        // The new key is personal data: a masked export shows no clear ID in _key.
        let export = try project.dataflow("export", "service_cases", "--columns", "_key")
        #expect(export.status == 0 && !export.stdout.contains(#/\d{17}[\dX]/#), "\(export.stdout.prefix(300))")

        // From now on the new key is the rows' key: a plain sync goes on as usual.
        let next = try project.dataflow("sync")
        #expect(next.status == 0, "\(next.output)")
        try TruthComparison.expectEqual(project, dataset: "service_cases")
    }

    /// A warehouse from before keys were kept has no record of them: the key of now is taken as
    /// the rows' key, with no refusal.
    @Test func aWarehouseWithoutARecordedKeyTakesTheMappingsKey() throws {
        let sandbox = try Sandbox(rows: 30, caseRows: 20)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let db = try project.database()
        #expect(try db.scalarText("SELECT value FROM _dataflow_meta WHERE name = 'key:market_licenses'", []) == "uscc<-TYSHXYDM")
        try db.exec("DELETE FROM _dataflow_meta WHERE name LIKE 'key:%'")
        let again = try project.dataflow("sync")
        #expect(again.status == 0, "\(again.output)")
        #expect(try db.scalarText("SELECT value FROM _dataflow_meta WHERE name = 'key:service_cases'", []) == "case_id<-CASE_ID")

        // The key changed with the upgrade (no key recorded yet): a stored row's _key is not what its
        // key columns make under the new key, so the change is refused all the same.
        try db.exec("DELETE FROM _dataflow_meta WHERE name LIKE 'key:%'")
        let file = project.root.appendingPathComponent("Mappings/datasets/service_cases.yml")
        let mapping = try String(contentsOf: file, encoding: .utf8)
        try mapping.replacingOccurrences(of: "key: [case_id]", with: "key: [case_id, status]").write(to: file, atomically: true, encoding: .utf8)
        let changed = try project.dataflow("sync")
        #expect(changed.status == 1 && changed.output.contains("were stored under another key (not recorded"), "\(changed.output)")
        #expect(changed.output.contains("market_licenses: ok"))
    }

    /// A --rekey whose walk finds no record (the gateway holds nothing now, or says so by mistake)
    /// forgot every row with a D each and exited 0; it now keeps them unless --allow-mass-delete.
    @Test func aRekeyThatFindsNothingKeepsTheRowsUnlessAllowed() throws {
        let sandbox = try Sandbox(rows: 20, caseRows: 40)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let db = try project.database()
        let live = try db.scalarInt("SELECT count(*) FROM service_cases WHERE _deleted = 0", []) ?? 0
        #expect(live > 30)
        try sandbox.control("POST", "/_control/mutate?dataset=cases&purge=40")
        let refused = try project.dataflow("sync", "service_cases", "--rekey", "service_cases")
        #expect(refused.status == 1 && refused.output.contains("the gateway answered no records, so --rekey kept its \(live) live rows"), "\(refused.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM service_cases WHERE _deleted = 0", []) == live)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'", []) == 0)
        let allowed = try project.dataflow("sync", "service_cases", "--rekey", "service_cases", "--allow-mass-delete", "service_cases")
        #expect(allowed.status == 0, "\(allowed.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM service_cases", []) == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'", []) == live)
    }

    /// Found by a hunt: a `--rekey` emptied the table before the gateway answered (a wrong secret
    /// left it empty, the new key recorded); after a rekey away from a personal key the change feed
    /// and the quarantine still showed the old keys — clear citizen IDs — in masked views; and a
    /// snapshot rekeyed to a key some records lack failed its own pass on the count of keyless
    /// records of the pass under the old key.
    @Test func aRekeyWaitsForTheGatewayAndFormerPersonalKeysStayMasked() throws {
        let sandbox = try Sandbox(rows: 30, caseRows: 120)
        let project = try CountyProject(sandbox: sandbox)
        let file = project.root.appendingPathComponent("Mappings/datasets/service_cases.yml")
        let mapping = try String(contentsOf: file, encoding: .utf8)
        // A snapshot copy of the cases (no incremental block), to rekey to a key some records lack.
        let incremental = try #require(mapping.firstRange(of: #/incremental:\n(  .*\n)+/#))
        let snapshot = mapping.replacingCharacters(in: incremental, with: "").replacingOccurrences(of: "dataset: service_cases", with: "dataset: cases_snapshot")
        let snapshotFile = project.root.appendingPathComponent("Mappings/datasets/cases_snapshot.yml")
        try snapshot.write(to: snapshotFile, atomically: true, encoding: .utf8)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let db = try project.database()
        let rows = try db.scalarInt("SELECT count(*) FROM service_cases", []) ?? -1

        // A refused sign-in: nothing forgotten, the old key still the rows' key.
        try mapping.replacingOccurrences(of: "key: [case_id]", with: "key: [applicant_id]").write(to: file, atomically: true, encoding: .utf8)
        var wrong = project.environment
        wrong["TEST_APP_SECRET"] = "wrong-secret-0b7e"
        let refused = try Command.run(Binaries.dataflow, ["sync", "service_cases", "--rekey", "service_cases", "--project", project.root.path],
                                      environment: wrong, in: project.root)
        #expect(refused.status == 1, "\(refused.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM service_cases WHERE _key LIKE 'YW%'", []) == rows, "the rows are as they were")
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'", []) == 0)
        #expect(try project.dataflow("sync", "service_cases").output.contains("dataflow sync --rekey service_cases"), "the key change is still pending")

        // Rekeyed to the citizen ID, then back to the case number.
        #expect(try project.dataflow("sync", "service_cases", "--rekey", "service_cases").status == 0)
        try mapping.write(to: file, atomically: true, encoding: .utf8)
        // While the change back waits for --rekey, the table's keys are still citizen IDs: masked,
        // and no filter on them (the mapping's key of now, the case number, is not personal).
        let anID = try #require(try db.scalarText("SELECT _key FROM service_cases WHERE _deleted = 0 LIMIT 1", []))
        let pending = try project.dataflow("export", "service_cases", "--columns", "_key")
        #expect(pending.status == 0 && !pending.stdout.contains(anID) && !pending.stdout.contains(#/\d{17}[\dX]/#), "\(pending.stdout.prefix(200))")
        let guess = try project.dataflow("export", "service_cases", "--where", "_key=\(anID)")
        #expect(guess.status == 2 && guess.stderr.contains("still those of an earlier key"), "\(guess.output)")
        let back = try project.dataflow("sync", "service_cases", "--rekey", "service_cases")
        #expect(back.status == 0, "\(back.output)")
        try TruthComparison.expectEqual(project, dataset: "service_cases")
        // The feed and the quarantine hold keys of both; masked views show no citizen ID in clear.
        let formerKeys = try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE dataset = 'service_cases' AND key NOT LIKE 'YW%'", []) ?? 0
        #expect(formerKeys > 100)
        let citizenID = #/[1-9]\d{5}(19|20)\d{2}(0[1-9]|1[0-2])\d{5}[\dX]/#
        for arguments in [["export", "service_cases", "--changes-since", "0", "--format", "ndjson"], ["rejects", "service_cases", "--all"],
                          ["rejects", "service_cases", "--all", "--format", "json"]] {
            let view = try project.dataflow(arguments)
            #expect(view.status == 0, "\(arguments): \(view.output)")
            let found = view.stdout.firstMatch(of: citizenID).map { String(view.stdout[$0.range]) }
            #expect(found == nil, "\(arguments): \(found ?? "")")
        }
        // The case numbers of now stay readable in the table's own _key.
        #expect(try project.dataflow("export", "service_cases", "--columns", "_key").stdout.contains("YW"))

        // A snapshot rekeyed to a key some records lack: their count under the old key says nothing.
        try snapshot.replacingOccurrences(of: "key: [case_id]", with: "key: [case_id, finished_on]").write(to: snapshotFile, atomically: true, encoding: .utf8)
        let snapshotRekey = try project.dataflow("sync", "cases_snapshot", "--rekey", "cases_snapshot")
        #expect(snapshotRekey.status == 0, "\(snapshotRekey.output)")
    }
}
