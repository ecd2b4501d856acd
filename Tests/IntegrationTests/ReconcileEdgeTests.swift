import DataflowCore
import Foundation
import Testing

/// Reconcile and snapshot passes at a gateway's edges, found by a hostile review: each case once
/// tombstoned rows the gateway still serves. The gateways are Python `http.server` handlers on
/// loopback (`StaticGateway`) reading their records from a file the test
/// rewrites between runs.
@Suite("Reconcile and snapshot passes never tombstone what the gateway still has")
struct ReconcileEdgeTests {
    /// A `next`-link gateway with a `since` filter, 10 records a page, sorted by `upd` with
    /// records without one last (as PostgreSQL's `ORDER BY upd` sorts NULLs).
    static let linkGateway = """
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            url = urllib.parse.urlparse(self.path); q = dict(urllib.parse.parse_qsl(url.query))
            records = json.load(open(os.path.join(sys.argv[1], "records.json"), encoding="utf-8"))
            if "since" in q: records = [r for r in records if r["upd"] is not None and r["upd"] >= q["since"]]
            offset = int(q.get("off", "0")); body = {"records": records[offset:offset + 10]}
            if offset + 10 < len(records):
                q["off"] = str(offset + 10); body["next"] = url.path + "?" + urllib.parse.urlencode(q)
            data = json.dumps(body).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    """

