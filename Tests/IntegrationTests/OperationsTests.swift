import DataflowCore
import Foundation
import Testing

/// Running from cron: JSON events, the Prometheus metrics file, progress only on a terminal, and
/// `status`.
@Suite("Operations: JSON log, metrics file, progress, status")
struct OperationsTests {
    /// A project whose service_cases dataset points at a path the sandbox does not serve.
    static func projectWithOneFailingDataset(_ sandbox: Sandbox) throws -> CountyProject {
        try CountyProject(sandbox: sandbox, retries: 1) { file, text in
            file == "service_cases.yml" ? text.replacingOccurrences(of: "serviceCases.htm", with: "noSuchService.htm") : text
        }
    }

    @Test func cronRunWritesOneJSONEventPerLineAndAPrometheusFile() throws {
        let sandbox = try Sandbox(rows: 700, caseRows: 100)
        let project = try Self.projectWithOneFailingDataset(sandbox)
        let metricsDir = project.root.appendingPathComponent("textfile")
        try FileManager.default.createDirectory(at: metricsDir, withIntermediateDirectories: true)
        let metrics = metricsDir.appendingPathComponent("dataflow.prom")
        let before = Date().timeIntervalSince1970
        let result = try project.dataflow("sync", "--quiet", "--log-format", "json", "--metrics-file", metrics.path)
        let after = Date().timeIntervalSince1970
        #expect(result.status == 1, "one dataset fails: \(result.output)")
        #expect(result.stdout.isEmpty)

        // Every stderr line is one JSON object with ts, level and event.
        var events: [JSONValue] = []
        for line in result.stderr.split(separator: "\n") {
            guard let e = try? JSONParser.parse(Array(line.utf8)), case .object = e else { Issue.record("not a JSON event: \(line)"); continue }
            #expect(e["ts"]?.text.flatMap(Timestamp.parse) != nil, "ts missing or not ISO 8601 in \(line)")
            #expect(["debug", "info", "warning", "error"].contains(e["level"]?.text ?? ""), "level in \(line)")
            #expect(e["event"]?.text?.isEmpty == false, "event in \(line)")
            events.append(e)
        }
        #expect(events.map { $0["event"]?.text ?? "" }.filter { $0 != "retry" }
                == ["run_start", "dataset_start", "dataset_end", "dataset_start", "dataset_end", "run_end"])
        let ends = events.filter { $0["event"]?.text == "dataset_end" }
        let licences = try #require(ends.first { $0["dataset"]?.text == "market_licenses" })
        let cases = try #require(ends.first { $0["dataset"]?.text == "service_cases" })
        #expect(licences["level"]?.text == "info" && licences["status"]?.text == "ok")
        let db = try project.database()
        let counts = try db.prepare("SELECT fetched, inserted, pages FROM _dataflow_run_datasets WHERE dataset = 'market_licenses'")
        #expect(try counts.step())
        #expect(licences["fetched"] == .number(String(counts.int(0))) && counts.int(0) >= 700)
        #expect(licences["inserted"] == .number(String(counts.int(1))) && licences["pages"] == .number(String(counts.int(2))))
        #expect(cases["level"]?.text == "error" && cases["error"]?.text?.isEmpty == false)
        let runEnd = try #require(events.last)
        #expect(runEnd["level"]?.text == "error" && runEnd["exit_code"] == .number("1") && runEnd["failed"]?.text == "service_cases")
        #expect(runEnd["fetched"] == licences["fetched"] && runEnd["failed_count"] == .number("1"))
        if case .number = runEnd["seconds"] {} else { Issue.record("run_end seconds is not a number") }

