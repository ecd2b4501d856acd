import DataflowCore
import DataflowHTTP
import Foundation

/// A `dataflow-sandbox` process on an ephemeral loopback port, stopped on deinit.
final class Sandbox {
    let process: Process
    let port: Int
    let dir: URL
    private let http: CurlTransport

    struct StartError: Error, CustomStringConvertible { var description: String }

    init(rows: Int = 1000, caseRows: Int? = nil, seed: Int = 42, arguments: [String] = []) throws {
        dir = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var args = ["--port", "0", "--rows", String(rows), "--seed", String(seed), "--port-file", dir.appendingPathComponent("port").path]
        if let caseRows { args += ["--case-rows", String(caseRows)] }
        process = try Command.start(Binaries.sandbox, args + arguments, stdout: dir.appendingPathComponent("stdout"),
                                    stderr: dir.appendingPathComponent("stderr"))
        var port: Int?
        for _ in 0..<200 {
            if let text = try? String(contentsOf: dir.appendingPathComponent("port"), encoding: .utf8),
               let p = Int(text.trimmingCharacters(in: .whitespacesAndNewlines)) { port = p; break }
            if !process.isRunning { break }
            Thread.sleep(forTimeInterval: 0.05)
        }
        http = try CurlTransport(options: TransportOptions())
        guard let port else {
            process.terminate()
            let log = (try? String(contentsOf: dir.appendingPathComponent("stderr"), encoding: .utf8)) ?? ""
            throw StartError(description: "sandbox did not start: \(log)")
        }
        self.port = port
    }

    deinit {
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        try? FileManager.default.removeItem(at: dir)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Calls a control endpoint and returns the body; throws on a non-200 answer.
    @discardableResult
    func control(_ method: String, _ pathAndQuery: String) throws -> JSONValue {
        let response = try http.send(HTTPRequest(method: method, url: baseURL + pathAndQuery))
        guard response.status == 200 else { throw StartError(description: "\(pathAndQuery) answered \(response.status): \(String(decoding: response.body, as: UTF8.self))") }
        return try JSONParser.parse(response.body)
    }

    /// Every record of a sandbox dataset (`licenses` or `cases`), deleted ones included.
    func truth(_ dataset: String) throws -> [JSONValue] {
        let response = try http.send(HTTPRequest(url: baseURL + "/_control/truth?dataset=\(dataset)"))
        guard response.status == 200 else { throw StartError(description: "truth answered \(response.status)") }
        return try JSONParser.parseLines(response.body)
    }

    struct Mutation {
        var updated: [String]
        var inserted: [String]
        var deleted: [String]
    }

    func mutate(_ dataset: String, update: Int = 0, insert: Int = 0, delete: Int = 0) throws -> Mutation {
        let body = try control("POST", "/_control/mutate?dataset=\(dataset)&update=\(update)&insert=\(insert)&delete=\(delete)")
        func keys(_ name: String) -> [String] {
            if case .array(let items)? = body[name] { return items.compactMap(\.text) }
            return []
        }
        return Mutation(updated: keys("updated"), inserted: keys("inserted"), deleted: keys("deleted"))
    }

    func advanceClock(seconds: Int) throws { try control("POST", "/_control/clock?advance=\(seconds)") }

    func stats() throws -> [String: Int] {
        guard case .object(let o) = try control("GET", "/_control/stats") else { return [:] }
        var out: [String: Int] = [:]
        for m in o.members { if let t = m.value.text, let n = Int(t) { out[m.key] = n } }
        return out
    }
}
