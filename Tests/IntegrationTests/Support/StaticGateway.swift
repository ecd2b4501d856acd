import DataflowCore
import Foundation

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
}
