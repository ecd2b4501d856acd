import DataflowCore
import Foundation
import Testing

/// Every walk type and preset, sorted and unsorted, stays exact while the upstream moves records
/// during the pass: nothing lost, nothing falsely tombstoned, and afterwards exactly the upstream's
/// changes in the change feed (docs/sync.md, "Paging while the source changes").
@Suite("Every walk is exact under change")
struct WalkUnderChangeTests {
    struct Walk: Sendable, CustomTestStringConvertible {
        var dataset: String
        /// nil: a full snapshot (no `incremental`).
        var sorted: Bool?
        /// The source's `concurrency`: above 1, a page walk with a total fetches its pages several
        /// at once (`PageFan`).
        var concurrency = 1
        var backend = Backend.sqlite
        var testDescription: String {
            "\(dataset)\(sorted.map { $0 ? " sorted" : " unsorted" } ?? " snapshot")\(concurrency > 1 ? ", \(concurrency) in flight" : "")"
                + (backend == .sqlite ? "" : ", \(backend)")
        }
    }

    static let incremental = [
        "licenses_auth_bearer",      // page, with a total
        "licenses_page_no_total",    // page, no total
        "licenses_offset_sorted",    // offset, with a total
        "licenses_cursor",           // cursor token
        "licenses_next_url",         // next-url
        "licenses_link_header",      // link-header
        "licenses_socrata",          // preset: Socrata ($where, $offset)
        "licenses_arcgis",           // preset: ArcGIS (where, resultOffset)
        "licenses_odata",            // preset: OData v4 ($filter, @odata.nextLink)
    ]
    /// Walks whose gateway reports no total: a reconcile cannot verify them, so hard deletes are
    /// refused there (the rest of the run still applies).
    static let withoutTotal: Set<String> = ["licenses_page_no_total", "licenses_socrata", "licenses_arcgis"]
    static let walks = incremental.flatMap { [Walk(dataset: $0, sorted: true), Walk(dataset: $0, sorted: false)] }
        + ["licenses_ckan", "licenses_odata_v2"].map { Walk(dataset: $0, sorted: nil) }   // presets without a range filter
        // Page and offset walks with a total, their pages fetched four at a time.
        + [Walk(dataset: "licenses_auth_bearer", sorted: false, concurrency: 4), Walk(dataset: "licenses_offset_sorted", sorted: false, concurrency: 4),
           Walk(dataset: "licenses_ckan", sorted: nil, concurrency: 4),
           // The same on PostgreSQL: pages grouped into one transaction when the next is in hand.
           Walk(dataset: "licenses_offset_sorted", sorted: false, concurrency: 4, backend: .postgres)]

    /// The dataset file with `sorted:` set as the walk says.
    static func edit(_ text: String, sorted: Bool?) -> String {
        let lines = text.components(separatedBy: "\n").filter { !$0.hasPrefix("  sorted:") }
        guard let sorted else { return lines.joined(separator: "\n") }
        return lines.flatMap { $0.hasPrefix("  lookback:") ? [$0, "  sorted: \(sorted)"] : [$0] }.joined(separator: "\n")
    }

    /// Keys the change feed marked `D` since `seq` whose truth record is not deleted.
    static func falseDeletes(_ project: CountyProject, dataset: String, since seq: Int64) throws -> [String] {
        let truth = try TruthComparison.expected(project, dataset: dataset)
        var keys: [String] = []
        try project.reader().forEachRow("SELECT key FROM _dataflow_changes WHERE dataset = ? AND op = 'D' AND seq > ?", [.text(dataset), .integer(seq)]) { row in
            let key = row.text(0) ?? ""
            if truth.rows[key]?.deleted != true { keys.append(key) }
        }
        return keys
    }

    @Test(arguments: walks)
    func aSyncWhileRecordsMoveThenOneMoreEqualsTheTruthAndTheNextChangesAreExact(_ walk: Walk) throws {
        // Pages of at most 40 records, so every walk takes several requests.
        // Latency when pages go several at once, so they overlap on any machine.
        let sandbox = try Sandbox(rows: 240, arguments: ["--max-page-size", "40"] + (walk.concurrency > 1 ? ["--latency", "50ms"] : []))
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [walk.dataset], backend: walk.backend)
        let file = project.root.appendingPathComponent("Mappings/datasets/\(walk.dataset).yml")
        try Self.edit(try String(contentsOf: file, encoding: .utf8), sorted: walk.sorted).write(to: file, atomically: true, encoding: .utf8)
        if walk.concurrency > 1 {
            let config = project.root.appendingPathComponent("dataflow.yml")
            try String(contentsOf: config, encoding: .utf8)
                .replacingOccurrences(of: "    retry_backoff: 10ms\n", with: "    retry_backoff: 10ms\n    concurrency: \(walk.concurrency)\n")
                .write(to: config, atomically: true, encoding: .utf8)
        }

