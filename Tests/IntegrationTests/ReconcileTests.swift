import DataflowCore
import Foundation
import Testing

@Suite("Reconcile: keys gone upstream are tombstoned after a complete pass only")
struct ReconcileTests {
    func liveKeys(_ project: CountyProject) throws -> Set<String> {
        var keys: Set<String> = []
        try project.reader().forEachRow("SELECT _key FROM market_licenses WHERE _deleted = 0", []) { keys.insert($0.text(0) ?? "") }
        return keys
    }

    @Test(arguments: Backend.allCases)
    func reconcileTombstonesHardDeletedKeysAndNothingElse(_ backend: Backend) throws {
        let sandbox = try Sandbox(rows: 900, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox, backend: backend)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        try sandbox.advanceClock(seconds: 600)
        let body = try sandbox.control("POST", "/_control/mutate?dataset=licenses&update=10&purge=15")
        guard case .array(let purgedValues)? = body["purged"] else { Issue.record("no purged list"); return }
        let purged = Set(purgedValues.compactMap(\.text))
        #expect(purged.count == 15)

        // An incremental run cannot see a record that vanished without a flag…
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        #expect(try liveKeys(project).isSuperset(of: purged))

        // …a reconciling pass does, and tombstones exactly those keys.
        let db = try project.reader()
        let seq = try db.scalarInt("SELECT max(seq) FROM _dataflow_changes", []) ?? 0
        let result = try project.dataflow("sync", "--reconcile", "market_licenses")
        #expect(result.status == 0, "\(result.output)")
        #expect(result.stderr.contains("15 keys gone upstream were tombstoned"), "\(result.stderr)")
        // (The warehouse keeps the 15 tombstones, which the truth no longer has, so the live key set is compared.)
        let truthLive = Set(try sandbox.truth("licenses").filter { $0["DEL_FLAG"]?.text != "1" }.compactMap { $0["TYSHXYDM"]?.text })
        #expect(try liveKeys(project) == truthLive)
        var ops: [String: String] = [:]
        try db.forEachRow("SELECT key, op FROM _dataflow_changes WHERE seq > ?", [.integer(seq)]) { ops[$0.text(0) ?? ""] = $0.text(1) }
        #expect(ops == Dictionary(uniqueKeysWithValues: purged.map { ($0, "D") }), "only the purged keys change")
        #expect(try db.scalarInt("SELECT deleted FROM _dataflow_run_datasets WHERE run_id = (SELECT max(run_id) FROM _dataflow_runs)", []) == 15)
    }

