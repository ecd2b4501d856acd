import DataflowCore
import DataflowPostgres
import DataflowWarehouses
import Foundation
import Testing

/// Every backend the factory knows, in process: SQLite, PostgreSQL, and a third one the tests add
/// with one `register` line (`InMemoryBackend`). The page-apply logic is written once
/// (`DatasetApplier`), so each test here must give the same answer on each backend.
enum EngineBackend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres, memory

    var testDescription: String { rawValue }

    /// The shared factory plus the test-only backend.
    static var factory: WarehouseFactory {
        var factory = WarehouseFactory.standard
        factory.register(InMemoryBackend())
        return factory
    }

    /// A fresh, empty warehouse location; `cleanup` removes it.
    func freshLocation() throws -> (location: DatabaseLocation, cleanup: () -> Void) {
        switch self {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("engine-\(UUID().uuidString)")
            return (.sqlite(path: dir.appendingPathComponent("warehouse/county.db").path), { try? FileManager.default.removeItem(at: dir) })
        case .postgres:
            let schema = TestPostgres.freshSchema()
            return (.postgres(try TestPostgres.location(schema: schema)), { TestPostgres.dropSchema(schema) })
        case .memory:
            return (InMemoryBackend.location(UUID().uuidString), {})
        }
    }
}

/// The licence dataset of a sandbox county, mapped in process, and a fresh warehouse on one
/// backend with the dictionaries loaded and the dataset prepared.
struct LicenceWarehouse {
    let sandbox: Sandbox
    let project: CountyProject
    let dataset: DatasetConfig
    let mapper: RecordMapper
    let records: [JSONValue]
    let location: DatabaseLocation
    let warehouse: Warehouse
    let cleanup: () -> Void

    init(_ backend: EngineBackend, rows: Int) throws {
        sandbox = try Sandbox(rows: rows)
        project = try CountyProject(sandbox: sandbox)
        let config = try project.config()
        dataset = try #require(config.dataset(named: "market_licenses"))
        mapper = RecordMapper(dataset: dataset, dictionaries: config.dictionaries)
        records = try sandbox.truth("licenses")
        (location, cleanup) = try backend.freshLocation()
        warehouse = try EngineBackend.factory.open(location, purpose: .sync)
        try warehouse.loadDictionaries(config.dictionaries)
        try warehouse.prepare(dataset: dataset)
    }

    /// Record `i` mapped, with the company name set to `name` when given.
    func row(_ i: Int, name: String? = nil) throws -> MappedRow {
        guard case .object(var o) = records[i] else { throw WarehouseError("record \(i) is not an object") }
        if let name { o = WarehouseEngineConformanceTests.setting(o, "QYMC", .string(name)) }
        guard case .row(let r) = mapper.map(.object(o)) else { throw WarehouseError("record \(i) was rejected") }
        return r
    }
}

