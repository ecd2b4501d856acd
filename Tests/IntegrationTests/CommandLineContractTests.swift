import DataflowCore
import Foundation
import Testing

@Suite("Exit codes, locking, errors and secrets")
struct CommandLineContractTests {
    @Test func anOverlappingRunExitsThreeAndChangesNothing() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 50)
        let project = try CountyProject(sandbox: sandbox)
        try FileManager.default.createDirectory(atPath: project.root.appendingPathComponent("warehouse").path, withIntermediateDirectories: true)
        let lock = try WarehouseLock(path: project.warehousePath + ".lock")
        let result = try project.dataflow("sync")
        #expect(result.status == 3)
        #expect(result.stderr.contains("another dataflow run holds the lock"), "\(result.stderr)")
        #expect(!FileManager.default.fileExists(atPath: project.warehousePath), "the second run touched nothing")
        withExtendedLifetime(lock) {}
        // A real overlapping process, not just a lock held in this one.
        let slow = try CountyProject(sandbox: sandbox, sourceExtra: "    rate_limit: 5/s") { _, text in
            text.replacingOccurrences(of: "size: 500", with: "size: 5")
        }
        try FileManager.default.createDirectory(atPath: slow.root.appendingPathComponent("warehouse").path, withIntermediateDirectories: true)
        let first = try slow.startSync()
        // Wait until the first run holds the lock (it writes its pid into the lock file once it has it).
        var held = false
        for _ in 0..<800 where !held {
            let note = (try? String(contentsOfFile: slow.warehousePath + ".lock", encoding: .utf8)) ?? ""
            held = note.contains("pid \(first.processIdentifier),")
            if !held { Thread.sleep(forTimeInterval: 0.025) }
        }
        #expect(held)
        let second = try slow.dataflow("sync")
        #expect(second.status == 3, "\(second.output)")
        #expect(second.stderr.contains("pid \(first.processIdentifier)"), "the message names the holder: \(second.stderr)")
        first.waitUntilExit()
        #expect(first.terminationStatus == 0)
    }

    @Test func aMalformedDatasetFileExitsTwoNamingFileLineAndColumn() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox) { file, text in
            file == "service_cases.yml" ? text.replacingOccurrences(of: "check: citizen-id", with: "check: citizen-idd") : text
        }
        for command in ["sync", "validate"] {
            let result = try project.dataflow(command)
            #expect(result.status == 2)
            #expect(result.stderr.contains("Mappings/datasets/service_cases.yml:"), "\(result.stderr)")
            #expect(result.stderr.range(of: #"service_cases\.yml:\d+:\d+: unknown check 'citizen-idd' \(did you mean 'citizen-id'\?\)"#, options: .regularExpression) != nil, "\(result.stderr)")
        }
        let broken = try CountyProject(sandbox: sandbox) { file, text in
            file == "market_licenses.yml" ? text.replacingOccurrences(of: "key: [uscc]", with: "key: [uscc\n  oops: ]") : text
        }
        let result = try broken.dataflow("sync")
        #expect(result.status == 2)
        #expect(result.stderr.range(of: #"market_licenses\.yml:\d+:\d+: not valid YAML"#, options: .regularExpression) != nil, "\(result.stderr)")
    }

    @Test func aWrongAppSecretFailsTheSourceWithThePlatformsMessageAndNeverPrintsSecrets() throws {
        let sandbox = try Sandbox(rows: 20, caseRows: 20)
        let secret = "wrong-secret-7f3a9c"
        let project = try CountyProject(sandbox: sandbox, appSecret: secret)
        for args in [["sync"], ["sync", "--verbose"], ["sync", "--log-format", "json", "--verbose"]] {
            let result = try Command.run(Binaries.dataflow, args + ["--project", project.root.path], environment: project.environment, in: project.root)
            #expect(result.status == 1, "\(result.output)")
            #expect(result.output.contains("code 14"), "the platform's code is shown: \(result.output)")
            #expect(!result.output.contains(secret))
            #expect(!result.output.contains("sandbox-secret"))
        }
        let status = try project.dataflow("status", "--format", "json")
        #expect(status.status == 0)
        #expect(status.stdout.contains("code 14"))
        #expect(!status.output.contains(secret))
        let validate = try project.dataflow("validate", "--verbose")
        #expect(validate.status == 0)
        #expect(!validate.output.contains(secret))
        // Nor is it stored in the warehouse.
        let db = try project.database()
        for table in ["_dataflow_runs", "_dataflow_run_datasets"] {
            let st = try db.prepare("SELECT * FROM \(table)")
            while try st.step() {
                for i in 0..<st.columnCount { #expect(st.text(i)?.contains(secret) != true) }
            }
        }
    }

    /// An export to standard output is the export alone, whatever the environment: the YAML
    /// library printed a notice there when `YAMS_DEFAULT_ENCODING` was set, once per file read.
    @Test func anExportToStandardOutputHoldsOnlyTheExportWhateverTheEnvironment() throws {
        let sandbox = try Sandbox(rows: 20, caseRows: 5)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        let plain = try project.dataflow("export", "market_licenses", "--columns", "uscc,name")
        #expect(plain.status == 0, "\(plain.output)")
        #expect(plain.stdout.hasPrefix("uscc,name\r\n"), "\(plain.stdout.prefix(200))")
        var environment = project.environment
        environment["YAMS_DEFAULT_ENCODING"] = "UTF16"
        let noticed = try Command.run(Binaries.dataflow, ["export", "market_licenses", "--columns", "uscc,name", "--project", project.root.path],
                                      environment: environment, in: project.root)
        #expect(noticed.status == 0, "\(noticed.output)")
        #expect(noticed.stdout == plain.stdout, "\(noticed.stdout.prefix(300))")
    }

    @Test func unknownDatasetsAndArgumentsAreUsageErrors() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        let unknown = try project.dataflow("sync", "market_licence")
        #expect(unknown.status == 2)
        #expect(unknown.stderr.contains("did you mean 'market_licenses'"), "\(unknown.stderr)")
        #expect(try project.dataflow("sync", "--no-such-flag").status == 2)
        #expect(try project.dataflow("export", "market_licenses", "--columns", "nope").status != 0)
        for columns in ["", ",", " , "] {
            let none = try project.dataflow("export", "market_licenses", "--columns", columns)
            #expect(none.status == 2 && none.stdout.isEmpty && none.stderr.contains("--columns names no column"), "'\(columns)': \(none.output)")
        }
        let twice = try project.dataflow("export", "market_licenses", "--columns", "uscc,name,uscc")
        #expect(twice.status == 2 && twice.stderr.contains("--columns names uscc twice"), "\(twice.output)")
        #expect(try project.dataflow("catalog", "--fail-under", "120").status == 2)
        // An option for another format, or a file named for another format, is a usage error, not ignored.
        let table = try project.dataflow("catalog", "--format", "json", "--csv-table", "gaps")
        #expect(table.status == 2 && table.stdout.isEmpty && table.stderr.contains("--csv-table gaps applies to --format csv only"), "\(table.output)")
        let spreadsheet = try project.dataflow("export", "market_licenses", "-o", "licences.xlsx")
        #expect(spreadsheet.status == 2 && spreadsheet.stderr.contains("not a spreadsheet file; write licences.csv"), "\(spreadsheet.output)")
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("licences.xlsx").path))
        let json = try project.dataflow("export", "market_licenses", "-o", "licences.ndjson")
        #expect(json.status == 2 && json.stderr.contains("add --format ndjson"), "\(json.output)")
        let csv = try project.dataflow("export", "market_licenses", "--format", "ndjson", "-o", "licences.CSV")
        #expect(csv.status == 2 && csv.stderr.contains("names a CSV file but --format is ndjson"), "\(csv.output)")
        let help = try Command.run(Binaries.dataflow, ["sync", "--help"], in: project.root)
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples"))
    }

    /// A negative number was taken for a flag ("Missing value for '--jobs <n>'"), and a bad
    /// `--jobs` came out as ArgumentParser's text with `--log-format json`, where stderr carries
    /// only JSON objects.
    @Test func negativeNumbersAreReadAsValuesAndABadJobsCountIsAJSONEvent() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        for (arguments, says) in [(["sync", "--jobs", "-1"], "--jobs must be within 1…64, got -1"),
                                  (["status", "--limit", "-1"], "--limit must be at least 1"),
                                  (["export", "market_licenses", "--changes-since", "-1"], "--changes-since must be 0 or more (got -1)"),
                                  (["catalog", "--fail-under", "-5"], "--fail-under must be between 0 and 100"),
                                  (["check", "market_licenses", "--records", "-1"], "--records must be between 1 and 100"),
                                  (["draft", "market_licenses", "--sample", "-1"], "--sample must be between 1 and 1,000,000")] {
            let result = try project.dataflow(arguments)
            #expect(result.status == 2 && result.stderr.contains(says), "\(arguments): \(result.output)")
        }
        let json = try project.dataflow("sync", "--log-format", "json", "--jobs", "0")
        #expect(json.status == 2, "\(json.output)")
        let lines = json.stderr.split(separator: "\n")
        #expect(!lines.isEmpty && lines.allSatisfy { (try? JSONParser.parse(Array($0.utf8)))?["event"]?.text == "usage_error" }, "\(json.stderr)")
        #expect(json.stderr.contains("--jobs must be within 1…64, got 0"))
    }

    /// A dataset named twice was walked twice at once: every request repeated, one walk's
    /// tombstones made the other's pass "more than the gateway's total", the run exited 1, and the
    /// metrics file held each series twice (node_exporter refuses such a file).
    @Test func aDatasetNamedTwiceIsWalkedOnce() throws {
        let sandbox = try Sandbox(rows: 200, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        let metrics = project.root.appendingPathComponent("dataflow.prom")
        let run = try project.dataflow("sync", "market_licenses", "market_licenses", "--log-format", "json", "--metrics-file", metrics.path)
        #expect(run.status == 0, "\(run.output)")
        #expect(run.stderr.split(separator: "\n").filter { $0.contains("\"event\":\"dataset_end\"") }.count == 1, "\(run.stderr)")
        let series = try String(contentsOf: metrics, encoding: .utf8).split(separator: "\n").filter { !$0.hasPrefix("#") }
        #expect(Set(series.map { $0.split(separator: " ").first ?? "" }).count == series.count, "a series written twice")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
    }

    @Test func quotaStopsTheSourceForThisRunWithAClearMessage() throws {
        let sandbox = try Sandbox(rows: 600, caseRows: 600, arguments: ["--quota", "2"])
        let project = try CountyProject(sandbox: sandbox)
        let result = try project.dataflow("sync")
        #expect(result.status == 1)
        #expect(result.stderr.contains("over its quota"), "\(result.stderr)")
        // The pages fetched before the quota ran out are kept, and their state with them.
        let db = try project.database()
        #expect(try db.scalarInt("SELECT count(*) FROM market_licenses") ?? 0 > 0)
    }
}