        // The metrics file, read by the Prometheus client library's own parser.
        #expect(try FileManager.default.contentsOfDirectory(atPath: metricsDir.path) == ["dataflow.prom"], "a temp file was left behind")
        let script = """
        import json, sys
        from prometheus_client.parser import text_string_to_metric_families
        out = {}
        for family in text_string_to_metric_families(open(sys.argv[1]).read()):
            for s in family.samples:
                key = s.name + ''.join('|%s=%s' % kv for kv in sorted(s.labels.items()))
                out[key] = s.value
        print(json.dumps(out, ensure_ascii=False))
        """
        let py = try Command.run(try TestTools.python(), ["-c", script, metrics.path], in: project.root)
        #expect(py.status == 0, "prometheus_client could not parse the file: \(py.stderr)")
        let parsed = try JSONParser.parse(Array(py.stdout.utf8))
        func value(_ key: String) -> Double? { parsed[key]?.text.flatMap(Double.init) }
        #expect(value("dataflow_run_exit_code") == 1)
        #expect(value("dataflow_run_datasets_failed") == 1)
        #expect(value("dataflow_dataset_last_run_success|dataset=market_licenses") == 1)
        #expect(value("dataflow_dataset_last_run_success|dataset=service_cases") == 0)
        #expect(value("dataflow_dataset_rows|dataset=market_licenses") == Double(try db.scalarInt("SELECT count(*) FROM market_licenses WHERE _deleted = 0") ?? -1))
        #expect(value("dataflow_dataset_records|dataset=market_licenses|op=fetched") == Double(counts.int(0)))
        let lastSuccess = try #require(value("dataflow_dataset_last_success_timestamp_seconds|dataset=market_licenses"))
        #expect(lastSuccess >= before.rounded(.down) - 1 && lastSuccess <= after + 1)
        #expect(value("dataflow_dataset_last_success_timestamp_seconds|dataset=service_cases") == nil, "never succeeded")
        let ranAt = try #require(value("dataflow_run_last_timestamp_seconds"))
        #expect(ranAt >= before.rounded(.down) - 1 && ranAt <= after + 1)
        let catalog = try JSONParser.parse(Array(try project.dataflow("catalog", "--format", "json").stdout.utf8))
        let covered = Double(catalog.value(at: ["matters", "covered"])?.text ?? "") ?? -1
        let total = Double(catalog.value(at: ["matters", "total"])?.text ?? "") ?? -1
        #expect(abs((value("dataflow_matter_coverage_ratio") ?? -1) - covered / total) < 0.0001)
        #expect(value("dataflow_matters_covered") == covered)

