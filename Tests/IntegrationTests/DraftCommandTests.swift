import DataflowCore
import Foundation
import Testing

/// `dataflow draft` on every sandbox dataset of every gateway style: from a request-only file it
/// writes a mapping that validates, syncs to the truth (before and after a mutation), and
/// quarantines exactly the records the hand-written mapping quarantines.
@Suite("Draft: request-only files become mappings that sync to the truth")
struct DraftCommandTests {
    static let connectorStyles = ConnectorTests.incremental.filter { $0 != "licenses_repeat" } + ConnectorTests.snapshots

    /// Replaces the dataset file with its request part only (what a county starts from).
    static func requestOnly(_ project: CountyProject, _ file: String) throws -> String {
        let path = project.root.appendingPathComponent("Mappings/datasets/\(file).yml")
        let text = try String(contentsOf: path, encoding: .utf8)
        let stripped = DraftWriter.strip(text, keys: DraftWriter.draftedKeys)
        try stripped.write(to: path, atomically: true, encoding: .utf8)
        try? FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/glossary.yml"),
                                          to: project.root.appendingPathComponent("Mappings/glossary.yml"))
        return stripped
    }

    /// Drafts, validates, syncs, compares with the truth and with the hand-written mapping's quarantine.
    static func draftAndSync(_ project: CountyProject, dataset: String, sandboxName: String, handWritten: ExpectedDataset) throws {
        let draft = try project.dataflow("draft", dataset)
        #expect(draft.status == 0, "\(dataset): \(draft.output)")
        let text = try String(contentsOf: project.root.appendingPathComponent("Mappings/datasets/\(dataset).yml"), encoding: .utf8)
        #expect(text.contains("fields:") && text.contains("key: ["), "\(dataset): \(text)")
        let validate = try project.dataflow("validate")
        #expect(validate.status == 0, "\(dataset): \(validate.output)\n\(text)")
        let check = try project.dataflow("check", dataset, "--records", "1")
        #expect(check.status == 0 && check.output.contains("quarantine rate:") && check.output.contains("row[0]:"), "\(dataset): \(check.output)")
        let sync = try project.dataflow("sync", "--quiet")
        #expect(sync.status == 0, "\(dataset): \(sync.output)")
        try TruthComparison.expectEqual(project, dataset: dataset)
        let drafted = try TruthComparison.expected(project, dataset: dataset)
        // The same records are quarantined as with the hand-written mapping, or the draft names
        // the field a human must decide with a CHECK line.
        if drafted.rejectedRecords != handWritten.rejectedRecords {
            #expect(text.contains("CHECK:"), "\(dataset): quarantine differs (\(drafted.rejectedRecords.count) vs \(handWritten.rejectedRecords.count)) and no CHECK line says why\n\(text)")
        }
        #expect(drafted.rejectedRecords == handWritten.rejectedRecords, "\(dataset): \(drafted.rejectedRecords.count) quarantined, hand-written \(handWritten.rejectedRecords.count)\n\(text)")
        _ = try project.sandbox.mutate(sandboxName, update: 7, insert: 5, delete: sandboxName == "licenses" ? 3 : 0)
        let again = try project.dataflow("sync", "--quiet")
        #expect(again.status == 0, "\(dataset): \(again.output)")
        try TruthComparison.expectEqual(project, dataset: dataset)
    }

    @Test(arguments: connectorStyles)
    func everyGatewayStyle(_ dataset: String) throws {
        let sandbox = try Sandbox(rows: 450)
        let hand = try CountyProject(sandbox: sandbox, connectorDatasets: [dataset])
        let handWritten = try TruthComparison.expected(hand, dataset: dataset)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [dataset])
        _ = try Self.requestOnly(project, dataset)
        try Self.draftAndSync(project, dataset: dataset, sandboxName: "licenses", handWritten: handWritten)
    }

    @Test(arguments: [("market_licenses", "licenses"), ("service_cases", "cases")])
    func theProvinceGateway(_ dataset: String, _ sandboxName: String) throws {
        let sandbox = try Sandbox(rows: 600, caseRows: 900)
        let hand = try CountyProject(sandbox: sandbox)
        let handWritten = try TruthComparison.expected(hand, dataset: dataset)
        #expect(sandboxName == "licenses" || handWritten.rejectedRecords.count == 9, "cases: 1 % of 900 are invalid")
        let project = try CountyProject(sandbox: sandbox, edit: { file, text in
            file == "\(dataset).yml" ? DraftWriter.strip(text, keys: DraftWriter.draftedKeys) : text
        })
        _ = try Self.requestOnly(project, dataset)
        try Self.draftAndSync(project, dataset: dataset, sandboxName: sandboxName, handWritten: handWritten)
    }

    @Test func anExistingMappingIsNotOverwrittenWithoutForce() throws {
        let sandbox = try Sandbox(rows: 300)
        let project = try CountyProject(sandbox: sandbox)
        let path = project.root.appendingPathComponent("Mappings/datasets/market_licenses.yml")
        let before = try String(contentsOf: path, encoding: .utf8)
        let refused = try project.dataflow("draft", "market_licenses")
        #expect(refused.status == 2)
        #expect(refused.output.contains("already has fields:") && refused.output.contains("--force"), "\(refused.output)")
        #expect(try String(contentsOf: path, encoding: .utf8) == before)
        let dry = try project.dataflow("draft", "market_licenses", "--force", "--dry-run")
        #expect(dry.status == 0, "\(dry.output)")
        #expect(dry.output.contains("check: uscc") && dry.output.contains("not written (--dry-run)"))
        #expect(try String(contentsOf: path, encoding: .utf8) == before)
        let forced = try project.dataflow("draft", "market_licenses", "--force", "--sample", "120")
        #expect(forced.status == 0, "\(forced.output)")
        let after = try String(contentsOf: path, encoding: .utf8)
        #expect(after.contains("from 120 records") && after.hasPrefix("dataset: market_licenses"), "\(after)")
        #expect(try project.dataflow("validate").status == 0)
    }

    @Test func aRequestOnlyFileFailsValidateWithAPointerToDraft() throws {
        let sandbox = try Sandbox(rows: 10)
        let project = try CountyProject(sandbox: sandbox, edit: { file, text in
            file == "service_cases.yml" ? DraftWriter.strip(text, keys: DraftWriter.draftedKeys) : text
        })
        let result = try project.dataflow("validate")
        #expect(result.status == 2)
        #expect(result.output.contains("service_cases.yml:1:1: no 'key' and 'fields' yet: `dataflow draft service_cases`"), "\(result.output)")
    }
}
