import DataflowCore
import Foundation
import Testing

/// A gateway that lies about its total, serves the same page forever, or changes while a client
/// pages must never make dataflow tombstone a live row; every such run ends by itself, non-zero,
/// saying what the gateway did (docs/security.md, "A gateway's mistake never empties a table").
@Suite("A gateway's mistake never empties a table")
struct HostileGatewayTests {
    /// A full-snapshot dataset (no `incremental`) read from the sandbox's open routes with `paging`.
    static func snapshotDataset(_ name: String, paging: String) -> String {
        let (params, pagination): (String, String)
        switch paging {
        case "page": (params, pagination) = ("{}", "{ type: page, page_param: pageNum, size_param: pageSize, size: 50, total: total }")
        case "offset": (params, pagination) = ("{}", "{ type: offset, size: 50, total: total }")
        case "next-url": (params, pagination) = ("{ limit: \"50\" }", "{ type: next-url, path: next }")
        default: (params, pagination) = ("{ limit: \"50\" }", "{ type: link-header }")
        }
        return """
        dataset: \(name)
        source: portal
        request:
          path: /open/none/\(paging)/plain/licenses.json
          params: \(params)
          records: records
          pagination: \(pagination)
        key: [uscc]
        deleted: { field: DEL_FLAG, equals: "1" }
        matters: { field: SXBM }
        fields:
          uscc:        { from: TYSHXYDM, type: text, check: uscc, required: true }
          name:        { from: QYMC, type: text, transform: [trim] }
          updated_at:  { from: UPDATE_TIME, type: datetime, format: "yyyy-MM-dd HH:mm:ss" }
        """
    }

