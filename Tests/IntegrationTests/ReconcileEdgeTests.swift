import DataflowCore
import Foundation
import Testing

/// Reconcile and snapshot passes at a gateway's edges, found by a hostile review: each case once
/// tombstoned rows the gateway still serves. The gateways are Python `http.server` handlers on
/// loopback (`DuplicateMemberTests.StaticGateway`) reading their records from a file the test
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
        let gateway = try DuplicateMemberTests.StaticGateway(files: ["records.json": Self.records(8, withoutCursor: 2)], handler: Self.linkGateway)
        let root = try DuplicateMemberTests.county(at: gateway, datasets: [("things", "{ path: /x, records: records, pagination: { type: next-url, path: next } }")],
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
}