@Suite("Warehouse conformance in process: SQLite, PostgreSQL and a test-only in-memory backend")
struct WarehouseEngineConformanceTests {
    /// Insert, unchanged, update, a key twice on one page, a quarantined record and its resolution,
    /// tombstones after a complete pass, and the counters that must agree with the table.
    @Test(arguments: EngineBackend.allCases)
    func pageApplyDecidesTheSameOnEveryBackend(_ backend: EngineBackend) throws {
        let sandbox = try Sandbox(rows: 6)
        let project = try CountyProject(sandbox: sandbox)
        let config = try project.config()
        let dataset = try #require(config.dataset(named: "market_licenses"))
        let mapper = RecordMapper(dataset: dataset, dictionaries: config.dictionaries)
        let records = try sandbox.truth("licenses")
        func row(_ i: Int, name: String? = nil, deleted: Bool = false) throws -> MappedRow {
            guard case .object(var o) = records[i] else { throw WarehouseError("record \(i) is not an object") }
            if let name { o = Self.setting(o, "QYMC", .string(name)) }
            o = Self.setting(o, "DEL_FLAG", .string(deleted ? "1" : "0"))
            guard case .row(let r) = mapper.map(.object(o)) else { throw WarehouseError("record \(i) was rejected") }
            return r
        }
        guard case .object(var broken) = records[3] else { throw WarehouseError("record 3 is not an object") }
        broken = Self.setting(broken, "UPDATE_TIME", .string("not a time"))
        guard case .rejected(let reject) = mapper.map(.object(broken)) else { throw WarehouseError("record 3 was not rejected") }
        let rejectedKey = try #require(reject.key)

        let (location, cleanup) = try backend.freshLocation()
        defer { cleanup() }
        let warehouse = try EngineBackend.factory.open(location, purpose: .sync)
        #expect(warehouse.backend == backend.rawValue)
        try warehouse.loadDictionaries(config.dictionaries)
        try warehouse.prepare(dataset: dataset)
        func page(_ run: Int64, _ rows: [MappedRow], rejects: [RejectedRecord] = [], markSeen: Bool = false) throws -> PageCounts {
            try warehouse.beginDataset(runID: run, dataset: dataset.name)
            return try warehouse.apply(PageBatch(runID: run, dataset: dataset, rows: rows, rejects: rejects, unmappedFields: ["EXTRA"],
                                                 watermark: nil, fetched: rows.count + rejects.count, requests: 1, markSeen: markSeen))
        }
        func ops(_ run: Int64) throws -> String {
            var out = ""
            try warehouse.forEachRow("SELECT op FROM _dataflow_changes WHERE run_id = ? ORDER BY seq", [.integer(run)]) { out += $0.text(0) ?? "" }
            return out
        }

        let run1 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        let first = try page(run1, [row(0), row(1), row(2, deleted: true)], rejects: [reject])
        #expect(first == counts(inserted: 2, deleted: 1, rejected: 1))
        #expect(try ops(run1) == "IID")

        let run2 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        let changed = try row(1, name: "改名一次"), changedAgain = try row(1, name: "改名两次")
        let second = try page(run2, [row(0), changed, changedAgain, row(3)])
        #expect(second == counts(inserted: 1, updated: 2, unchanged: 1), "a key twice on one page is decided against its first version")
        #expect(try ops(run2) == "UUI")
        #expect(try warehouse.scalarText("SELECT _hash FROM market_licenses WHERE _key = ?", [.text(changed.key)]) == changedAgain.hash)
        #expect(try warehouse.scalarInt("SELECT resolved_run_id FROM _dataflow_rejects WHERE key = ?", [.text(rejectedKey)]) == run2,
                "a clean record of the key resolves its reject")

        // A complete snapshot pass that saw only record 0: the other live keys are tombstoned, once.
        let run3 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        #expect(try page(run3, [row(0)], markSeen: true) == counts(unchanged: 1))
        #expect(try warehouse.unseenLiveCount(dataset: dataset, runID: run3) == 2)
        #expect(try warehouse.tombstoneUnseen(dataset: dataset, runID: run3) == 2)
        #expect(try warehouse.tombstoneUnseen(dataset: dataset, runID: run3) == 0)
        #expect(try ops(run3) == "DD")

        // A tombstoned key that comes back unchanged is live again ("I"), not unchanged.
        let run4 = try warehouse.beginRun(datasets: [dataset.name], options: "")
        #expect(try page(run4, [row(3)]) == counts(inserted: 1))