        // Another run holding the lock: exit 3, reported as a JSON event too.
        let lock = try WarehouseLock(path: project.warehousePath + ".lock")
        let locked = try project.dataflow("sync", "--log-format", "json")
        withExtendedLifetime(lock) {}
        #expect(locked.status == 3)
        let lockEvent = try JSONParser.parse(Array(locked.stderr.trimmingCharacters(in: .whitespacesAndNewlines).utf8))
        #expect(lockEvent["event"]?.text == "lock_held" && lockEvent["level"]?.text == "error" && lockEvent["exit_code"] == .number("3"))
    }

    @Test func progressBarOnlyOnATerminal() throws {
        let sandbox = try Sandbox(rows: 2600, caseRows: 50)
        let project = try CountyProject(sandbox: sandbox)
        // Not a terminal (stderr is a file): plain lines, no carriage returns or escapes.
        let plain = try project.dataflow("sync", "market_licenses")
        #expect(plain.status == 0)
        #expect(!plain.stderr.contains("\r") && !plain.stderr.contains("\u{1B}[") && !plain.stderr.contains("records/s"), "\(plain.stderr)")
        #expect(plain.stderr.contains("market_licenses: ok"))

        // A terminal (script(1) gives the command a pseudo-terminal): the bar is drawn in place.
        try sandbox.advanceClock(seconds: 3600)
        _ = try sandbox.mutate("licenses", insert: 1200)
        let command = ([Binaries.dataflow, "sync", "market_licenses", "--project", project.root.path]).map { "'\($0)'" }.joined(separator: " ")
        var environment = project.environment
        environment["TERM"] = "xterm"
        let tty = try Command.run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: environment, in: project.root)
        #expect(tty.status == 0, "\(tty.output)")
        #expect(tty.stdout.contains("\r\u{1B}[Kmarket_licenses ["), "no progress bar on a terminal: \(tty.stdout.debugDescription)")
        #expect(tty.stdout.contains("records/s") && tty.stdout.contains("pages"))
        #expect(tty.stdout.contains("market_licenses: ok"))

        // --quiet on a terminal: nothing at all for a good run.
        let quiet = try Command.run("/usr/bin/script", ["-qec", command + " --quiet", "/dev/null"], environment: environment, in: project.root)
        #expect(quiet.status == 0 && quiet.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "\(quiet.stdout.debugDescription)")

        // A terminal 40 columns wide: each bar is cut to fit (a bar that wrapped took two rows, and
        // every redraw left the second one on the screen).
        try sandbox.advanceClock(seconds: 3600)
        _ = try sandbox.mutate("licenses", insert: 1200)
        let narrow = try Command.run("/usr/bin/script", ["-qec", "stty cols 40 rows 12; " + command, "/dev/null"], environment: environment, in: project.root)
        #expect(narrow.status == 0, "\(narrow.output)")
        let bars = narrow.stdout.components(separatedBy: "\r\u{1B}[K").flatMap { $0.components(separatedBy: "\n") }
            .map { $0.replacingOccurrences(of: "\r", with: "").replacingOccurrences(of: "\u{1B}[1A\u{1B}[K", with: "") }
            .filter { $0.hasPrefix("market_licenses [") }
        #expect(!bars.isEmpty, "\(narrow.stdout.debugDescription)")
        #expect(bars.allSatisfy { TextTable.displayWidth($0) <= 39 && $0.hasSuffix("…") }, "\(bars)")
    }

    @Test func statusShowsRunsAndDatasetsOfTheFixedWarehouse() throws {
        let fixed = try FixedWarehouse()
        let report = try StatusReport.load(db: fixed.db, warehouse: "sqlite:warehouse/county.db", limit: 5, lockHeld: false, redactor: Redactor())
        try Golden.check(report.table(), "status.txt")
        try Golden.check(try report.json(), "status.json")
        #expect(report.runs.map(\.runID) == [2, 1])
        #expect(report.runs[0].seconds == 120 && report.runs[0].totals.failed == 2 && report.runs[0].totals.fetched == 24)
        #expect(report.runs[1].datasets.map(\.dataset) == ["market_licenses", "service_cases", "job_centres", "relief_payments"])
        let cases = try #require(report.datasets.first { $0.dataset == "service_cases" })
        #expect(cases.lastSuccess == "2026-11-25T02:02:30Z" && cases.lastStatus == "failed")
        #expect(cases.lastError == "HTTP 503 from /serviceCases.htm, after 5 retries")
        #expect(report.datasets.first { $0.dataset == "market_licenses" }?.openRejects == 2)

        // A run still marked running while nobody holds the lock was killed: interrupted.
        try fixed.db.exec("""
            INSERT INTO _dataflow_runs (run_id, started_at, status) VALUES (3, '2026-11-29T03:00:00Z', 'running');
            INSERT INTO _dataflow_run_datasets (run_id, dataset, status, started_at) VALUES (3, 'market_licenses', 'running', '2026-11-29T03:00:00Z');
            """)
        let after = try StatusReport.load(db: fixed.db, warehouse: "w", limit: 1, lockHeld: false, redactor: Redactor())
        #expect(after.runs.map(\.status) == ["interrupted"] && after.runs[0].datasets.map(\.status) == ["interrupted"])
        #expect(after.runs[0].seconds == nil)
        // Counted as interrupted, not failed (the totals line said "1 failed" under a table of "interrupted").
        #expect(after.runs[0].totals.interrupted == 1 && after.runs[0].totals.failed == 0)
        #expect(after.table().contains(", 1 interrupted\n") && !after.table().contains(" failed\n"), "\(after.table())")
        #expect(try StatusReport.load(db: fixed.db, warehouse: "w", limit: 1, lockHeld: true, redactor: Redactor()).runs.map(\.status) == ["running"])

        let cli = try Command.run(Binaries.dataflow, ["status", "--format", "json", "--limit", "2", "--project", fixed.root.path], in: fixed.root)
        #expect(cli.status == 0, "\(cli.output)")
        let json = try JSONParser.parse(Array(cli.stdout.utf8))
        guard case .array(let runs)? = json["runs"] else { Issue.record("no runs"); return }
        #expect(runs.count == 2 && runs[1]["runID"] == .number("2"))
        #expect(runs[1].value(at: ["totals", "failed"]) == .number("2"))
        #expect(json["schemaVersion"] == .number("1"))
    }

    /// `--log-format json` promised stderr with JSON objects only, but only `sync` kept it: export's
    /// `exported 27 rows …` and `last change seq`, every other command's errors and warnings, and
    /// ArgumentParser's usage errors were plain text.
    @Test func everyCommandsStderrIsJSONLinesUnderLogFormatJSON() throws {
        let sandbox = try Sandbox(rows: 20, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let out = project.root.appendingPathComponent("licences.csv").path
        let runs: [([String], Int32, String)] = [
            (["export", "market_licenses", "-o", out], 0, "exported "),
            (["export", "market_licenses", "--changes-since", "0", "-o", out], 0, "last change seq: "),
            (["export", "market_licence"], 2, "did you mean 'market_licenses'"),
            (["export", "market_licenses", "--columns", "nope"], 2, "unknown column 'nope'"),
            (["status", "--limit", "0"], 2, "--limit must be at least 1"),
            (["rejects", "--no-such-flag"], 2, "Unknown option '--no-such-flag'"),
            (["catalog", "-o", project.root.path], 2, "that names a folder"),
        ]
        for (arguments, status, says) in runs {
            let result = try project.dataflow(arguments + ["--log-format", "json"])
            #expect(result.status == status, "\(arguments): \(result.output)")
            let lines = result.stderr.split(separator: "\n")
            #expect(!lines.isEmpty, "\(arguments): nothing on stderr")
            for line in lines {
                let event = try? JSONParser.parse(Array(line.utf8))
                #expect(event?["event"]?.text != nil && event?["ts"]?.text != nil, "\(arguments): not a JSON event: \(line)")
            }
            #expect(result.stderr.contains(says), "\(arguments): \(result.stderr)")
        }
        // The text log is as before.
        let text = try project.dataflow("export", "market_licence")
        #expect(text.status == 2 && text.stderr.hasPrefix("dataflow: unknown dataset 'market_licence'"), "\(text.stderr)")
    }
}
