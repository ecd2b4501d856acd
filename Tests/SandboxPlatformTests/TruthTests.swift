import Foundation
import Testing
@testable import SandboxPlatform

@Suite("Truth NDJSON and determinism")
struct TruthTests {
    @Test func truthIsNDJSONWithAnExactLength() async throws {
        try await SandboxHarness.with({ $0.rows = 3_000; $0.caseRows = 1_300 }) { sandbox in
            let response = try sandbox.request("GET", "/_control/truth?dataset=licenses")
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/x-ndjson; charset=utf-8")
            #expect(response.isComplete)
            #expect(Int(response.headers["content-length"] ?? "") == response.body.count)
            let lines = response.text.split(separator: "\n", omittingEmptySubsequences: false)
            #expect(lines.count == 3_001)
            #expect(lines.last == "")
            #expect(lines.dropLast().allSatisfy { (try? JSONSerialization.jsonObject(with: Data($0.utf8))) is [String: String] })
            #expect(try sandbox.truth("cases").count == 1_300)
        }
    }

    @Test func sameSeedSameTruthOtherSeedOtherTruth() async throws {
        var truths: [[String]] = []
        for seed: UInt64 in [42, 42, 43] {
            try await SandboxHarness.with({ $0.rows = 300; $0.seed = seed }) { sandbox in
                let licences = try sandbox.truth("licenses").map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "|") }
                let cases = try sandbox.truth("cases").map { $0.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "|") }
                truths.append(licences + cases)
            }
        }
        #expect(truths[0] == truths[1])
        #expect(truths[0] != truths[2])
    }

    @Test func exactlyOnePercentOfBaseCasesAreInvalidEachForOneReason() async throws {
        try await SandboxHarness.with({ $0.rows = 10; $0.caseRows = 3_000 }) { sandbox in
            let cases = try sandbox.truth("cases")
            #expect(cases.count == 3_000)
            let emptyID = cases.filter { $0["CASE_ID"] == "" }
            let badCitizenID = cases.filter { !CheckDigits.isValidCitizenID($0["SQRZJHM"] ?? "") }
            let badAcceptedAt = cases.filter { CivilTime.parse($0["SLSJ"] ?? "") == nil }
            #expect(emptyID.count == 10)
            #expect(badCitizenID.count == 10)
            #expect(badAcceptedAt.count == 10)
            #expect(badAcceptedAt.allSatisfy { $0["SLSJ"] == "2026-13-45 25:61:00" })
            let invalid = cases.filter { record in
                record["CASE_ID"] == "" || !CheckDigits.isValidCitizenID(record["SQRZJHM"] ?? "")
                    || CivilTime.parse(record["SLSJ"] ?? "") == nil
            }
            #expect(invalid.count == 30)
            let unknownMatter = cases.filter { $0["SXBM"] == "000199999000" }
            #expect(unknownMatter.count == 60)
        }
    }
}
