import DataflowCore
import DataflowHTTP
import Foundation
import LoopbackGateway
import Testing

/// A gateway whose error pages echo the request (a WAF, a proxy) must not put a secret anywhere
/// dataflow writes: stdout, stderr, the JSON log, `check`, `status`, `catalog`, the metrics file
/// or the warehouse. The gateway is the shared `HostileGateway` (Tests/LoopbackGateway).
@Suite("Nothing the gateway echoes leaks a secret")
struct SecretEchoTests {
    /// Identifiers, not secrets: the gateway may see them and dataflow may print them.
    static let identifiers: Set<String> = ["hg-access", "hg-client", "hg-paas", "hg-app", "county"]

    /// A project with one source and one dataset per auth style, all pointed at `gateway`.
    final class HostileProject {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        var environment = HostileAuthStyle.environment.merging(["NO_COLOR": "1"]) { $1 }

        init(gateway: HostileGateway) throws {
            let fm = FileManager.default
            try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
            try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"), to: root.appendingPathComponent("Mappings/dictionaries"))
            var config = """
            version: 1
            county: { code: "330782", name: 义乌市 }
            warehouse: sqlite:warehouse/county.db
            sources:

            """
            for style in HostileAuthStyle.allCases {
                let name = Self.name(style)
                config += """
                  \(name):
                    base_url: \(gateway.baseURL)
                    auth: \(style.yaml)
                    envelope: { success: { path: code, equals: ["00"] }, message: msg }
                    retries: 0

                """
                try """
                dataset: items_\(name)
                source: \(name)
                request:
                  path: /api/items
                  params: { since: "2026-01-01 08:00:00" }
                  records: data.list
                key: [id]
                fields:
                  id:      { from: id, type: text, required: true }
                  name:    { from: name, type: text }
                  updated: { from: updated, type: text }

                """.write(to: root.appendingPathComponent("Mappings/datasets/items_\(name).yml"), atomically: true, encoding: .utf8)
            }
            try config.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        }

        deinit { try? FileManager.default.removeItem(at: root) }

        static func name(_ style: HostileAuthStyle) -> String { style.rawValue.replacingOccurrences(of: "-", with: "_") }

        func dataflow(_ arguments: String...) throws -> CommandResult {
            try Command.run(Binaries.dataflow, arguments + ["--project", root.path], environment: environment, in: root)
        }

        var warehouse: String { root.appendingPathComponent("warehouse/county.db").path }

        /// Every row of every table, as the sqlite3 shell's `.dump` writes it.
        func dump() throws -> String {
            let result = try Command.run("/usr/bin/env", ["sqlite3", warehouse, ".dump"], in: root)
            #expect(result.status == 0, "sqlite3 .dump: \(result.stderr)")
            #expect(result.stdout.contains("INSERT INTO _dataflow_run_datasets"), "the dump holds the run rows")
            return result.stdout
        }
    }

    /// Every credential value the gateway received: query values and header values whose names
    /// say they are credentials (signatures, keys, tokens; `Basic`/`Bearer` words dropped).
    static func received(_ gateway: HostileGateway) -> Set<String> {
        var values: Set<String> = []
        for request in gateway.gatewayRequests {
            if let q = request.target.firstIndex(of: "?") {
                for pair in request.target[request.target.index(after: q)...].split(separator: "&") {
                    let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                    if parts.count == 2, URLRedaction.isCredentialName(parts[0]) { values.insert(parts[1].removingPercentEncoding ?? parts[1]) }
                }
            }
            for header in request.headers where URLRedaction.isCredentialName(header.name) {
                values.insert(header.value.replacingOccurrences(of: "Bearer ", with: "").replacingOccurrences(of: "Basic ", with: ""))
            }
        }
        return values.subtracting(identifiers).filter { $0.count >= Redactor.minimumLength }
    }

    /// The configured secrets, the runtime tokens and every credential the gateway saw that appear
    /// in `text`, whole or as a prefix of `Redactor.minimumLength`+ characters (a truncated excerpt).
    static func leaks(in text: String, gateway: HostileGateway) -> [String] {
        (Set(HostileAuthStyle.secrets).union(received(gateway))).filter { value in
            text.contains(String(value.prefix(max(Redactor.minimumLength, min(value.count, 12)))))
        }.sorted()
    }

