import DataflowCore
import Foundation
import Testing

/// Configuration is input too: the real binary on hostile or wrong config files.
@Suite("Config is input: alias bombs, ca_bundle, credentials over http")
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
}
