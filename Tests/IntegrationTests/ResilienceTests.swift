import DataflowCore
import Foundation
import Testing

@Suite("Boundaries, expiring secrets, faults and kill -9")
struct ResilienceTests {
    @Test func recordsSharingTheLastCursorValueAcrossPagesAreNeitherLostNorDuplicated() throws {
        // 700 records per UPDATE_TIME, 250 per page: every cursor value spans several pages.
        let sandbox = try Sandbox(rows: 2100, caseRows: 10, arguments: ["--group-size", "700"])
        let project = try CountyProject(sandbox: sandbox) { _, text in text.replacingOccurrences(of: "size: 500", with: "size: 250") }
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        try TruthComparison.expectEqual(project, dataset: "market_licenses")

        // 600 updates stamped with one clock value: the new last cursor value spans three pages.
        try sandbox.advanceClock(seconds: 60)
        let m = try sandbox.mutate("licenses", update: 600)
        let db = try project.database()
        let seq = try db.scalarInt("SELECT max(seq) FROM _dataflow_changes") ?? 0
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE seq > ? AND op = 'U'", [.integer(seq)]) == Int64(m.updated.count))
        #expect(try db.scalarInt("SELECT count(DISTINCT key) FROM _dataflow_changes WHERE seq > ?", [.integer(seq)]) == Int64(m.updated.count))
    }

    @Test func aTwoSecondRequestSecretIsRenewedMidRun() throws {
        let sandbox = try Sandbox(rows: 2400, caseRows: 800, arguments: ["--secret-ttl", "2"])
        let project = try CountyProject(sandbox: sandbox, sourceExtra: "    rate_limit: 8/s") { _, text in
            text.replacingOccurrences(of: "size: 500", with: "size: 100")
        }
        let started = Date()
        let result = try project.dataflow("sync")
        #expect(result.status == 0, "\(result.output)")
        #expect(Date().timeIntervalSince(started) > 4, "the run must outlive two secret lifetimes")
        let stats = try sandbox.stats()
        #expect((stats["token_requests"] ?? 0) >= 3, "\(stats)")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
        try TruthComparison.expectEqual(project, dataset: "service_cases")
    }

    @Test func twentyPercentFaultsStillConvergeToTheTruth() throws {
        let sandbox = try Sandbox(rows: 2000, caseRows: 1000)
        try sandbox.control("POST", "/_control/faults?rate=0.2&kinds=429,500,drop,truncate&retry_after=0")
        let project = try CountyProject(sandbox: sandbox, retries: 10) { _, text in text.replacingOccurrences(of: "size: 500", with: "size: 100") }
        let result = try project.dataflow("sync", "--verbose")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stderr.contains("retry"), "retries are logged with --verbose")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
        try TruthComparison.expectEqual(project, dataset: "service_cases")
        let stats = try sandbox.stats()
        #expect((stats["faults"] ?? 0) >= 5, "\(stats)")

