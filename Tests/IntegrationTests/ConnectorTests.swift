import DataflowCore
import Foundation
import Testing

/// Every auth style, envelope, paginator, preset and format: a sandbox dataset synced through it
/// equals the truth, and after a mutation an incremental sync (or a re-snapshot) equals the new truth.
@Suite("Connectors: every gateway style syncs to the truth")
struct ConnectorTests {
    static let incremental = [
        "licenses_auth_bearer", "licenses_auth_basic", "licenses_auth_apikey_header", "licenses_auth_apikey_query",
        "licenses_auth_bcdsg", "licenses_auth_bcdsg_decoded", "licenses_auth_shandong", "licenses_auth_hmac_sm3", "licenses_auth_tif", "licenses_auth_oauth2",
        "licenses_auth_zjirs_headers",
        "licenses_envelope_code200", "licenses_envelope_code0", "licenses_envelope_success", "licenses_envelope_status1",
        "licenses_envelope_errcode0", "licenses_envelope_string",
        "licenses_page_no_total", "licenses_offset_sorted", "licenses_offset_no_total", "licenses_cursor",
        "licenses_cursor_header_ndjson", "licenses_next_url", "licenses_next_url_absolute", "licenses_link_header", "licenses_none",
        "licenses_socrata", "licenses_arcgis", "licenses_odata",
    ]
    static let snapshots = ["licenses_csv", "licenses_ckan", "licenses_odata_v2"]

    /// Returns the first sync's output.
    @discardableResult
    static func syncMutateSync(_ dataset: String, incremental: Bool, sandboxArguments: [String] = []) throws -> String {
        let sandbox = try Sandbox(rows: 450, arguments: sandboxArguments)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [dataset])
        let first = try project.dataflow("sync")
        #expect(first.status == 0, "\(dataset): \(first.output)")
        try TruthComparison.expectEqual(project, dataset: dataset)

        // Twice: the first incremental run starts inside the lookback of the base records, the
        // second from the mutation time, so it must read only what changed since.
        for round in 1...2 {
            let change = try sandbox.mutate("licenses", update: 7, insert: 5, delete: 3)
            let again = try project.dataflow("sync", "--quiet")
            #expect(again.status == 0, "\(dataset): \(again.output)")
            try TruthComparison.expectEqual(project, dataset: dataset)
            let db = try project.database()
            let runID = try #require(try db.scalarInt("SELECT max(run_id) FROM _dataflow_runs"))
            // The run's change log is exactly the mutation: nothing else written.
            let changed = try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE run_id = ?", [.integer(runID)])
            #expect(changed == Int64(change.updated.count + change.inserted.count + change.deleted.count), "\(dataset)")
            if incremental && round == 2 {
                let fetched = try db.scalarInt("SELECT fetched FROM _dataflow_run_datasets WHERE run_id = ?", [.integer(runID)]) ?? 0
                #expect(fetched <= 30, "\(dataset) fetched \(fetched) records in an incremental run after 15 changes")
            }
        }
        return first.output
    }

    @Test(arguments: incremental)
    func incrementalStyle(_ dataset: String) throws { try Self.syncMutateSync(dataset, incremental: true) }

    @Test(arguments: snapshots)
    func snapshotStyle(_ dataset: String) throws { try Self.syncMutateSync(dataset, incremental: false) }

    @Test func gb18030CSVRoundTripsNamesOutsideGBKAndQuotedNewlines() throws {
        let sandbox = try Sandbox(rows: 250)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_csv"])
        let result = try project.dataflow("sync", "--quiet")
        #expect(result.status == 0, "\(result.output)")
        let db = try project.database()
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE legal_rep = '刘䶮'") == 3)   // ids 13, 113, 213
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE legal_rep = '𠮷田春'") == 3)
        let multiline = try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE name LIKE '%（\"城西\",分部' || char(10) || '二号楼）'")
        #expect(multiline == 3)
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv") == 250)
    }

    @Test func aLargeDownloadIsCommittedInBoundedTransactions() throws {
        let sandbox = try Sandbox(rows: 12_000)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_csv"])
        let result = try project.dataflow("sync", "--quiet")
        #expect(result.status == 0, "\(result.output)")
        let db = try project.database()
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv") == 12_000)
        #expect(try db.scalarInt("SELECT pages FROM _dataflow_run_datasets") == 3)   // 5,000 records per transaction
        #expect(try db.scalarInt("SELECT requests FROM _dataflow_run_datasets") == 1)
    }

    @Test(arguments: ["licenses_page_no_total", "licenses_offset_no_total", "licenses_envelope_code0", "licenses_auth_bearer"])
    func aGatewayThatCapsThePageSizeLosesNoRows(_ dataset: String) throws {
        // Every dataset asks for 100 per page; this gateway silently serves 30.
        let output = try Self.syncMutateSync(dataset, incremental: true, sandboxArguments: ["--max-page-size", "30"])
        #expect(output.contains("\(dataset): note — the gateway served at most 30 records per page"), "\(output)")
    }

    @Test func aRepeatingNextLinkEndsWithAClearError() throws {
        let sandbox = try Sandbox(rows: 250)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_repeat"])
        let result = try project.dataflow("sync")
        #expect(result.status == 1)
        // Its next link is the first page again: the second page repeats the first, which ends the walk.
        #expect(result.output.contains("page 2 is identical to page 1 of this pass"), "\(result.output)")
        #expect(try sandbox.stats()["data_requests"] == 2)
    }

    /// A bcdsg gateway that signs the other query form than the one configured: the full sync (no
    /// parameter that encodes) passes, the incremental one (`startTime=… 08:00:00`) is refused, and
    /// the error names `query_values`.
    @Test(arguments: [("licenses_auth_bcdsg", "/open/bcdsg/", "/open/bcdsg-decoded/", "query_values: decoded"),
                      ("licenses_auth_bcdsg_decoded", "/open/bcdsg-decoded/", "/open/bcdsg/", "query_values: encoded")])
    func theWrongQueryFormIsRefusedWithAHint(_ dataset: String, _ route: String, _ other: String, _ setting: String) throws {
        let sandbox = try Sandbox(rows: 50)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [dataset])
        let file = project.root.appendingPathComponent("Mappings/datasets/\(dataset).yml")
        try String(contentsOf: file, encoding: .utf8).replacingOccurrences(of: route, with: other).write(to: file, atomically: true, encoding: .utf8)
        let full = try project.dataflow("sync")
        #expect(full.status == 0, "\(full.output)")
        _ = try sandbox.mutate("licenses", update: 3)
        let incremental = try project.dataflow("sync")
        #expect(incremental.status == 1)
        #expect(incremental.output.contains("HTTP 401") && incremental.output.contains("Invalid signature"), "\(incremental.output)")
        #expect(incremental.output.contains("`\(setting)`"), "\(incremental.output)")
    }

    @Test func wrongCredentialsShowTheGatewaysAnswer() throws {
        let sandbox = try Sandbox(rows: 50)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_auth_bcdsg", "licenses_auth_tif"], secret: "wrong-secret")
        let result = try project.dataflow("sync")
        #expect(result.status == 1)
        #expect(result.output.contains("HTTP 401") && result.output.contains("X-BG-HMAC-SIGNATURE does not match"), "\(result.output)")
        #expect(result.output.contains("x-tif-signature does not match"))
        #expect(!result.output.contains("wrong-secret"))
    }
}