    static func records(_ dated: Int, withoutCursor: Int) -> String {
        let rows = (0..<dated).map { #"{"id":"R\#(String(format: "%03d", $0))","name":"n\#($0)","upd":"2026-01-01 08:\#(String(format: "%02d", $0 / 60)):\#(String(format: "%02d", $0 % 60))"}"# }
            + (0..<withoutCursor).map { #"{"id":"NULL\#($0)","name":"no cursor","upd":null}"# }
        return "[" + rows.joined(separator: ",") + "]"
    }

    /// A sorted next-link source restarts each page at the highest cursor read (`since=`), which
    /// hides records without a cursor value. A reconcile walked that way never saw them and
    /// tombstoned them; it now follows the links plainly from the unfiltered first request.
    @Test func aReconcileOfASortedLinkSourceKeepsRecordsWithoutACursor() throws {
        let gateway = try StaticGateway(files: ["records.json": Self.records(8, withoutCursor: 2)], handler: Self.linkGateway)
        let root = try StaticGateway.county(at: gateway, datasets: [("things", "{ path: /x, records: records, pagination: { type: next-url, path: next } }")],
                                                   extra: #"incremental: { cursor: upd, param: since, format: "yyyy-MM-dd HH:mm:ss", lookback: 0s, sorted: true }"#)
        defer { try? FileManager.default.removeItem(at: root) }
        func run(_ extra: String...) throws -> SQLiteDatabase {
            let result = try Command.run(Binaries.dataflow, ["sync", "--project", root.path] + extra, in: root)
            #expect(result.status == 0, "\(result.output)")
            return try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        }
        // Run 1: all ten records are on the first, unfiltered page.
        var db = try run()
        #expect(try db.scalarInt("SELECT count(*) FROM things WHERE _deleted = 0") == 10)
        // The source grows: the records without a cursor are now behind 30 dated ones.
        try Self.records(30, withoutCursor: 2).write(to: gateway.dir.appendingPathComponent("www/records.json"), atomically: true, encoding: .utf8)
        db = try run()
        #expect(try db.scalarInt("SELECT count(*) FROM things WHERE _deleted = 0") == 32)
        db = try run("--reconcile")
        #expect(try db.scalarInt("SELECT count(*) FROM things WHERE _deleted = 1") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM things WHERE _deleted = 0 AND id LIKE 'NULL%'") == 2)
    }

    /// A page-number gateway of `n` records, 10 a page, as `ctl.json` says: `short` serves that
    /// page with 5 of its records, `past_end` (`last` or `first`) serves that page for any page
    /// past the end instead of an empty one, `total` (any JSON) is sent as `total`, `keyless` is
    /// the record sent with an empty `id`, and `moved` serves pages after the first as if that
    /// record had been updated and moved to the end after page 1 was read. Every request is
    /// appended to `requests.log`.
    static let pageGateway = """
    class Handler(http.server.BaseHTTPRequestHandler):
        def log_message(self, *args): pass
        def do_GET(self):
            with open(os.path.join(sys.argv[1], "requests.log"), "a") as log: log.write(self.path + "\\n")
            q = dict(urllib.parse.parse_qsl(urllib.parse.urlparse(self.path).query))
            ctl = json.load(open(os.path.join(sys.argv[1], "ctl.json"), encoding="utf-8"))
            n, page = ctl["n"], int(q.get("page", "1")); pages = (n + 9) // 10
            if page > pages and ctl.get("past_end") == "last": page = pages
            if page > pages and ctl.get("past_end") == "first": page = 1
            rows = [{"id": "K%04d" % i, "name": "n%d" % i} for i in range(n)]
            if "keyless" in ctl: rows[ctl["keyless"]]["id"] = ""
            if ctl.get("moved") and page >= 2:
                row = rows.pop(ctl["keyless"]); row["name"] = "updated"; rows.append(row)
            records = rows[(page - 1) * 10:page * 10]
            if page == ctl.get("short"): records = records[:5]
            body = {"list": records}
            if "total" in ctl: body["total"] = ctl["total"]
            data = json.dumps(body).encode()
            self.send_response(200); self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
    """

    /// A snapshot county over `pageGateway`, and a way to change what the gateway serves.
    final class SnapshotCounty {
        let gateway: StaticGateway
        let root: URL

        init(_ ctl: String, total: Bool = false) throws {
            gateway = try StaticGateway(files: ["ctl.json": ctl], handler: ReconcileEdgeTests.pageGateway)
            let totalPath = total ? ", total: total" : ""
            root = try StaticGateway.county(at: gateway, datasets: [("items", "{ path: /p, records: list, pagination: { type: page, page_param: page, size_param: size, size: 10\(totalPath) } }")])
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        func serve(_ ctl: String) throws {
            try ctl.write(to: gateway.dir.appendingPathComponent("www/ctl.json"), atomically: true, encoding: .utf8)
        }

        func sync() throws -> (result: CommandResult, db: SQLiteDatabase) {
            let result = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
            return (result, try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path))
        }
    }

    /// Without a total, a short page in the middle of a snapshot ended the walk, and the keys after
    /// it (under the mass-delete guard's 10 %) were tombstoned. The walk now reads the page after
    /// a short one: more records mean the gateway left some out, and the pass tombstones nothing.
    @Test func aShortPageInTheMiddleOfASnapshotTombstonesNothing() throws {
        let county = try SnapshotCounty(#"{"n": 200}"#)
        var (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 0") == 200)
        try county.serve(#"{"n": 200, "short": 19}"#)
        (result, db) = try county.sync()
        #expect(result.status == 1 && result.output.contains("page 19 held 5 records, fewer than the pages before it, and more pages followed"), "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 0") == 200)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 0)
        // The pages after the short one were read: a record changed there is stored.
        try county.serve(#"{"n": 201, "short": 19}"#)
        (result, db) = try county.sync()
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE id = 'K0200'") == 1)
    }

    /// A short last page is still the end, whatever the gateway answers for the page after it:
    /// an empty page, its last page again, or its first page again. Keys gone upstream are then
    /// tombstoned as before.
    @Test(arguments: [#""#, #", "past_end": "last""#, #", "past_end": "first""#])
    func aShortLastPageEndsTheSnapshot(pastEnd: String) throws {
        let county = try SnapshotCounty(#"{"n": 205\#(pastEnd)}"#)
        var (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items") == 205)
        // Ten records gone from the end: the last page is short, 195 keys are read.
        try county.serve(#"{"n": 195\#(pastEnd)}"#)
        (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 1") == 10)
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 0") == 195)
    }

    /// A configured total the gateway sends as `2000.0` or `" 2000"` is the total; one that is not a
    /// whole number (`2,000`) is a clear error naming it, instead of being dropped silently (which
    /// left the short-page case above unchecked).
    @Test func aTotalIsReadAsAWholeNumberOrRefused() throws {
        let county = try SnapshotCounty(#"{"n": 30, "total": 30.0}"#, total: true)
        var (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items") == 30)
        // With a total, a short page is checked against it: 25 of 30 read is not complete.
        try county.serve(#"{"n": 30, "total": " 30 ", "short": 2}"#)
        (result, db) = try county.sync()
        #expect(result.status == 1 && result.output.contains("fewer than the gateway's total of 30"), "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 1") == 0)
        try county.serve(#"{"n": 30, "total": "2,000"}"#)
        (result, db) = try county.sync()
        #expect(result.status == 1 && result.output.contains("the total at 'total' is '2,000', not a whole number of records"), "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 1") == 0)
    }

    /// `status` counts every request the walk made, as the gateway saw them: the empty page that
    /// ends a walk used to be left out of the stored count (the JSON log had it).
    @Test func theStoredRequestCountIsWhatTheGatewayServed() throws {
        let county = try SnapshotCounty(#"{"n": 200}"#)
        let (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        let served = try String(contentsOf: county.gateway.dir.appendingPathComponent("www/requests.log"), encoding: .utf8).split(separator: "\n").count
        #expect(served == 21)
        #expect(try db.scalarInt("SELECT requests FROM _dataflow_run_datasets WHERE dataset = 'items'") == Int64(served))
        #expect(try db.scalarInt("SELECT pages FROM _dataflow_run_datasets WHERE dataset = 'items'") == 20)
    }

    /// A record without a key that moves while the walk pages is read twice, which the pass
    /// cannot see as a repeat, and it stood in for the record the move made the walk skip: that
    /// record was tombstoned. A pass that reads more keyless records than the pass before is now
    /// uncertain; the next pass that reads no more than that goes on.
    @Test func aKeylessRecordReadTwiceDoesNotHideASkippedOne() throws {
        let county = try SnapshotCounty(#"{"n": 50, "keyless": 5}"#)
        var (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items") == 49)
        (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        try county.serve(#"{"n": 50, "keyless": 5, "moved": true}"#)
        (result, db) = try county.sync()
        #expect(result.status == 1 && result.output.contains("it read 2 records without a key where the pass before read 1"), "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 1") == 0)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE op = 'D'") == 0)
        // The order settles: one keyless record again, a complete pass, nothing to tombstone.
        try county.serve(#"{"n": 50, "keyless": 5}"#)
        (result, db) = try county.sync()
        #expect(result.status == 0, "\(result.output)")
        #expect(try db.scalarInt("SELECT count(*) FROM items WHERE _deleted = 0") == 49)
    }

    /// A dataset that fails still reports the requests it made: a gateway answering 500 to every
    /// request (one try and two retries) stored 0 requests, since only stored pages counted.
    @Test func aFailedDatasetCountsTheRequestsItMade() throws {
        let gateway = try StaticGateway(files: [:], handler: """
        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args): pass
            def do_GET(self):
                with open(os.path.join(sys.argv[1], "requests.log"), "a") as log: log.write(self.path + "\\n")
                data = b'{"error":"down"}'
                self.send_response(500); self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data))); self.end_headers(); self.wfile.write(data)
        """)
        let root = try StaticGateway.county(at: gateway, datasets: [("items", "{ path: /p, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        try String(contentsOf: root.appendingPathComponent("dataflow.yml"), encoding: .utf8)
            .appending("    retries: 2\n    retry_backoff: 1ms\n").write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        let result = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(result.status == 1 && result.output.contains("HTTP 500"), "\(result.output)")
        let served = try String(contentsOf: gateway.dir.appendingPathComponent("www/requests.log"), encoding: .utf8).split(separator: "\n").count
        #expect(served == 3)
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        #expect(try db.scalarInt("SELECT requests FROM _dataflow_run_datasets WHERE dataset = 'items'") == Int64(served))
    }
}