        // State, run counters and per-matter counts agree with the table.
        #expect(try warehouse.state(of: dataset.name).rows == Int(warehouse.scalarInt("SELECT count(*) FROM market_licenses WHERE _deleted = 0", []) ?? -1))
        #expect(try warehouse.state(of: dataset.name).deletedRows == Int(warehouse.scalarInt("SELECT count(*) FROM market_licenses WHERE _deleted = 1", []) ?? -1))
        #expect(try warehouse.scalarInt("SELECT deleted FROM _dataflow_run_datasets WHERE run_id = ?", [.integer(run3)]) == 2)
        #expect(try warehouse.scalarInt("SELECT coalesce(sum(rows), 0) FROM _dataflow_dataset_matters WHERE dataset = 'market_licenses'", [])
                == warehouse.scalarInt("SELECT count(*) FROM market_licenses WHERE _deleted = 0 AND _matter IS NOT NULL", []))
        #expect(try warehouse.scalarInt("SELECT count(*) FROM _dataflow_schema WHERE dataset = 'market_licenses' AND field = 'EXTRA' AND mapped = 0", []) == 1)
        #expect(try warehouse.rejects(dataset: dataset.name, includeResolved: true).count == 1)
    }

    /// On a table that held nothing, SQLite inserts a page's absent keys first and reads only the
    /// keys it found there (`DatasetTableWriter.insertAbsent`); PostgreSQL and the in-memory
    /// backend read first. All decide a new key twice on one page against its first version, and
    /// the pages after it (known keys, an update back, new keys) the same way, keeping `_first_seen`.
    @Test(arguments: EngineBackend.allCases)
    func aNewKeyTwiceOnOnePageIsDecidedAgainstItsFirstVersion(_ backend: EngineBackend) throws {
        let fixture = try LicenceWarehouse(backend, rows: 6)
        defer { fixture.cleanup() }
        let (warehouse, dataset) = (fixture.warehouse, fixture.dataset)
        func page(_ rows: [MappedRow]) throws -> (PageCounts, String) {
            let run = try warehouse.beginRun(datasets: [dataset.name], options: "")
            try warehouse.beginDataset(runID: run, dataset: dataset.name)
            let counts = try warehouse.apply(PageBatch(runID: run, dataset: dataset, rows: rows, rejects: [], unmappedFields: [],
                                                       watermark: nil, fetched: rows.count, requests: 1))
            var ops = ""
            try warehouse.forEachRow("SELECT op FROM _dataflow_changes WHERE run_id = ? ORDER BY seq", [.integer(run)]) { ops += $0.text(0) ?? "" }
            return (counts, ops)
        }
        let renamed = try fixture.row(0, name: "改名一次")
        let first = try page([fixture.row(0), renamed, fixture.row(1), fixture.row(1), fixture.row(2)])
        #expect(first.0 == counts(inserted: 3, updated: 1, unchanged: 1))
        #expect(first.1 == "IUII")
        #expect(try warehouse.scalarText("SELECT _hash FROM market_licenses WHERE _key = ?", [.text(renamed.key)]) == renamed.hash)
        #expect(try warehouse.scalarInt("SELECT count(*) FROM market_licenses", []) == 3)
        // Backdated, so a write that reset `_first_seen` would show within the same second.
        try warehouse.execute("UPDATE market_licenses SET _first_seen = '2000-01-01T00:00:00Z' WHERE _key = ?", [.text(renamed.key)])

        // Known keys (one changed back, one unchanged) and a new one.
        let second = try page([fixture.row(0), fixture.row(1), fixture.row(3)])
        #expect(second.0 == counts(inserted: 1, updated: 1, unchanged: 1))
        #expect(second.1 == "UI")
        #expect(try warehouse.scalarText("SELECT _first_seen FROM market_licenses WHERE _key = ?", [.text(renamed.key)]) == "2000-01-01T00:00:00Z")
        #expect(try warehouse.state(of: dataset.name).rows == 4)
        let third = try page([fixture.row(4), fixture.row(0)])
        #expect(third.0 == counts(inserted: 1, unchanged: 1))
        #expect(try warehouse.scalarInt("SELECT count(*) FROM _dataflow_changes", []) == 7)
    }

    /// The whole engine against the sandbox: a full sync and an incremental one equal the truth.
    @Test(arguments: EngineBackend.allCases)
    func syncEngineReachesTheTruth(_ backend: EngineBackend) throws {
        let sandbox = try Sandbox(rows: 700, caseRows: 300)
        let project = try CountyProject(sandbox: sandbox)
        let config = try project.config()
        let (location, cleanup) = try backend.freshLocation()
        defer { cleanup() }
        let warehouse = try EngineBackend.factory.open(location, purpose: .sync)
        let first = try SyncEngine(project: config, warehouse: warehouse, factory: EngineBackend.factory).run(datasets: [])
        #expect(first.exitCode == 0, "\(first.datasets.compactMap(\.error))")
        try TruthComparison.expectEqual(project, dataset: "market_licenses", in: warehouse)
        try TruthComparison.expectEqual(project, dataset: "service_cases", in: warehouse)

        try sandbox.advanceClock(seconds: 3600)
        _ = try sandbox.mutate("licenses", update: 30, insert: 20, delete: 10)
        let second = try SyncEngine(project: config, warehouse: warehouse, factory: EngineBackend.factory).run(datasets: ["market_licenses"])
        #expect(second.exitCode == 0, "\(second.datasets.compactMap(\.error))")
        #expect(second.datasets.first?.counts.inserted == 20)
        try TruthComparison.expectEqual(project, dataset: "market_licenses", in: warehouse)
    }

    /// Pages whose walk already holds the next page are grouped into one transaction
    /// (`SQLWarehouse.apply`). Another connection sees nothing of a group until it commits — a
    /// page with nothing in hand commits it — and then sees every page of it with its state. A
    /// page that fails rolls its whole group back, data and state together, and the warehouse
    /// goes on. The change feed keeps the pages' order across its multi-row inserts.
    @Test(arguments: [EngineBackend.sqlite, .postgres])
    func groupedPagesCommitTogetherAndAFailedPageRollsBackItsGroup(_ backend: EngineBackend) throws {
        let fixture = try LicenceWarehouse(backend, rows: 130)
        defer { fixture.cleanup() }
        let (warehouse, dataset) = (fixture.warehouse, fixture.dataset)
        let rows = try (0..<130).map { try fixture.row($0) }
        let run = try warehouse.beginRun(datasets: [dataset.name], options: "")
        try warehouse.beginDataset(runID: run, dataset: dataset.name)
        let reader = try EngineBackend.factory.open(fixture.location, purpose: .read)
        func committedRows() throws -> Int64? { try reader.scalarInt("SELECT count(*) FROM market_licenses", []) }
        func committedWatermark() throws -> Int64? {
            try reader.scalarInt("SELECT watermark FROM _dataflow_state WHERE dataset = 'market_licenses'", [])
        }
        func apply(_ page: ArraySlice<MappedRow>, watermark: Int, nextInHand: Bool) throws -> PageCounts {
            var batch = PageBatch(runID: run, dataset: dataset, rows: Array(page), rejects: [], unmappedFields: [],
                                  watermark: (watermark, "w\(watermark)"), fetched: page.count, requests: 1)
            batch.nextInHand = nextInHand
            return try warehouse.apply(batch)
        }

        #expect(try apply(rows[0..<60], watermark: 100, nextInHand: true) == counts(inserted: 60))
        #expect(try committedRows() == 0, "a grouped page is not committed while its walk holds the next one")
        #expect(try committedWatermark() == nil)
        #expect(try apply(rows[60..<70], watermark: 200, nextInHand: false) == counts(inserted: 10))
        #expect(try committedRows() == 70, "a page with nothing in hand commits its group")
        #expect(try committedWatermark() == 200)

        #expect(try apply(rows[70..<100], watermark: 300, nextInHand: true) == counts(inserted: 30))
        var broken = rows[100]
        broken.values.append(.text("one value more than the table has columns"))
        #expect(throws: (any Error).self) { try apply([broken], watermark: 400, nextInHand: true) }
        #expect(try committedRows() == 70, "the failed page's group is rolled back")
        #expect(try warehouse.state(of: dataset.name).watermark == 200, "with its state")
        #expect(try warehouse.scalarInt("SELECT count(*) FROM market_licenses", []) == 70)

        #expect(try apply(rows[70..<130], watermark: 500, nextInHand: false) == counts(inserted: 60))
        #expect(try committedRows() == 130)
        #expect(try committedWatermark() == 500)
        var fed: [String] = []
        try reader.forEachRow("SELECT key, op FROM _dataflow_changes ORDER BY seq", []) { row in
            #expect(row.text(1) == "I")
            fed.append(row.text(0) ?? "")
        }
        #expect(fed == rows.map(\.key), "one I per row, in the order the pages carried them")
    }

    /// A group of pages whose commit fails when another call commits it (another worker's dataset,
    /// a report) is rolled back, and its own walk must not go on as if those pages were stored: its
    /// next page, its pass end, its seen-key counts and its tombstones fail, so no watermark moves
    /// past the lost rows and nothing is tombstoned for want of them. The commit is made to fail for
    /// real, with a deferred foreign key SQLite checks at COMMIT.
    @Test func aGroupThatFailsToCommitUnderAnotherCallStopsItsDataset() throws {
        let fixture = try LicenceWarehouse(.sqlite, rows: 40)
        defer { fixture.cleanup() }
        let (warehouse, dataset) = (fixture.warehouse, fixture.dataset)
        let sql = try #require(warehouse as? SQLWarehouse)
        try sql.dialect.executeScript("""
            PRAGMA foreign_keys=ON;
            CREATE TABLE test_parent (id INTEGER PRIMARY KEY);
            CREATE TABLE test_child (parent INTEGER REFERENCES test_parent (id) DEFERRABLE INITIALLY DEFERRED);
            """)
        let rows = try (0..<40).map { try fixture.row($0) }
        let run = try warehouse.beginRun(datasets: [dataset.name], options: "")
        try warehouse.beginDataset(runID: run, dataset: dataset.name)
        func apply(_ page: ArraySlice<MappedRow>, watermark: Int) throws -> PageCounts {
            var batch = PageBatch(runID: run, dataset: dataset, rows: Array(page), rejects: [], unmappedFields: [],
                                  watermark: (watermark, "w\(watermark)"), fetched: page.count, requests: 1)
            batch.nextInHand = true
            return try warehouse.apply(batch)
        }
        #expect(try apply(rows[0..<10], watermark: 100) == counts(inserted: 10))
        // Something in the open transaction that COMMIT refuses.
        try sql.dialect.execute("INSERT INTO test_child (parent) VALUES (1)", [])
        #expect(throws: (any Error).self) { _ = try warehouse.metaValue("anything") }

        #expect(try warehouse.scalarInt("SELECT count(*) FROM market_licenses", []) == 0, "the group was rolled back")
        let stopped = #expect(throws: WarehouseError.self) { _ = try apply(rows[10..<20], watermark: 200) }
        #expect(stopped?.description.contains("rolled back") == true, "\(String(describing: stopped))")
        #expect(throws: WarehouseError.self) { try warehouse.finishPass(dataset: dataset.name, watermark: (300, "w300")) }
        #expect(throws: WarehouseError.self) { _ = try warehouse.unseenLiveCount(dataset: dataset, runID: run) }
        #expect(throws: WarehouseError.self) { _ = try warehouse.tombstoneUnseen(dataset: dataset, runID: run) }
        #expect(try warehouse.state(of: dataset.name).watermark == nil, "no watermark past the lost rows")
        #expect(try warehouse.scalarInt("SELECT count(*) FROM market_licenses", []) == 0)

        // The next run of the dataset starts clean and stores those pages.
        try sql.dialect.executeScript("DELETE FROM test_child")
        let next = try warehouse.beginRun(datasets: [dataset.name], options: "")
        try warehouse.beginDataset(runID: next, dataset: dataset.name)
        var batch = PageBatch(runID: next, dataset: dataset, rows: Array(rows[0..<20]), rejects: [], unmappedFields: [],
                              watermark: (200, "w200"), fetched: 20, requests: 1)
        batch.nextInHand = false
        #expect(try warehouse.apply(batch) == counts(inserted: 20))
        #expect(try warehouse.scalarInt("SELECT count(*) FROM market_licenses", []) == 20)
    }

    /// A key that changes twice inside one group of pages ends with its last content, and the
    /// change feed says I then U then U — on every backend (PostgreSQL stages each page in a
    /// temporary table, which must hold that page alone).
    @Test(arguments: EngineBackend.allCases)
    func aKeyChangedTwiceInOneGroupEndsWithItsLastContent(_ backend: EngineBackend) throws {
        let fixture = try LicenceWarehouse(backend, rows: 4)
        defer { fixture.cleanup() }
        let (warehouse, dataset) = (fixture.warehouse, fixture.dataset)
        func row(_ i: Int, name: String) throws -> MappedRow { try fixture.row(i, name: name) }
        let run = try warehouse.beginRun(datasets: [dataset.name], options: "")
        try warehouse.beginDataset(runID: run, dataset: dataset.name)
        for (rows, nextInHand) in [([try row(0, name: "甲"), try row(1, name: "乙")], true),
                                   ([try row(0, name: "丙")], true),
                                   ([try row(2, name: "丁"), try row(0, name: "戊")], false)] {
            var batch = PageBatch(runID: run, dataset: dataset, rows: rows, rejects: [], unmappedFields: [],
                                  watermark: nil, fetched: rows.count, requests: 1)
            batch.nextInHand = nextInHand
            _ = try warehouse.apply(batch)
        }
        let key = try row(0, name: "戊").key
        #expect(try warehouse.scalarText("SELECT name FROM market_licenses WHERE _key = ?", [.text(key)]) == "戊")
        #expect(try warehouse.scalarInt("SELECT count(*) FROM market_licenses", []) == 3)
        var ops = ""
        try warehouse.forEachRow("SELECT op FROM _dataflow_changes WHERE key = ? ORDER BY seq", [.text(key)]) { ops += $0.text(0) ?? "" }
        #expect(ops == "IUU")
    }

    /// Migration 5 rewrites the change feed's op check as comparisons: the rule still holds on
    /// every backend, and on SQLite the connection that migrated already inserts without the
    /// temporary index an `IN` list needed (no `OpenEphemeral` in the plan).
    @Test(arguments: EngineBackend.allCases)
    func theChangeFeedStillRefusesAnUnknownOpAfterItsCheckWasRewritten(_ backend: EngineBackend) throws {
        let fixture = try LicenceWarehouse(backend, rows: 2)
        defer { fixture.cleanup() }
        let warehouse = fixture.warehouse
        let insert = "INSERT INTO _dataflow_changes (run_id, dataset, key, op, hash, at) VALUES (1, 'market_licenses', 'k', ?, 'h', 't')"
        #expect(throws: (any Error).self) { try warehouse.execute(insert, [.text("X")]) }
        for op in ["I", "U", "D"] { try warehouse.execute(insert, [.text(op)]) }
        #expect(try warehouse.scalarInt("SELECT count(*) FROM _dataflow_changes", []) == 3)
        #expect(try warehouse.scalarInt("SELECT max(version) FROM _dataflow_migrations", []) == 5)
        guard backend != .postgres else { return }
        let schema = try warehouse.scalarText("SELECT sql FROM sqlite_master WHERE name = '_dataflow_changes'", []) ?? ""
        #expect(schema.contains("CHECK (op = 'I' OR op = 'U' OR op = 'D')") && !schema.contains(" IN ("), "\(schema)")
        var opcodes: [String] = []
        try warehouse.forEachRow("EXPLAIN " + insert, [.text("I")]) { opcodes.append($0.text(1) ?? "") }
        #expect(!opcodes.isEmpty && !opcodes.contains("OpenEphemeral"), "\(opcodes)")
        #expect(try warehouse.scalarText("PRAGMA integrity_check", []) == "ok")
    }

    /// A warehouse the previous release made (version 4, with a change feed) is migrated in place:
    /// every change keeps its sequence and values, sequences go on from the last one, and the
    /// file passes SQLite's integrity check.
    @Test func aWarehouseOfTheLastReleaseKeepsItsChangeFeedThroughTheCheckRewrite() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("migrate-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        let path = dir.appendingPathComponent("county.db").path
        let before = [["1", "1", "d", "a", "I", "h1", "t1"], ["2", "1", "d", "b", "U", "h2", "t1"], ["3", "2", "d", "a", "D", "h3", "t2"]]
        do {
            let db = try SQLiteDatabase(path: path)
            try db.exec("CREATE TABLE _dataflow_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)")
            for migration in WarehouseMigrations.all where migration.version <= 4 {
                try db.exec(migration.sql)
                try db.execute("INSERT INTO _dataflow_migrations VALUES (?, ?, 'then')", [.integer(Int64(migration.version)), .text(migration.name)])
            }
            for row in before {
                try db.execute("INSERT INTO _dataflow_changes (run_id, dataset, key, op, hash, at) VALUES (?, ?, ?, ?, ?, ?)",
                               [.integer(Int64(row[1]) ?? 0)] + row[2...].map { CellValue.text($0) })
            }
        }
        let warehouse = try EngineBackend.factory.open(.sqlite(path: path), purpose: .sync)
        #expect(try warehouse.scalarInt("SELECT max(version) FROM _dataflow_migrations", []) == 5)
        var after: [[String]] = []
        try warehouse.forEachRow("SELECT seq, run_id, dataset, key, op, hash, at FROM _dataflow_changes ORDER BY seq", []) { row in
            after.append((0..<7).map { row.text($0) ?? "" })
        }
        #expect(after == before)
        try warehouse.execute("INSERT INTO _dataflow_changes (run_id, dataset, key, op, hash, at) VALUES (3, 'd', 'c', 'I', 'h4', 't3')", [])
        #expect(try warehouse.scalarInt("SELECT max(seq) FROM _dataflow_changes", []) == 4)
        #expect(throws: (any Error).self) {
            try warehouse.execute("INSERT INTO _dataflow_changes (run_id, dataset, key, op, hash, at) VALUES (3, 'd', 'c', 'x', 'h5', 't3')", [])
        }
        #expect(try warehouse.scalarText("PRAGMA integrity_check", []) == "ok")
        let schema = try warehouse.scalarText("SELECT sql FROM sqlite_master WHERE name = '_dataflow_changes'", []) ?? ""
        #expect(schema.contains("CHECK (op = 'I' OR op = 'U' OR op = 'D')"), "\(schema)")
        // With the migrating connection still open, the file alone already holds version 5: a
        // reader who cannot write beside it opens it immutable and sees no WAL.
        let fileAlone = try SQLiteDatabase(path: path, readOnly: true, immutable: true)
        #expect(try fileAlone.scalarInt("SELECT max(version) FROM _dataflow_migrations", []) == 5)
        // The rewrite only saves time: a schema without the old text is left as it is, and the
        // migration does not fail (a sync must never be blocked by it).
        let again = try SQLiteDatabase(path: path)
        try again.transaction { try again.replaceCheck(table: "_dataflow_changes", old: "CHECK (op IN ('I','U','D'))", new: "CHECK (op <> 'X')") }
        #expect(try again.scalarText("SELECT sql FROM sqlite_master WHERE name = '_dataflow_changes'", []) == schema)
    }

    /// A read-only open never migrates: an empty location says to run a sync first.
    @Test(arguments: EngineBackend.allCases)
    func aReadOfAWarehouseThatDoesNotExistSaysToSyncFirst(_ backend: EngineBackend) throws {
        let (location, cleanup) = try backend.freshLocation()
        defer { cleanup() }
        let error = #expect(throws: (any Error).self) { try EngineBackend.factory.open(location, purpose: .read) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("run `dataflow sync` first"), "\(String(describing: error))")
    }

    static func setting(_ object: JSONObject, _ key: String, _ value: JSONValue) -> JSONObject {
        var o = object
        if let i = o.members.firstIndex(where: { $0.key == key }) { o.members[i].value = value } else { o.members.append((key, value)) }
        return o
    }

    func counts(inserted: Int = 0, updated: Int = 0, unchanged: Int = 0, deleted: Int = 0, rejected: Int = 0) -> PageCounts {
        var c = PageCounts()
        c.inserted = inserted
        c.updated = updated
        c.unchanged = unchanged
        c.deleted = deleted
        c.rejected = rejected
        return c
    }
}
