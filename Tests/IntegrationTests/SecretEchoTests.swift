import DataflowCore
import Foundation
import Testing

/// A gateway whose error pages echo the request (a WAF, a proxy) must not put a secret anywhere
/// dataflow writes: stdout, stderr, the JSON log, `check`, `status`, the metrics file or the warehouse.
@Suite("Nothing the gateway echoes leaks a secret")
struct SecretEchoTests {
    static let secret = "Echo-Secret-7f3a9c2e51d8"
    /// Every auth style of the connector fixtures, plus zj-irs with its signature in the query.
    static let datasets = ["licenses_auth_apikey_header", "licenses_auth_apikey_query", "licenses_auth_basic", "licenses_auth_bcdsg",
                           "licenses_auth_bearer", "licenses_auth_hmac_sm3", "licenses_auth_oauth2", "licenses_auth_shandong",
                           "licenses_auth_tif", "licenses_auth_zjirs_headers"]

    /// A project folder whose every source points at `gateway`.
    final class EchoProject {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("echo-\(UUID().uuidString)")
        let environment: [String: String]

        init(gateway: EchoGateway) throws {
            let fm = FileManager.default
            let fixtures = CountyProject.connectorFixtures
            try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
            try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"), to: root.appendingPathComponent("Mappings/dictionaries"))
            var config = try String(contentsOf: fixtures.appendingPathComponent("dataflow.yml"), encoding: .utf8)
            config += """

              zjirs_query:
                base_url: ${SANDBOX_URL}
                auth: { type: zj-irs, app_key: sandbox-app, app_secret: "${SANDBOX_SECRET}" }
                retry_backoff: 10ms

            """
            try config.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
            for name in SecretEchoTests.datasets {
                try fm.copyItem(at: fixtures.appendingPathComponent("datasets/\(name).yml"), to: root.appendingPathComponent("Mappings/datasets/\(name).yml"))
            }
            let zj = try String(contentsOf: fixtures.appendingPathComponent("datasets/licenses_auth_zjirs_headers.yml"), encoding: .utf8)
                .replacingOccurrences(of: "dataset: licenses_auth_zjirs_headers", with: "dataset: licenses_auth_zjirs_query")
                .replacingOccurrences(of: "source: zjirs_headers", with: "source: zjirs_query")
            try zj.write(to: root.appendingPathComponent("Mappings/datasets/licenses_auth_zjirs_query.yml"), atomically: true, encoding: .utf8)
            environment = ["SANDBOX_URL": gateway.baseURL, "SANDBOX_SECRET": SecretEchoTests.secret, "NO_COLOR": "1"]
        }

        deinit { try? FileManager.default.removeItem(at: root) }

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

    /// The secret, every runtime token and every signature the gateway saw: none may appear, whole
    /// or as a prefix of `Redactor.minimumLength` characters or more (a truncated excerpt).
    static func leaks(in text: String, gateway: EchoGateway) -> [String] {
        let appKey = "sandbox-app"  // an identifier, not a secret
        let values = Set([secret] + gateway.issuedTokens + gateway.receivedCredentials).subtracting([appKey])
        return values.filter { value in
            text.contains(String(value.prefix(max(Redactor.minimumLength, min(value.count, 12)))))
        }.sorted()
    }

    @Test func noSecretOfAnyAuthStyleInAnyOutput() throws {
        let gateway = try EchoGateway()
        let project = try EchoProject(gateway: gateway)
        let metrics = project.root.appendingPathComponent("dataflow.prom").path

        let text = try project.dataflow("sync")
        #expect(text.status == 1, "every dataset fails against the WAF page: \(text.output)")
        let json = try project.dataflow("sync", "--log-format", "json", "--metrics-file", metrics)
        let verbose = try project.dataflow("sync", "--verbose")
        let check = try project.dataflow("check")
        let checkJSON = try project.dataflow("check", "--format", "json")
        let status = try project.dataflow("status")
        let statusJSON = try project.dataflow("status", "--format", "json")
        let catalogs = try ["table", "json", "markdown", "csv", "html"].map { ("catalog --format \($0)", try project.dataflow("catalog", "--format", $0).output) }
        let outputs: [(String, String)] = [
            ("sync stdout+stderr", text.output), ("sync --log-format json", json.output), ("sync --verbose", verbose.output),
            ("check", check.output), ("check --format json", checkJSON.output), ("status", status.output),
            ("status --format json", statusJSON.output), ("metrics file", try String(contentsOfFile: metrics, encoding: .utf8)),
            ("warehouse dump", try project.dump()),
        ] + catalogs
        #expect(gateway.issuedTokens.count >= 3, "zj-irs and OAuth2 tokens were issued at run time: \(gateway.issuedTokens)")
        #expect(gateway.receivedCredentials.contains(Self.secret), "the gateway saw the configured secret")
        for (name, output) in outputs {
            #expect(Self.leaks(in: output, gateway: gateway).isEmpty, "\(name) leaks \(Self.leaks(in: output, gateway: gateway)):\n\(output)")
        }
        // Still useful: each failure says what the gateway did.
        #expect(text.stderr.contains("licenses_auth_bearer: FAILED") && text.stderr.contains("HTTP 403"), "\(text.stderr)")
        #expect(status.stdout.contains("HTTP 403"), "\(status.stdout)")
    }

    @Test func gatewayControlCharactersCannotForgeATextLine() throws {
        let gateway = try EchoGateway()
        let project = try EchoProject(gateway: gateway)
        for (name, result) in [("sync", try project.dataflow("sync")), ("check", try project.dataflow("check")), ("status", try project.dataflow("status"))] {
            #expect(!result.output.contains("\u{1B}"), "\(name): an ANSI escape reached the terminal:\n\(result.output)")
            let lines = result.output.split(separator: "\n")
            #expect(!lines.contains { $0.hasPrefix(EchoGateway.forgedLine.prefix(8)) }, "\(name): a forged line:\n\(result.output)")
            // sync and check show the page on one line, escaped (status wraps long errors).
            if name != "status" {
                #expect(result.output.contains("\\u{1B}[31mBlocked\\u{1B}[0m\\n\(EchoGateway.forgedLine)"), "\(name): shown escaped:\n\(result.output)")
            }
        }
        // JSON log lines stay one JSON object each.
        let json = try project.dataflow("sync", "--log-format", "json")
        for line in json.stderr.split(separator: "\n") {
            #expect((try? JSONSerialization.jsonObject(with: Data(line.utf8))) != nil, "not one JSON object: \(line)")
        }
    }

    @Test func reportsRedactErrorsStoredBeforeRedactionExisted() throws {
        let gateway = try EchoGateway()
        let project = try EchoProject(gateway: gateway)
        _ = try project.dataflow("sync", "licenses_auth_bearer")
        let old = "HTTP 403: GET /x?api_key=\(Self.secret) Authorization: Bearer \(Self.secret)\n\u{1B}[2J"
        let update = try Command.run("/usr/bin/env", ["sqlite3", project.warehouse,
                                                      "UPDATE _dataflow_run_datasets SET error = '\(old)'"], in: project.root)
        #expect(update.status == 0, "\(update.stderr)")
        for report in [try project.dataflow("status"), try project.dataflow("status", "--format", "json"),
                       try project.dataflow("catalog"), try project.dataflow("catalog", "--format", "markdown"),
                       try project.dataflow("catalog", "--format", "json")] {
            #expect(report.status == 0, "\(report.output)")
            #expect(!report.output.contains(String(Self.secret.prefix(8))), "\(report.output)")
            #expect(!report.output.contains("\u{1B}[2J"), "\(report.output)")
        }
    }
}