        // A full sync while every request moves 2 records to the end and inserts 1.
        try sandbox.control("POST", "/_control/drift?dataset=licenses&per_request=2&insert_per_request=1")
        let moving = try project.dataflow("sync", "--log-format", "json")
        // An unsorted pass that saw the upstream move is not complete: it fails and says why.
        #expect(moving.status == 0 || moving.stderr.contains("\"incomplete_pass\":\""), "\(walk.dataset): \(moving.output)")
        if walk.sorted == true { #expect(moving.status == 0, "a sorted walk restarts from its highest cursor: \(moving.output)") }
        try sandbox.control("POST", "/_control/drift?dataset=licenses&per_request=0")

        // One more sync: the warehouse equals the truth, with no false tombstone on the way.
        let settled = try project.dataflow("sync")
        #expect(settled.status == 0, "\(walk.dataset): \(settled.output)")
        try TruthComparison.expectEqual(project, dataset: walk.dataset)
        #expect(try Self.falseDeletes(project, dataset: walk.dataset, since: 0).isEmpty)
        if walk.concurrency > 1 {
            let peak = try ConcurrencyTests.traffic(sandbox).values.compactMap { $0["peak_in_flight"] }.max() ?? 0
            #expect(peak >= 2 && peak <= walk.concurrency, "one dataset's pages were fetched at once, within `concurrency` (peak \(peak))")
        }

        // Then upstream changes between runs: exactly those changes, no more.
        try sandbox.advanceClock(seconds: 3600)
        let seq = try project.reader().scalarInt("SELECT max(seq) FROM _dataflow_changes", []) ?? 0
        let body = try sandbox.control("POST", "/_control/mutate?dataset=licenses&update=6&insert=4&delete=3&purge=2")
        func keys(_ name: String) -> [String] { if case .array(let items)? = body[name] { return items.compactMap(\.text) } else { return [] } }
        var expected: [String: String] = [:]
        for k in keys("updated") { expected[k] = "U" }
        for k in keys("inserted") { expected[k] = "I" }
        for k in keys("deleted") { expected[k] = "D" }
        let verifiable = !Self.withoutTotal.contains(walk.dataset)
        // Hard deletes are found by a snapshot or a verified reconcile.
        if verifiable { for k in keys("purged") { expected[k] = "D" } }
        let after = walk.sorted == nil ? try project.dataflow("sync") : try project.dataflow("sync", "--reconcile")
        if verifiable {
            #expect(after.status == 0, "\(walk.dataset): \(after.output)")
        } else {
            #expect(after.status == 1 && after.stderr.contains("reconcile pass not verified"), "\(walk.dataset): \(after.output)")
        }
        var ops: [String: String] = [:]
        var rows = 0
        try project.reader().forEachRow("SELECT key, op FROM _dataflow_changes WHERE seq > ?", [.integer(seq)]) { row in
            ops[row.text(0) ?? ""] = row.text(1)
            rows += 1
        }
        #expect(ops == expected, "\(walk.dataset): the change feed holds exactly the upstream changes")
        #expect(rows == expected.count, "one change row per changed key")
        // Live rows equal the truth (the purged keys stay as tombstones, which the truth no longer has).
        let truth = try TruthComparison.expected(project, dataset: walk.dataset)
        let actual = try TruthComparison.actual(project, dataset: walk.dataset)
        var mismatches: [String] = []
        for (key, want) in truth.rows where actual.rows[key].map({ $0.hash != want.hash || $0.deleted != want.deleted }) ?? true { mismatches.append(key) }
        let purged = Set(keys("purged"))
        for (key, got) in actual.rows where truth.rows[key] == nil && (verifiable ? !got.deleted || expected[key] != "D" : !purged.contains(key)) {
            mismatches.append(key)
        }
        #expect(mismatches.isEmpty, "\(walk.dataset): \(mismatches.prefix(5))")
    }

    /// More records share one cursor value than a page holds: the sorted walk pages inside them,
    /// where a record that moves meanwhile shifts the rest and one goes unread. The moved record
    /// comes back later in the walk with a higher cursor; then the watermark is kept at that value,
    /// so the next run reads them again: nothing is lost for good. (Without a move, as in the run
    /// after it, the watermark goes on as usual.)
    @Test func recordsSharingACursorValueBeyondAPageAreReadAgainNotLost() throws {
        let sandbox = try Sandbox(rows: 3000, arguments: ["--group-size", "1000"])
        let project = try CountyProject(sandbox: sandbox)
        try sandbox.control("POST", "/_control/drift?dataset=licenses&per_request=1")
        let moving = try project.dataflow("sync", "market_licenses")
        #expect(moving.status == 0, "\(moving.output)")
        #expect(moving.stderr.contains("more records share the cursor value 2026-01-01 00:00:00 than a page holds"), "\(moving.stderr)")
        #expect(moving.stderr.contains("one of them changed during this run, so the watermark stays at 2026-01-01 00:00:00"), "\(moving.stderr)")
        try sandbox.control("POST", "/_control/drift?dataset=licenses&per_request=0")
        let settled = try project.dataflow("sync", "market_licenses", "--log-format", "json")
        #expect(settled.status == 0, "\(settled.output)")
        #expect(settled.stderr.contains("\"tied_cursor\":\"2026-01-01 00:00:00\"") && settled.stderr.contains("\"tied_cursor_kept\":\"false\""), "\(settled.stderr)")
        try TruthComparison.expectEqual(project, dataset: "market_licenses")
        #expect(try Self.falseDeletes(project, dataset: "market_licenses", since: 0).isEmpty)

        // A reconcile cannot show it read every key when it paged inside such records: it
        // tombstones nothing and says why.
        let reconcile = try project.dataflow("sync", "market_licenses", "--reconcile")
        #expect(reconcile.status == 1 && reconcile.stderr.contains("records sharing one cursor value took more than a page"), "\(reconcile.output)")
        #expect(try project.reader().scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'", []) == 0)
    }
}
