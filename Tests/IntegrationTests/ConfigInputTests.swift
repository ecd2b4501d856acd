import DataflowCore
import Foundation
import Testing

/// Configuration is input too: the real binary on hostile or wrong config files.
@Suite("Config is input: alias bombs, ca_bundle, credentials over http, durations")
struct ConfigInputTests {
    static let bomb = Binaries.repositoryRoot.appendingPathComponent("Fixtures/broken/alias-bomb.yml")

    /// `dataflow ARGS` under a 512 MB address-space limit and a generous timeout: a bomb that
    /// expanded would die (out of memory, a crash) or be killed (exit 124), not exit 2.
    func limited(_ project: CountyProject, _ arguments: [String]) throws -> CommandResult {
        try Command.run("/usr/bin/timeout", ["120", "/usr/bin/prlimit", "--as=536870912", Binaries.dataflow] + arguments + ["--project", project.root.path],
                        environment: project.environment, in: project.root)
    }

    @Test func anAliasBombInAMappingOrInDataflowYmlExits2WithItsPosition() throws {
        let sandbox = try Sandbox(rows: 1, caseRows: 1)
        let project = try CountyProject(sandbox: sandbox)
        let bomb = try String(contentsOf: Self.bomb, encoding: .utf8)
        try bomb.write(to: project.root.appendingPathComponent("Mappings/datasets/lol.yml"), atomically: true, encoding: .utf8)
        for command in [["validate"], ["sync"], ["export", "market_licenses"]] {
            let result = try limited(project, command)
            #expect(result.status == 2, "\(command): \(result.status) \(result.output)")
            #expect(result.stderr.contains("Mappings/datasets/lol.yml:8:8: YAML aliases expand to more than 100000 nodes"), "\(result.stderr)")
        }
        try FileManager.default.removeItem(at: project.root.appendingPathComponent("Mappings/datasets/lol.yml"))

        // The same bomb under a key of dataflow.yml: refused before any key is looked at.
        let config = project.root.appendingPathComponent("dataflow.yml")
        let text = try String(contentsOf: config, encoding: .utf8)
        let lines = bomb.split(separator: "\n").dropFirst(2)   // the expect line and `dataset:`
        try (text + "\n" + lines.joined(separator: "\n") + "\n").write(to: config, atomically: true, encoding: .utf8)
        let bombLine = text.split(separator: "\n", omittingEmptySubsequences: false).count + 1 + 5
        let result = try limited(project, ["validate"])
        #expect(result.status == 2, "\(result.status) \(result.output)")
        #expect(result.stderr.contains("dataflow.yml:\(bombLine):8: YAML aliases expand"), "\(result.stderr)")
    }

    @Test func aMissingCABundleIsAValidateErrorWithItsPosition() throws {
        let sandbox = try Sandbox(rows: 1, caseRows: 1)
        let missing = try CountyProject(sandbox: sandbox, sourceExtra: "    ca_bundle: /nonexistent/gov-ca.pem")
        let result = try missing.dataflow("validate")
        #expect(result.status == 2, "\(result.output)")
        let line = try String(contentsOf: missing.root.appendingPathComponent("dataflow.yml"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("ca_bundle") }.map { $0 + 1 } ?? -1
        #expect(result.stderr.contains("dataflow.yml:\(line):16: ca_bundle '/nonexistent/gov-ca.pem' does not exist"), "\(result.stderr)")

        // A bundle that exists, given relative to the project folder, is accepted and used as a path.
        let present = try CountyProject(sandbox: sandbox, sourceExtra: "    ca_bundle: certs/gov-ca.pem")
        try FileManager.default.createDirectory(at: present.root.appendingPathComponent("certs"), withIntermediateDirectories: true)
        try "-----BEGIN CERTIFICATE-----\n".write(to: present.root.appendingPathComponent("certs/gov-ca.pem"), atomically: true, encoding: .utf8)
        #expect(try present.dataflow("validate").status == 0)
        #expect(try present.config().sources.first?.caBundle == present.root.appendingPathComponent("certs/gov-ca.pem").standardizedFileURL.path)
    }

    /// `file:line:column` of the value after `key: ` on the first line of `text` holding it.
    func position(of key: String, in text: String, file: String) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard let index = lines.firstIndex(where: { $0.contains("\(key): ") }), let range = lines[index].range(of: "\(key): ") else { return "\(key) not found" }
        return "\(file):\(index + 1):\(lines[index].distance(from: lines[index].startIndex, to: range.upperBound) + 1)"
    }

