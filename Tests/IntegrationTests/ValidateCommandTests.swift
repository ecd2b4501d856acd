import DataflowCore
import Foundation
import Testing

/// `dataflow validate` on the real binary: the example county is valid, a broken mapping gives
/// FILE:LINE:COLUMN and exit code 2.
@Suite("dataflow validate on mapping files")
struct ValidateCommandTests {
    @Test func exampleCountyValidatesAndABrokenMappingIsReportedWithPosition() throws {
        let sandbox = try Sandbox(rows: 1, caseRows: 1)
        let good = try CountyProject(sandbox: sandbox)
        let ok = try good.dataflow("validate")
        #expect(ok.status == 0, "\(ok.output)")
        #expect(ok.stdout.contains("56 matters, 32 functions"), "\(ok.stdout)")
        #expect(ok.stdout.contains("3 code tables"), "\(ok.stdout)")

        let broken = try CountyProject(sandbox: sandbox) { file, text in
            file == "service_cases.yml" ? text.replacingOccurrences(of: "codes: { table: case_status, unknown: reject }", with: "codes: { table: case_state }") : text
        }
        let result = try broken.dataflow("validate")
        #expect(result.status == 2)
        let lines = try String(contentsOf: broken.root.appendingPathComponent("Mappings/datasets/service_cases.yml"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.contains("case_state") }) + 1
        #expect(result.stderr.contains("Mappings/datasets/service_cases.yml:\(line):"), "\(result.stderr)")
        #expect(result.stderr.contains("unknown code table 'case_state' (did you mean 'case_status'?)"), "\(result.stderr)")
    }

    @Test func aDateFieldThatSilentlyTurnsNAIntoNullIsAWarning() throws {
        let sandbox = try Sandbox(rows: 1, caseRows: 1)
        let project = try CountyProject(sandbox: sandbox) { file, text in
            guard file == "service_cases.yml" else { return text }
            return text.components(separatedBy: "\n").filter { !$0.hasPrefix("null_if:") }.joined(separator: "\n")
                .replacingOccurrences(of: "accepted_at:    { from: SLSJ, type: datetime,", with: "accepted_at:    { from: SLSJ, type: datetime, required: true,")
                .replacingOccurrences(of: "finished_on:    { from: BJSJ, type: date,", with: "finished_on:    { from: BJSJ, type: date, null_if: [\"\"],")
        }
        let result = try project.dataflow("validate")
        #expect(result.status == 0, "a warning, not an error: \(result.output)")
        let lines = try String(contentsOf: project.root.appendingPathComponent("Mappings/datasets/service_cases.yml"), encoding: .utf8)
            .split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.hasPrefix("  updated_at:") }) + 1
        #expect(result.stderr.contains("service_cases.yml:\(line):3: datetime field 'updated_at' is neither required nor given its own null_if"), "\(result.stderr)")
        #expect(!result.stderr.contains("'accepted_at'") && !result.stderr.contains("'finished_on'"), "required and an own null_if are choices: \(result.stderr)")
        #expect(result.stderr.components(separatedBy: "warning:").count == 2, "one warning: \(result.stderr)")
    }
}