    static func project(_ sandbox: Sandbox, paging: String, backend: Backend = .sqlite) throws -> CountyProject {
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [], backend: backend)
        try snapshotDataset("licenses_snapshot", paging: paging)
            .write(to: project.root.appendingPathComponent("Mappings/datasets/licenses_snapshot.yml"), atomically: true, encoding: .utf8)
        return project
    }

    static func count(_ project: CountyProject, _ sql: String) throws -> Int64 {
        try project.reader().scalarInt(sql, []) ?? -1
    }

    /// (hostile mode query, paging, what the message must say)
    static let modes: [(String, String, String)] = [
        ("mode=short-total&total=3", "page", "reported a total of 3 but one response held 50 records"),
        ("mode=short-total&total=120", "offset", "more than the gateway's total of 120: the total is wrong"),
        ("mode=short-total&total=120", "page", "more than the gateway's total of 120: the total is wrong"),
        // A total that falls on a page boundary: the walk reaches it with a full page, and only
        // the page after it shows that the gateway holds more.
        ("mode=short-total&total=250", "page", "more than the gateway's total of 250: the total is wrong"),
        ("mode=short-total&total=250", "offset", "more than the gateway's total of 250: the total is wrong"),
        ("mode=same-page", "page", "page 2 is identical to page 1 of this pass"),
        ("mode=same-page", "next-url", "page 2 is identical to page 1 of this pass"),
        ("mode=same-page", "link-header", "page 2 is identical to page 1 of this pass"),
    ]

    @Test(arguments: 0..<modes.count)
    func aLyingGatewayTombstonesNothingAndTheRunSaysWhatItDid(_ index: Int) throws {
        let (mode, paging, message) = Self.modes[index]
        let sandbox = try Sandbox(rows: 300)
        let project = try Self.project(sandbox, paging: paging)
        let first = try project.dataflow("sync", "--quiet")
        #expect(first.status == 0, "\(first.output)")
        let live = try Self.count(project, "SELECT count(*) FROM licenses_snapshot WHERE _deleted = 0")

        try sandbox.control("POST", "/_control/hostile?\(mode)")
        let requestsBefore = try sandbox.stats()["data_requests"] ?? 0
        let lied = try project.dataflow("sync", "--log-format", "json")
        #expect(lied.status == 1, "\(mode) \(paging): \(lied.output)")
        #expect(lied.stderr.contains(message), "\(mode) \(paging): \(lied.stderr)")
        #expect(lied.stderr.contains("nothing was tombstoned"), "\(lied.stderr)")
        #expect(try Self.count(project, "SELECT count(*) FROM licenses_snapshot WHERE _deleted = 0") == live, "no live row tombstoned")
        #expect(try Self.count(project, "SELECT count(*) FROM _dataflow_changes WHERE op = 'D' AND run_id > 1") == 0)
        // It ended by itself, after a handful of requests, not thousands.
        #expect((try sandbox.stats()["data_requests"] ?? 0) - requestsBefore <= 8, "\(mode) \(paging)")
        let status = try project.dataflow("status")
        #expect(status.stdout.replacingOccurrences(of: "\n    ", with: " ").contains(message), "status shows what the gateway did: \(status.stdout)")
    }

    /// A cursor walk (`sorted: true`, pages of 50) over the same open route, filtered by update time.
    static var cursorDataset: String {
        snapshotDataset("licenses_by_cursor", paging: "page").replacingOccurrences(of: "key: [uscc]", with: """
            incremental: { cursor: UPDATE_TIME, param: startTime, format: "yyyy-MM-dd HH:mm:ss", lookback: 0s, sorted: true }
            key: [uscc]
            """)
    }

    /// A cursor walk took a full page that reached the gateway's total for the end: a first load
    /// under a total of 50 (the page size) stored 50 of 300 records and said ok, and a reconcile
    /// was stopped only by the mass-delete guard (a smaller lie would have tombstoned live keys).
    /// A total that sent the walk on past a short page was blamed on records sharing a cursor value.
    @Test func aCursorWalkReadsPastATotalThatEndsOnAFullPageAndNamesTheLie() throws {
        let sandbox = try Sandbox(rows: 300)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [])
        try Self.cursorDataset.write(to: project.root.appendingPathComponent("Mappings/datasets/licenses_by_cursor.yml"), atomically: true, encoding: .utf8)
        try sandbox.control("POST", "/_control/hostile?mode=short-total&total=50")
        let first = try project.dataflow("sync", "--quiet")
        #expect(first.status == 0, "\(first.output)")
        try TruthComparison.expectEqual(project, dataset: "licenses_by_cursor")
        let live = try Self.count(project, "SELECT count(*) FROM licenses_by_cursor WHERE _deleted = 0")

        for total in [50, 100] {
            try sandbox.control("POST", "/_control/hostile?mode=short-total&total=\(total)")
            let reconcile = try project.dataflow("sync", "--reconcile", "licenses_by_cursor")
            #expect(reconcile.status == 1, "total \(total): \(reconcile.output)")
            #expect(reconcile.stderr.contains("more than the gateway's total of \(total): the total is wrong"), "total \(total): \(reconcile.stderr)")
            #expect(!reconcile.stderr.contains("mass-delete") && !reconcile.stderr.contains("sharing one cursor value"), "\(reconcile.stderr)")
            #expect(try Self.count(project, "SELECT count(*) FROM licenses_by_cursor WHERE _deleted = 0") == live)
            #expect(try Self.count(project, "SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 0)
        }
        // The truth again: the reconcile is complete.
        try sandbox.control("POST", "/_control/hostile?mode=off")
        let honest = try project.dataflow("sync", "--reconcile", "licenses_by_cursor")
        #expect(honest.status == 0 && honest.output.contains("a complete pass of the key set"), "\(honest.output)")
    }

    /// A reconcile by cursor of a dataset that fits in one page — one record, or records that all
    /// share one cursor value — confirms its first page: the empty page under the same bound that
    /// ends it was counted as paging inside a run of one value, and every such reconcile failed
    /// (found by a second read of the change that added the confirmation).
    @Test(arguments: [1, 37])
    func aReconcileOfADatasetThatFitsInOnePageIsComplete(_ rows: Int) throws {
        let sandbox = try Sandbox(rows: rows)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [])
        try Self.cursorDataset.write(to: project.root.appendingPathComponent("Mappings/datasets/licenses_by_cursor.yml"), atomically: true, encoding: .utf8)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let reconcile = try project.dataflow("sync", "--reconcile", "licenses_by_cursor")
        #expect(reconcile.status == 0 && reconcile.output.contains("a complete pass of the key set"), "\(rows): \(reconcile.output)")
        #expect(!reconcile.output.contains("at most"), "no page cap is claimed: \(reconcile.output)")
        try TruthComparison.expectEqual(project, dataset: "licenses_by_cursor")
    }

    /// A gateway that caps its pages (40 of the 50 asked) and reports the records it sent as its
    /// total (a common reading of `total`): the first page looked like a whole dataset of 40, the
    /// pass was complete after one request, and 260 live rows were tombstoned (the mass-delete guard
    /// stopped that one; a loss under 10 % went through, exit 0). The first page is now confirmed
    /// like a full one (in a cursor walk, when the pass tombstones: a reconcile).
    @Test(arguments: ["page", "offset", "cursor"])
    func aCappedFirstPageReportedAsTheTotalIsConfirmedNotTakenForTheEnd(_ walk: String) throws {
        let sandbox = try Sandbox(rows: 300)
        let project: CountyProject
        let table: String
        if walk == "cursor" {
            project = try CountyProject(sandbox: sandbox, connectorDatasets: [])
            try Self.cursorDataset.write(to: project.root.appendingPathComponent("Mappings/datasets/licenses_by_cursor.yml"), atomically: true, encoding: .utf8)
            table = "licenses_by_cursor"
        } else {
            project = try Self.project(sandbox, paging: walk)
            table = "licenses_snapshot"
        }
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let live = try Self.count(project, "SELECT count(*) FROM \(table) WHERE _deleted = 0")
        try sandbox.control("POST", "/_control/config?max_page_size=40")
        try sandbox.control("POST", "/_control/hostile?mode=short-total&total=40")
        let capped = try project.dataflow(walk == "cursor" ? ["sync", "--reconcile", table] : ["sync"])
        #expect(capped.status == 1, "\(walk): \(capped.output)")
        #expect(capped.stderr.contains("more than the gateway's total of 40: the total is wrong"), "\(walk): \(capped.stderr)")
        #expect(!capped.stderr.contains("mass-delete"), "\(capped.stderr)")
        #expect(try Self.count(project, "SELECT count(*) FROM \(table) WHERE _deleted = 0") == live)
        #expect(try Self.count(project, "SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 0)
    }

    @Test func aSnapshotPageWalkUnderChangeTombstonesNothingFalselyAndTheFeedHasNoFalseDeletes() throws {
        for paging in ["page", "next-url"] {
            let sandbox = try Sandbox(rows: 400)
            let project = try Self.project(sandbox, paging: paging)
            #expect(try project.dataflow("sync", "--quiet").status == 0)
            let seq = try Self.count(project, "SELECT max(seq) FROM _dataflow_changes")

            // While the client pages, every request moves 3 records to the end and inserts 1.
            try sandbox.advanceClock(seconds: 60)
            try sandbox.control("POST", "/_control/drift?dataset=licenses&per_request=3&insert_per_request=1")
            let moving = try project.dataflow("sync")
            #expect(moving.status == 1, "\(paging): \(moving.output)")
            #expect(moving.stderr.contains("the pass was not complete"), "\(paging): \(moving.stderr)")
            #expect(try Self.count(project, "SELECT count(*) FROM _dataflow_changes WHERE op = 'D' AND seq > \(seq)") == 0, "\(paging)")

            // Upstream is still again: the next sync is complete and equals the truth.
            try sandbox.control("POST", "/_control/drift?dataset=licenses&per_request=0")
            let still = try project.dataflow("sync")
            #expect(still.status == 0, "\(paging): \(still.output)")
            try TruthComparison.expectEqual(project, dataset: "licenses_snapshot")
            #expect(try Self.count(project, "SELECT count(*) FROM _dataflow_changes WHERE op = 'D' AND seq > \(seq)") == 0,
                    "\(paging): no false D (and so no D/I pair) in the change feed")
        }
    }

    @Test(arguments: Backend.allCases)
    func theMassDeleteGuardRefusesAPassThatWouldEmptyTheTable(_ backend: Backend) throws {
        let sandbox = try Sandbox(rows: 200)
        let project = try Self.project(sandbox, paging: "page", backend: backend)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let live = try Self.count(project, "SELECT count(*) FROM licenses_snapshot WHERE _deleted = 0")
        let body = try sandbox.control("POST", "/_control/mutate?dataset=licenses&purge=30")   // 15 % gone without a flag
        guard case .array(let purgedValues)? = body["purged"] else { Issue.record("no purged list"); return }
        var gone = 0
        try project.reader().forEachRow("SELECT _key FROM licenses_snapshot WHERE _deleted = 0", []) { row in
            if purgedValues.contains(.string(row.text(0) ?? "")) { gone += 1 }
        }
        #expect(gone > 20)

        let refused = try project.dataflow("sync", "--log-format", "json")
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("would tombstone \(gone) of \(live) live rows"), "\(refused.stderr)")
        #expect(refused.stderr.contains("dataflow sync --allow-mass-delete licenses_snapshot"))
        #expect(refused.stderr.contains("\"refused_tombstones\":\(gone)"), "\(refused.stderr)")
        #expect(try Self.count(project, "SELECT count(*) FROM licenses_snapshot WHERE _deleted = 0") == live)
        let status = try project.dataflow("status")
        #expect(status.stdout.replacingOccurrences(of: "\n    ", with: " ").contains("--allow-mass-delete licenses_snapshot"), "\(status.stdout)")

        // The override lets it through, once.
        let raised = try project.dataflow("sync", "--allow-mass-delete", "licenses_snapshot", "--quiet")
        #expect(raised.status == 0, "\(raised.output)")
        #expect(try Self.count(project, "SELECT count(*) FROM licenses_snapshot WHERE _deleted = 0") == live - Int64(gone))
        #expect(try Self.count(project, "SELECT count(*) FROM _dataflow_changes WHERE op = 'D' AND run_id = (SELECT max(run_id) FROM _dataflow_runs)") == Int64(gone))
    }

    @Test func maxTombstonesIsReadFromTheDatasetAndTheSourceAndValidated() throws {
        let sandbox = try Sandbox(rows: 100)
        let project = try Self.project(sandbox, paging: "page")
        let file = project.root.appendingPathComponent("Mappings/datasets/licenses_snapshot.yml")
        let text = try String(contentsOf: file, encoding: .utf8)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        _ = try sandbox.control("POST", "/_control/mutate?dataset=licenses&purge=20")
        try text.replacingOccurrences(of: "key: [uscc]", with: "key: [uscc]\nmax_tombstones: 25%").write(to: file, atomically: true, encoding: .utf8)
        let allowed = try project.dataflow("sync")
        #expect(allowed.status == 0, "20 of 100 is within 25 %: \(allowed.output)")

        try text.replacingOccurrences(of: "key: [uscc]", with: "key: [uscc]\nmax_tombstones: 120%").write(to: file, atomically: true, encoding: .utf8)
        let bad = try project.dataflow("validate")
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("licenses_snapshot.yml:9:") && bad.stderr.contains("'max_tombstones' must be a share of the live rows like 10%"), "\(bad.stderr)")
    }
}