    @Test func noSecretOfAnyAuthStyleInAnyOutput() throws {
        let gateway = try HostileGateway(mode: .echo)
        let project = try HostileProject(gateway: gateway)
        let metrics = project.root.appendingPathComponent("dataflow.prom").path

        let text = try project.dataflow("sync")
        #expect(text.status == 1, "every dataset fails against the WAF page: \(text.output)")
        let json = try project.dataflow("sync", "--log-format", "json", "--metrics-file", metrics)
        let verbose = try project.dataflow("sync", "--verbose")
        var outputs: [(String, String)] = [
            ("sync stdout+stderr", text.output), ("sync --log-format json", json.output), ("sync --verbose", verbose.output),
            ("check", try project.dataflow("check").output), ("check --format json", try project.dataflow("check", "--format", "json").output),
            ("status", try project.dataflow("status").output), ("status --format json", try project.dataflow("status", "--format", "json").output),
            ("metrics file", try String(contentsOfFile: metrics, encoding: .utf8)), ("warehouse dump", try project.dump()),
        ]
        for format in ["table", "json", "markdown", "csv", "html"] {
            outputs.append(("catalog --format \(format)", try project.dataflow("catalog", "--format", format).output))
        }
        let seen = Self.received(gateway)
        for variable in ["HG_API_KEY", "HG_BEARER"] {
            #expect(seen.contains(try #require(HostileAuthStyle.environment[variable])), "the gateway saw \(variable)'s value: \(seen)")
        }
        #expect(seen.contains(HostileGateway.oauthAccessToken), "an OAuth token obtained at run time was echoed")
        #expect(gateway.gatewayRequests.contains { $0.target.contains("sign=") }, "a zj-irs signature was sent (and echoed)")
        for (name, output) in outputs {
            #expect(Self.leaks(in: output, gateway: gateway).isEmpty, "\(name) leaks \(Self.leaks(in: output, gateway: gateway)):\n\(output)")
        }
        // Still useful: each failure says what the gateway did.
        #expect(text.stderr.contains("items_bearer: FAILED") && text.stderr.contains("HTTP 403"), "\(text.stderr)")
        #expect(text.stderr.contains("Request blocked"), "the page's own words are kept: \(text.stderr)")
    }

    @Test func gatewayControlCharactersCannotForgeATextLine() throws {
        let gateway = try HostileGateway(mode: .controlText)
        let project = try HostileProject(gateway: gateway)
        for (name, result) in [("sync", try project.dataflow("sync")), ("check", try project.dataflow("check")),
                               ("status", try project.dataflow("status")), ("catalog", try project.dataflow("catalog"))] {
            #expect(!result.output.contains("\u{1B}"), "\(name): an ANSI escape reached the terminal:\n\(result.output)")
            #expect(!result.output.contains("\u{07}"), "\(name): a bell reached the terminal")
            let lines = result.output.split(omittingEmptySubsequences: false, whereSeparator: { $0 == "\n" || $0 == "\r" })
            #expect(!lines.contains { $0.hasPrefix(HostileGateway.forgedLine) }, "\(name): a forged line:\n\(result.output)")
            if name == "sync" || name == "check" {
                #expect(result.output.contains("\\u{1B}[31mdenied\\u{1B}[0m\\r\\n\(HostileGateway.forgedLine)"), "\(name): shown escaped:\n\(result.output)")
            }
        }
        // JSON log lines stay one JSON object each, the message intact inside.
        let json = try project.dataflow("sync", "--log-format", "json")
        for line in json.stderr.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not one JSON object: \(line)")
        }
        #expect(json.stderr.contains(#"\u001b[31mdenied"#), "\(json.stderr)")
    }

    @Test func reportsRedactErrorsStoredBeforeRedactionExisted() throws {
        let gateway = try HostileGateway(mode: .echo)
        let project = try HostileProject(gateway: gateway)
        _ = try project.dataflow("sync", "items_bearer")
        let secret = try #require(HostileAuthStyle.environment["HG_BEARER"])
        let old = "HTTP 403: GET /x?api_key=\(secret) Authorization: Bearer \(secret)\n\u{1B}[2J"
        let update = try Command.run("/usr/bin/env", ["sqlite3", project.warehouse, "UPDATE _dataflow_run_datasets SET error = '\(old)'"], in: project.root)
        #expect(update.status == 0, "\(update.stderr)")
        for report in [try project.dataflow("status"), try project.dataflow("status", "--format", "json"),
                       try project.dataflow("catalog"), try project.dataflow("catalog", "--format", "markdown"),
                       try project.dataflow("catalog", "--format", "json")] {
            #expect(report.status == 0, "\(report.output)")
            #expect(!report.output.contains(String(secret.prefix(8))), "\(report.output)")
            #expect(!report.output.contains("\u{1B}[2J"), "\(report.output)")
        }
    }
}
