import Foundation
import Testing

/// docs/connectors.md quotes every connector fixture the integration tests use, verbatim.
@Suite("docs/connectors.md matches the tested fixtures")
struct ConnectorDocsTests {
    @Test func everyFixtureIsQuotedVerbatim() throws {
        let doc = try String(contentsOf: Binaries.repositoryRoot.appendingPathComponent("docs/connectors.md"), encoding: .utf8)
        let fixtures = CountyProject.connectorFixtures
        var files = ["dataflow.yml"]
        files += try FileManager.default.contentsOfDirectory(atPath: fixtures.appendingPathComponent("datasets").path)
            .filter { $0.hasSuffix(".yml") }.map { "datasets/" + $0 }
        #expect(files.count == 34)
        for file in files {
            let text = try String(contentsOf: fixtures.appendingPathComponent(file), encoding: .utf8)
            #expect(doc.contains("```yaml\n" + text + "```\n"), "docs/connectors.md does not quote \(file) verbatim")
        }
    }
}