@Suite("dataflow init")
struct InitCommandTests {
    @Test func initCreatesAProjectThatValidatesAndSyncsAgainstTheSandbox() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("init-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let created = try Command.run(Binaries.dataflow, ["init", dir.path, "--county-code", "330782", "--county-name", "义乌市"],
                                      in: FileManager.default.temporaryDirectory)
        #expect(created.status == 0, "\(created.output)")
        // The glossary, the catalogue's labels, the GB/T 2260 snapshot and the code tables come
        // with it, byte for byte as in this repository (scripts/embed-mappings.py embeds them).
        for path in ["Mappings/glossary.yml", "Mappings/catalogue.yml", "Mappings/codes/gbt2260.tsv", "Mappings/codes/sex.yml", "Mappings/codes/case_status.yml"] {
            let written = try? Data(contentsOf: dir.appendingPathComponent(path))
            let repository = try Data(contentsOf: Binaries.repositoryRoot.appendingPathComponent(path))
            #expect(written == repository, "\(path) is not the repository's; run scripts/embed-mappings.py")
            #expect(created.stdout.contains("created \(dir.path)/\(path)"), "\(created.stdout)")
        }
        let sandbox = try Sandbox(rows: 120, caseRows: 10)
        let env = ["SANDBOX_PORT": String(sandbox.port)]
        let validate = try Command.run(Binaries.dataflow, ["validate", "--project", dir.path], environment: env, in: dir)
        #expect(validate.status == 0, "\(validate.output)")
        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", dir.path], environment: env, in: dir)
        #expect(sync.status == 0, "\(sync.output)")
        #expect(try SQLiteDatabase(path: dir.appendingPathComponent("warehouse/county.db").path).scalarInt("SELECT count(*) FROM market_licenses") == 120)
        // A second init refuses to overwrite.
        let again = try Command.run(Binaries.dataflow, ["init", dir.path, "--county-code", "330782", "--county-name", "义乌市"], in: dir)
        #expect(again.status == 2)
        #expect(try Command.run(Binaries.dataflow, ["init", dir.path + "-x", "--county-code", "33078", "--county-name", "x"], in: dir).status == 2)