        try sandbox.advanceClock(seconds: 600)
        _ = try sandbox.mutate("licenses", update: 30, insert: 30, delete: 10)
        #expect(try project.dataflow("sync").status == 0)
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
    }

    /// `status` counts every request sent, as the gateway saw them: attempts the transport lost
    /// (a body cut short of its `Content-Length`) were retried without being counted. (A request
    /// on a kept-alive connection the gateway closed first is resent by libcurl itself, unseen.)
    @Test func theStoredRequestsCountAttemptsTheTransportLost() throws {
        let sandbox = try Sandbox(rows: 3000)
        try sandbox.control("POST", "/_control/faults?rate=0.4&kinds=truncate")
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_ckan"])
        let result = try project.dataflow("sync")
        #expect(result.status == 0, "\(result.output)")
        let stats = try sandbox.control("GET", "/_control/stats")
        let served = try #require(stats["sources"]?["ckan"]?["requests"]?.text.flatMap { Int($0) }, "\(stats)")
        #expect((try sandbox.stats()["faults"] ?? 0) >= 1, "no request was dropped")
        let stored = try project.database().scalarInt("SELECT sum(requests) FROM _dataflow_run_datasets")
        #expect(stored == Int64(served), "stored \(String(describing: stored)), served \(served)")
    }

    /// `DATAFLOW_CHECKPOINT_FRAMES` sets when the background checkpoint runs; a value that is not a
    /// positive whole number is refused by name, before anything is synced.
    @Test func aCheckpointFrameCountThatIsNotAPositiveNumberIsRefusedByName() throws {
        let sandbox = try Sandbox(rows: 50)
        let project = try CountyProject(sandbox: sandbox)
        for bad in ["sixteen", "0", "-5"] {
            project.environment["DATAFLOW_CHECKPOINT_FRAMES"] = bad
            let result = try project.dataflow("sync")
            #expect(result.status != 0)
            #expect(result.output.contains("DATAFLOW_CHECKPOINT_FRAMES must be a whole number of WAL frames above 0, not '\(bad)'"), "\(result.output)")
            #expect(try project.database().scalarInt("SELECT count(*) FROM _dataflow_changes") == 0)
            #expect(try project.database().scalarInt("SELECT count(*) FROM _dataflow_runs") == 0)
        }
        project.environment["DATAFLOW_CHECKPOINT_FRAMES"] = "8"
        let result = try project.dataflow("sync")
        #expect(result.status == 0, "\(result.output)")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
    }

    @Test func killNineAtRandomMomentsThenRerunEqualsTheTruth() throws {
        let sandbox = try Sandbox(rows: 4000, caseRows: 1500)
        let project = try CountyProject(sandbox: sandbox, sourceExtra: "    rate_limit: 20/s") { _, text in
            text.replacingOccurrences(of: "size: 500", with: "size: 100")
        }
        // Every commit is copied into the database file beside the writer, so runs are also killed
        // in the middle of such copies (docs/architecture.md, "Checkpoints beside the writer").
        project.environment["DATAFLOW_CHECKPOINT_FRAMES"] = "16"
        var schedule = KillSchedule()
        // `make reliability` raises this to a soak; `make test` kills ten runs.
        let wanted = Int(ProcessInfo.processInfo.environment["DATAFLOW_KILL_ROUNDS"] ?? "") ?? 10
        var killed = 0
        var round = 0
        while killed < wanted && round < wanted * 4 {
            round += 1
            if round % 3 == 0 {
                // Upstream keeps changing between (and so during) the interrupted runs.
                try sandbox.advanceClock(seconds: 120)
                _ = try sandbox.mutate("licenses", update: 300, insert: 40, delete: 10)
                _ = try sandbox.mutate("cases", update: 100, insert: 40)
            }
            let before = KillSchedule.lastRun(in: project)
            let process = try project.startSync()
            if KillSchedule.waitForRun(process, after: before, in: project) {
                Thread.sleep(forTimeInterval: schedule.delay(in: 0.05...0.6))
            }
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                killed += 1
            }
            process.waitUntilExit()
        }
        #expect(killed >= wanted, "at least \(wanted) runs were killed mid-sync (\(killed)); seed \(schedule.seed)")
        let final = try project.dataflow("sync")
        #expect(final.status == 0, "\(final.output)")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
        try TruthComparison.expectEqual(project, dataset: "service_cases")

        // The change feed lost nothing and duplicated nothing: no key was inserted twice, every row
        // has change events, and its latest change carries the row's current content hash.
        let db = try project.database()
        for table in ["market_licenses", "service_cases"] {
            #expect(try db.scalarInt("SELECT count(*) FROM (SELECT key FROM _dataflow_changes WHERE dataset = ? AND op = 'I' GROUP BY key HAVING count(*) > 1)", [.text(table)]) == 0)
            #expect(try db.scalarInt("SELECT count(DISTINCT key) FROM _dataflow_changes WHERE dataset = ?", [.text(table)])
                    == db.scalarInt("SELECT count(*) FROM \(table)"))
            let stale = try db.scalarInt("""
                SELECT count(*) FROM \(table) t WHERE t._hash <> (SELECT c.hash FROM _dataflow_changes c WHERE c.dataset = ? AND c.key = t._key ORDER BY c.seq DESC LIMIT 1)
                """, [.text(table)])
            #expect(stale == 0, "\(table): rows whose latest change event is missing")
        }
        let status = try project.dataflow("status", "--limit", "20")
        #expect(status.stdout.contains("interrupted"), "killed runs show as interrupted")
    }
}