@Suite("Full snapshots: keys missing from a complete pass are tombstoned")
struct SnapshotTombstoneTests {
    @Test func keysGoneFromACompletePassAreTombstonedAndAFailedPassDeletesNothing() throws {
        let large = try Sandbox(rows: 300)
        let small = try Sandbox(rows: 260)   // the same seed: the first 260 records are the same
        let project = try CountyProject(sandbox: large, connectorDatasets: ["licenses_csv"])
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let db = try project.database()
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE _deleted = 0") == 300)

        // The gateway fails: nothing is tombstoned.
        try small.control("POST", "/_control/faults?rate=1&kinds=500")
        var env = project.environment
        env["SANDBOX_URL"] = small.baseURL
        let failed = try Command.run(Binaries.dataflow, ["sync", "--quiet", "--project", project.root.path], environment: env, in: project.root)
        #expect(failed.status == 1)
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE _deleted = 1") == 0)

        // A complete pass without 40 of the 300 keys (13 %): over the default max_tombstones (10 %),
        // so the mass-delete guard tombstones none of them and says how to let it through.
        try small.control("POST", "/_control/faults?rate=0")
        let guarded = try Command.run(Binaries.dataflow, ["sync", "--project", project.root.path], environment: env, in: project.root)
        #expect(guarded.status == 1, "\(guarded.output)")
        #expect(guarded.stderr.contains("would tombstone 40 of 300 live rows") && guarded.stderr.contains("--allow-mass-delete licenses_csv"), "\(guarded.stderr)")
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE _deleted = 1") == 0)

        // Allowed once: exactly those 40 are tombstoned, once, with a D.
        let complete = try Command.run(Binaries.dataflow, ["sync", "--quiet", "--allow-mass-delete", "licenses_csv", "--project", project.root.path],
                                       environment: env, in: project.root)
        #expect(complete.status == 0, "\(complete.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM licenses_csv WHERE _deleted = 1") == 40)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 40)
        #expect(try db.scalarInt("SELECT rows FROM _dataflow_state WHERE dataset = 'licenses_csv'") == 260)
        let truthKeys = Set(try small.truth("licenses").compactMap { $0["TYSHXYDM"]?.text })
        let st = try db.prepare("SELECT _key FROM licenses_csv WHERE _deleted = 1")
        while try st.step() { #expect(!truthKeys.contains(st.text(0) ?? "")) }
        let again = try Command.run(Binaries.dataflow, ["sync", "--quiet", "--project", project.root.path], environment: env, in: project.root)
        #expect(again.status == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 40)
    }
}

@Suite("OAuth2 client credentials against the sandbox")
struct OAuthRenewalTests {
    @Test func anExpiredTokenIsRenewedOnHTTP401AndTheRequestRepeated() throws {
        let sandbox = try Sandbox(rows: 50)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_auth_oauth2"])
        let config = try project.config()
        let source = try #require(config.source(named: "oauth2"))
        let dataset = try #require(config.dataset(named: "licenses_auth_oauth2"))
        let client = try SourceClient(source: source, redactor: Redactor(project: config), downloads: DownloadFolder(project: config))
        let first = try client.fetch(.path(dataset.request.path, params: [("pageNum", "1"), ("pageSize", "10")]), request: dataset.request, totalPath: nil)
        #expect(first.records.count == 10)
        // The sandbox clock jumps two hours: the cached token (900 s) is now refused with 401.
        try sandbox.advanceClock(seconds: 7200)
        let second = try client.fetch(.path(dataset.request.path, params: [("pageNum", "2"), ("pageSize", "10")]), request: dataset.request, totalPath: nil)
        #expect(second.records.count == 10)
        #expect(second.requests == 2, "one 401, then the repeat with a new token")
        #expect(try sandbox.stats()["token_requests"] == 2)
    }
}