        // A name YAML would read otherwise is written quoted; one with a line break is refused;
        // a file where the folder should be is named, not reported in Foundation's words.
        let odd = dir.path + "-odd"
        defer { try? FileManager.default.removeItem(atPath: odd) }
        let quoted = try Command.run(Binaries.dataflow, ["init", odd, "--county-code", "330782", "--county-name", "义乌市: 试点 #1 }"], in: dir)
        #expect(quoted.status == 0, "\(quoted.output)")
        let validated = try Command.run(Binaries.dataflow, ["validate", "--project", odd], in: dir)
        #expect(validated.status == 0, "\(validated.output)")
        #expect(try String(contentsOfFile: odd + "/dataflow.yml", encoding: .utf8).contains(#"name: "义乌市: 试点 #1 }""#))
        let twoLines = try Command.run(Binaries.dataflow, ["init", dir.path + "-two", "--county-code", "330782", "--county-name", "义乌\nversion: 9"], in: dir)
        #expect(twoLines.status == 2 && twoLines.stderr.contains("--county-name must be the county's name on one line"), "\(twoLines.output)")
        let file = dir.path + "-file"
        FileManager.default.createFile(atPath: file, contents: Data("x".utf8))
        defer { try? FileManager.default.removeItem(atPath: file) }
        let onFile = try Command.run(Binaries.dataflow, ["init", file, "--county-code", "330782", "--county-name", "义乌市"], in: dir)
        #expect(onFile.status == 2 && onFile.stderr.contains("is a file, not a folder") && !onFile.stderr.contains("NSCocoaErrorDomain"), "\(onFile.output)")
    }
}

@Suite("dataflow sandbox")
struct SandboxCommandTests {
    @Test func runsTheSandboxPlatformInPlaceAndStopsOnSIGTERM() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-cmd-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let portFile = dir.appendingPathComponent("port")
        let process = try Command.start(Binaries.dataflow, ["sandbox", "--port", "0", "--rows", "7", "--port-file", portFile.path],
                                        stdout: dir.appendingPathComponent("out"), stderr: dir.appendingPathComponent("err"))
        var port: Int?
        for _ in 0..<200 where port == nil {
            port = (try? String(contentsOf: portFile, encoding: .utf8)).flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) }
            if port == nil { Thread.sleep(forTimeInterval: 0.05) }
        }
        let bound = try #require(port, "the sandbox wrote its port")
        let truth = try Command.run("/usr/bin/curl", ["-fsS", "http://127.0.0.1:\(bound)/_control/truth?dataset=licenses"], in: dir)
        #expect(truth.stdout.split(separator: "\n").count == 7)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0, "the exec'd sandbox stops cleanly on SIGTERM")
        let help = try Command.run(Binaries.dataflow, ["sandbox", "--help"], in: dir)
        #expect(help.stdout.contains("dataflow sandbox --port 8810"), "\(help.output)")
    }
}