    @Test func aPartialPassNeverDeletes() throws {
        let sandbox = try Sandbox(rows: 2000, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox) { _, text in text.replacingOccurrences(of: "size: 500", with: "size: 200") }
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        _ = try sandbox.control("POST", "/_control/mutate?dataset=licenses&purge=40")
        // The gateway's quota runs out after three more data requests: the pass cannot complete.
        try sandbox.control("POST", "/_control/config?quota=3")
        let before = try liveKeys(project)
        let result = try project.dataflow("sync", "--reconcile", "market_licenses")
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("quota"), "\(result.stderr)")
        #expect(try liveKeys(project) == before, "nothing was tombstoned by the partial pass")
    }

    @Test func aPassThatCannotBeVerifiedAgainstATotalNeverDeletes() throws {
        let sandbox = try Sandbox(rows: 400, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox) { _, text in text.replacingOccurrences(of: ", total: datas.total", with: "") }
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        _ = try sandbox.control("POST", "/_control/mutate?dataset=licenses&purge=10")
        let before = try liveKeys(project)
        let result = try project.dataflow("sync", "--reconcile", "market_licenses")
        #expect(result.status == 1)
        #expect(result.stderr.contains("reconcile pass not verified"), "\(result.stderr)")
        #expect(try liveKeys(project) == before)
    }

    @Test func aWeeklyScheduleReconcilesWhenDueOnly() throws {
        let sandbox = try Sandbox(rows: 300, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox) { file, text in
            file == "market_licenses.yml" ? text.replacingOccurrences(of: "key: [uscc]", with: "key: [uscc]\nreconcile: weekly") : text
        }
        #expect(try project.dataflow("sync", "market_licenses").status == 0)   // never reconciled: due, and recorded
        #expect(try project.database().scalarText("SELECT value FROM _dataflow_meta WHERE name = 'reconciled:market_licenses'") != nil)
        let body = try sandbox.control("POST", "/_control/mutate?dataset=licenses&purge=5")
        guard case .array(let purged)? = body["purged"] else { Issue.record("no purged list"); return }
        #expect(try project.dataflow("sync", "market_licenses").status == 0)   // not due again for a week
        #expect(try liveKeys(project).isSuperset(of: Set(purged.compactMap(\.text))))
        #expect(try project.dataflow("sync", "--reconcile", "market_licenses").status == 0)
        #expect(try liveKeys(project).isDisjoint(with: Set(purged.compactMap(\.text))))
    }

    @Test func reconcileOnADatasetWithoutIncrementalIsAConfigError() throws {
        let sandbox = try Sandbox(rows: 10, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox) { file, text in
            guard file == "market_licenses.yml" else { return text }
            let withoutIncremental = text.components(separatedBy: "\n").filter { !$0.hasPrefix("incremental:") && !$0.hasPrefix("  cursor:") && !$0.hasPrefix("  param:") && !$0.hasPrefix("  format:") && !$0.hasPrefix("  timezone:") && !$0.hasPrefix("  lookback:") && !$0.hasPrefix("  sorted:") }
            return withoutIncremental.joined(separator: "\n").replacingOccurrences(of: "key: [uscc]", with: "key: [uscc]\nreconcile: daily")
        }
        let result = try project.dataflow("validate")
        #expect(result.status == 2)
        #expect(result.stderr.contains("'reconcile' applies to incremental datasets"), "\(result.stderr)")
    }
}

@Suite("Tombstoned keys come back")
struct ResurrectionTests {
    @Test func aKeyTombstonedAsMissingThatReappearsUnchangedIsLiveAgain() throws {
        let p = try TestFiles.project()
        defer { try? FileManager.default.removeItem(at: p) }
        let config = try ProjectLoader(environment: [:]).load(root: p.path)
        let dataset = try #require(config.dataset(named: "market_licenses"))
        let warehouse = try SQLWarehouse(dialect: SQLiteDatabase(path: p.appendingPathComponent("w.db").path), purpose: .sync)
        try warehouse.prepare(dataset: dataset)
        let mapper = RecordMapper(dataset: dataset, dictionaries: config.dictionaries)
        let record = JSONValue.object(JSONObject([("TYSHXYDM", .string("91350100M000100Y43")), ("QYMC", .string("义乌市测试有限公司")),
                                                  ("UPDATE_TIME", .string("2026-01-01 08:00:00")), ("DEL_FLAG", .string("0"))]))
        guard case .row(let row) = mapper.map(record) else { Issue.record("rejected"); return }
        func apply(_ run: Int64) throws -> PageCounts {
            try warehouse.beginDataset(runID: run, dataset: dataset.name)
            return try warehouse.apply(PageBatch(runID: run, dataset: dataset, rows: [row], rejects: [], unmappedFields: [], watermark: nil,
                                                 fetched: 1, requests: 1, markSeen: true))
        }
        let run1 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        #expect(try apply(run1).inserted == 1)
        let run2 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        try warehouse.beginDataset(runID: run2, dataset: dataset.name)
        #expect(try warehouse.tombstoneUnseen(dataset: dataset, runID: run2) == 1)
        let run3 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        let counts = try apply(run3)
        #expect(counts.inserted == 1 && counts.unchanged == 0, "\(counts)")
        #expect(try warehouse.scalarInt("SELECT _deleted FROM market_licenses", []) == 0)
        #expect(try warehouse.scalarText("SELECT group_concat(op, '') FROM (SELECT op FROM _dataflow_changes ORDER BY seq)", []) == "IDI")
    }
}

/// A copy of the repository's example project in a temp folder.
enum TestFiles {
    static func project() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("resurrect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for item in ["dataflow.yml", "Mappings"] {
            try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent(item), to: dir.appendingPathComponent(item))
        }
        return dir
    }
}