    @Test func aDurationOutsideItsRangeIsAValidateErrorNotACrashOrAHang() throws {
        let sandbox = try Sandbox(rows: 1, caseRows: 1)
        // lookback: 1e300s used to pass validate, and the second sync died converting it to whole seconds (exit 132).
        let huge = try CountyProject(sandbox: sandbox) { file, text in
            file == "market_licenses.yml" ? text.replacingOccurrences(of: "lookback: 10m", with: "lookback: 1e300s") : text
        }
        let dataset = try String(contentsOf: huge.root.appendingPathComponent("Mappings/datasets/market_licenses.yml"), encoding: .utf8)
        let at = position(of: "lookback", in: dataset, file: "Mappings/datasets/market_licenses.yml")
        for command in ["validate", "sync"] {
            let result = try huge.dataflow(command)
            #expect(result.status == 2, "\(command): \(result.status) \(result.output)")
            #expect(result.stderr.contains("\(at): 'lookback' must be between 0s and 366d, found '1e300s'"), "\(result.stderr)")
        }

        // timeout: 0s meant no timeout at all (a silent gateway held the run lock forever); a
        // retry_backoff of 99999999h slept for 8,000 years between attempts.
        for (original, replacement, message) in [
            ("timeout: 10s", "timeout: 0s", "'timeout' must be between 1ms and 1h, found '0s'"),
            ("retry_backoff: 10ms", "retry_backoff: 99999999h", "'retry_backoff' must be between 0s and 10m, found '99999999h'"),
        ] {
            let project = try CountyProject(sandbox: sandbox)
            let config = project.root.appendingPathComponent("dataflow.yml")
            let text = try String(contentsOf: config, encoding: .utf8).replacingOccurrences(of: original, with: replacement)
            try text.write(to: config, atomically: true, encoding: .utf8)
            let key = String(original.prefix { $0 != ":" })
            let result = try project.dataflow("validate")
            #expect(result.status == 2, "\(replacement): \(result.output)")
            #expect(result.stderr.contains("\(position(of: key, in: text, file: "dataflow.yml")): \(message)"), "\(result.stderr)")
        }
    }

    @Test func credentialsOverPlainHTTPAreWarnedAboutExceptOnLoopback() throws {
        let sandbox = try Sandbox(rows: 1, caseRows: 1)
        let project = try CountyProject(sandbox: sandbox)
        let loopback = try project.dataflow("validate")
        #expect(loopback.status == 0 && !loopback.stderr.contains("warning"), "the sandbox on 127.0.0.1 is not warned about: \(loopback.stderr)")

        let config = project.root.appendingPathComponent("dataflow.yml")
        let text = try String(contentsOf: config, encoding: .utf8)
        try text.replacingOccurrences(of: "http://127.0.0.1:\(sandbox.port)", with: "http://gateway.example.gov.cn").write(to: config, atomically: true, encoding: .utf8)
        let plain = try project.dataflow("validate")
        #expect(plain.status == 0, "a warning, not an error: \(plain.output)")
        let line = text.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.contains("base_url") }.map { $0 + 1 } ?? -1
        #expect(plain.stderr.contains("warning: dataflow.yml:\(line):5: source 'province' sends its credentials over plain http:// (gateway.example.gov.cn)"), "\(plain.stderr)")
        #expect(!plain.output.contains("sandbox-secret"))
        #expect(try project.dataflow("validate", "--quiet").stderr.isEmpty)

        try text.replacingOccurrences(of: "http://127.0.0.1:\(sandbox.port)", with: "https://gateway.example.gov.cn").write(to: config, atomically: true, encoding: .utf8)
        #expect(!(try project.dataflow("validate").stderr.contains("warning")))
    }
}
