import DataflowCore
import Foundation
import Testing

/// A gateway page whose record names a member twice (`{"id":"K0002","id":"K9999"}`): the others
/// sync, that one is quarantined with a machine-readable reason naming the member. The page is
/// served by Python's http.server on an ephemeral loopback port.
@Suite("Duplicate members in a JSON record or a CSV header are quarantined")
struct DuplicateMemberTests {
    /// A folder served over HTTP by `python3 -m http.server`'s handler on 127.0.0.1, port 0.
    final class StaticGateway {
        let dir: URL
        let process: Process
        let port: Int

        /// Serves `files`; with `handler` (Python source defining `Handler`, a
        /// `BaseHTTPRequestHandler` that may read the files' folder, `sys.argv[1]`) requests go to it instead.
        init(files: [String: String], handler: String? = nil) throws {
            dir = FileManager.default.temporaryDirectory.appendingPathComponent("static-gateway-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: dir.appendingPathComponent("www"), withIntermediateDirectories: true)
            for (name, text) in files { try text.write(to: dir.appendingPathComponent("www/\(name)"), atomically: true, encoding: .utf8) }
            let script = """
            import functools, http.server, json, os, signal, sys, urllib.parse
            # The test process may start children with SIGTERM blocked: unblock it, exit on it.
            signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGTERM})
            signal.signal(signal.SIGTERM, lambda *_: os._exit(0))
            \(handler ?? "Handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])")
            server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
            with open(sys.argv[2] + ".tmp", "w") as f: f.write(str(server.server_address[1]))
            os.rename(sys.argv[2] + ".tmp", sys.argv[2])
            server.serve_forever()
            """
            let portFile = dir.appendingPathComponent("port")
            process = try Command.start("/usr/bin/env", ["python3", "-c", script, dir.appendingPathComponent("www").path, portFile.path],
                                        stdout: dir.appendingPathComponent("stdout"), stderr: dir.appendingPathComponent("stderr"))
            var port: Int?
            for _ in 0..<200 {
                if let text = try? String(contentsOf: portFile, encoding: .utf8), let p = Int(text) { port = p; break }
                if !process.isRunning { break }
                Thread.sleep(forTimeInterval: 0.05)
            }
            guard let port else {
                process.terminate()
                throw Sandbox.StartError(description: "python http.server did not start: \((try? String(contentsOf: dir.appendingPathComponent("stderr"), encoding: .utf8)) ?? "")")
            }
            self.port = port
        }

        deinit {
            if process.isRunning { process.terminate(); process.waitUntilExit() }
            try? FileManager.default.removeItem(at: dir)
        }
    }

    /// A county folder (the caller removes it) with the repository's dictionaries, one source
    /// `plain` at `gateway` (with `sourceOptions`, e.g. `retries: 0`), and per (name, request) a
    /// dataset keyed by `id` that maps `id` and `name` (with `extra`, more dataset-level lines
    /// such as an `incremental:` block).
    static func county(at gateway: StaticGateway, datasets: [(name: String, request: String)], extra: String = "",
                       sourceOptions: [String] = []) throws -> URL {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("dup-county-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"), to: root.appendingPathComponent("Mappings/dictionaries"))
        try """
            version: 1
            county: { code: "330782", name: 义乌市 }
            sources:
              plain:
                base_url: http://127.0.0.1:\(gateway.port)
            \(sourceOptions.map { "    " + $0 + "\n" }.joined())
            """.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        for (name, request) in datasets {
            try """
                dataset: \(name)
                source: plain
                request: \(request)
                key: [id]
                matters: ["000105001000"]
                \(extra)
                fields:
                  id:   { from: id, type: text, required: true }
                  name: { from: name, type: text }
                """.write(to: root.appendingPathComponent("Mappings/datasets/\(name).yml"), atomically: true, encoding: .utf8)
        }
        return root
    }

    @Test func theRecordWithADuplicateMemberIsQuarantinedAndTheOthersSync() throws {
        let page = #"{"list":[{"id":"K0001","name":"义乌甲"},{"id":"K0002","name":"义乌乙","id":"K9999"},{"id":"K0003","name":"义乌丙","extra":1,"extra":2}]}"#
        let gateway = try StaticGateway(files: ["page.json": page])
        let root = try Self.county(at: gateway, datasets: [("shops", "{ path: /page.json, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(sync.status == 0, "\(sync.output)")
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        let keys = try db.prepare("SELECT id FROM shops ORDER BY id")
        var loaded: [String] = []
        while try keys.step() { loaded.append(keys.text(0) ?? "") }
        // K0003's duplicate is a member the mapping does not read: nothing is ambiguous, it loads.
        #expect(loaded == ["K0001", "K0003"])

        let rejects = try Command.run(Binaries.dataflow, ["rejects", "shops", "--format", "json", "--project", root.path], in: root)
        #expect(rejects.status == 0, "\(rejects.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(rejects.stdout.utf8)) else { Issue.record("not a JSON list: \(rejects.stdout)"); return }
        #expect(listed.count == 1)
        guard case .array(let reasons)? = listed.first?["reasons"] else { Issue.record("no reasons"); return }
        #expect(reasons.count == 1)
        #expect(reasons.first?["rule"]?.text == "duplicate-member")
        #expect(reasons.first?["field"]?.text == "id")
        // The record is kept whole, both members in the order sent.
        #expect(try db.scalarText("SELECT record FROM _dataflow_rejects WHERE dataset = 'shops'", []) == #"{"id":"K0002","name":"义乌乙","id":"K9999"}"#)
    }

    /// A CSV download whose header names a column twice: the mapping reads `id`, so no record can
    /// say which `id` it means, and every record is quarantined with the reason (before, the
    /// first column won silently). A header that repeats a column the mapping does not read loads.
    @Test func aCSVHeaderThatRepeatsAColumnTheMappingReadsQuarantinesItsRecords() throws {
        let gateway = try StaticGateway(files: ["twice.csv": "id,name,id\nK0001,义乌甲,K9001\nK0002,义乌乙,K9002\n",
                                                "extra.csv": "id,name,extra,extra\nK0003,义乌丙,1,2\n"])
        let root = try Self.county(at: gateway, datasets: [("twice", "{ path: /twice.csv, format: csv, pagination: { type: none } }"),
                                                           ("extra", "{ path: /extra.csv, format: csv, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(sync.status == 0, "\(sync.output)")
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        #expect(try db.scalarInt("SELECT count(*) FROM twice", []) == 0)
        #expect(try db.scalarText("SELECT id || ' ' || name FROM extra", []) == "K0003 义乌丙")

        let rejects = try Command.run(Binaries.dataflow, ["rejects", "twice", "--format", "json", "--project", root.path], in: root)
        #expect(rejects.status == 0, "\(rejects.output)")
        guard case .array(let listed) = try JSONParser.parse(Array(rejects.stdout.utf8)) else { Issue.record("not a JSON list: \(rejects.stdout)"); return }
        #expect(listed.count == 2)
        for reject in listed {
            guard case .array(let reasons)? = reject["reasons"] else { Issue.record("no reasons"); continue }
            #expect(reasons.map { $0["rule"]?.text } == ["duplicate-member"])
            #expect(reasons.first?["field"]?.text == "id")
        }
    }
}
