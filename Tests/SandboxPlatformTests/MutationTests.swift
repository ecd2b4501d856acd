import Foundation
import Testing
@testable import SandboxPlatform

@Suite("Mutations, clock and drift")
struct MutationTests {
    @Test func mutatedRecordsMoveToTheEndStampedWithTheClock() async throws {
        try await SandboxHarness.with({ $0.rows = 500 }) { sandbox in
            let before = try sandbox.truth("licenses")
            let result = try sandbox.post("/_control/mutate?dataset=licenses&update=5&insert=3&delete=2")
            let updated = try #require(result["updated"] as? [String])
            let inserted = try #require(result["inserted"] as? [String])
            let deleted = try #require(result["deleted"] as? [String])
            #expect(result["time"] as? String == "2026-11-01 08:00:00")
            #expect(updated.count == 5 && inserted.count == 3 && deleted.count == 2)
            #expect(Set(updated + inserted + deleted).count == 10)

            let after = try sandbox.truth("licenses")
            #expect(after.count == 503)
            let tail = after.suffix(10)
            #expect(Set(tail.map { $0["TYSHXYDM"] ?? "" }) == Set(updated + inserted + deleted))
            #expect(tail.allSatisfy { $0["UPDATE_TIME"] == "2026-11-01 08:00:00" })
            #expect(tail.map { $0["TYSHXYDM"] ?? "" } == tail.map { $0["TYSHXYDM"] ?? "" }.sorted())
            #expect(after.filter { $0["DEL_FLAG"] == "1" }.map { $0["TYSHXYDM"] ?? "" }.sorted() == deleted.sorted())
            #expect(inserted.allSatisfy(CheckDigits.isValidCreditCode))

            let old = Dictionary(uniqueKeysWithValues: before.map { ($0["TYSHXYDM"] ?? "", $0) })
            let new = Dictionary(uniqueKeysWithValues: after.map { ($0["TYSHXYDM"] ?? "", $0) })
            for key in updated {
                let previous = try #require(old[key])
                let current = try #require(new[key])
                #expect(previous["QYMC"] != current["QYMC"] || previous["ZCZB"] != current["ZCZB"])
                #expect(previous["FDDBR"] == current["FDDBR"])
            }
            // The untouched records keep their relative order.
            let touched = Set(updated + deleted)
            #expect(before.map { $0["TYSHXYDM"] ?? "" }.filter { !touched.contains($0) } == after.prefix(493).map { $0["TYSHXYDM"] ?? "" })

            let later = try sandbox.post("/_control/clock?advance=90")
            #expect(later["now"] as? String == "2026-11-01 08:01:30")
            let second = try sandbox.post("/_control/mutate?dataset=licenses&update=1")
            let again = try #require((second["updated"] as? [String])?.first)
            let last = try #require(try sandbox.truth("licenses").last)
            #expect(last["TYSHXYDM"] == again)
            #expect(last["UPDATE_TIME"] == "2026-11-01 08:01:30")
            #expect(!deleted.contains(again))
        }
    }

    @Test func startTimeFindsOnlyTheChanges() async throws {
        try await SandboxHarness.with({ $0.rows = 300 }) { sandbox in
            _ = try sandbox.post("/_control/clock?advance=3600")
            let result = try sandbox.post("/_control/mutate?dataset=licenses&update=4&insert=2")
            let now = try #require(result["time"] as? String)
            let secret = try sandbox.secrets().request
            let changes = try sandbox.page(SandboxHarness.licencesPath, secret: secret, startTime: now)
            #expect(changes.total == 6)
            #expect(Set(changes.list.map { $0["TYSHXYDM"] as? String ?? "" })
                == Set((result["updated"] as? [String] ?? []) + (result["inserted"] as? [String] ?? [])))
        }
    }

    @Test func caseMutationsFlipStatusAndRefuseDeletes() async throws {
        try await SandboxHarness.with({ $0.rows = 50; $0.caseRows = 600 }) { sandbox in
            let before = Dictionary(try sandbox.truth("cases").map { ($0["CASE_ID"] ?? "", $0) }, uniquingKeysWith: { first, _ in first })
            let refused = try sandbox.request("POST", "/_control/mutate?dataset=cases&delete=1")
            #expect(refused.status == 400)
            let result = try sandbox.post("/_control/mutate?dataset=cases&update=20&insert=5")
            let updated = try #require(result["updated"] as? [String])
            let after = try sandbox.truth("cases")
            #expect(after.count == 605)
            let current = Dictionary(after.map { ($0["CASE_ID"] ?? "", $0) }, uniquingKeysWith: { _, last in last })
            for key in updated where !key.isEmpty {
                let old = try #require(before[key])
                let new = try #require(current[key])
                #expect(old["STATUS"] != new["STATUS"])
                #expect(new["STATUS"] == "办结" ? new["BJSJ"] == "20261101" : new["BJSJ"] == "")
                #expect(new["UPDATE_TIME"] == "2026-11-01 08:00:00")
            }
            for key in try #require(result["inserted"] as? [String]) {
                let record = try #require(current[key])
                #expect(CheckDigits.isValidCitizenID(record["SQRZJHM"] ?? ""))
                #expect(CivilTime.parse(record["SLSJ"] ?? "") != nil)
                #expect(key.hasPrefix("YW") && key.count == 14)
            }
        }
    }

    @Test func mutationsAreDeterministicForASeed() async throws {
        var outcomes: [[String]] = []
        for _ in 0..<2 {
            try await SandboxHarness.with({ $0.rows = 400; $0.seed = 7 }) { sandbox in
                _ = try sandbox.post("/_control/mutate?dataset=licenses&update=6&insert=2&delete=3")
                outcomes.append(try sandbox.truth("licenses").map { "\($0["TYSHXYDM"] ?? "")|\($0["QYMC"] ?? "")|\($0["DEL_FLAG"] ?? "")" })
            }
        }
        #expect(outcomes[0] == outcomes[1])
    }

    @Test func driftMovesFrontRecordsToTheEndBeforeEachDataRequest() async throws {
        try await SandboxHarness.with({ $0.rows = 200 }) { sandbox in
            let before = try sandbox.truth("licenses").map { $0["TYSHXYDM"] ?? "" }
            let drift = try sandbox.post("/_control/drift?dataset=licenses&per_request=5")
            #expect(drift["per_request"] as? Int == 5)
            let secret = try sandbox.secrets().request
            let page = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 10)
            #expect(page.total == 200)
            // The page is served after the drift: it starts at the 6th record of the old order.
            #expect(page.list.first?["TYSHXYDM"] as? String == before[5])
            let after = try sandbox.truth("licenses")
            #expect(Set(after.suffix(5).map { $0["TYSHXYDM"] ?? "" }) == Set(before.prefix(5)))
            #expect(after.suffix(5).allSatisfy { $0["UPDATE_TIME"] == "2026-11-01 08:00:00" })
            _ = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 10)
            #expect(try sandbox.truth("licenses").suffix(10).allSatisfy { $0["UPDATE_TIME"] == "2026-11-01 08:00:00" })
            // Cases are not drifted, and per_request=0 stops it.
            _ = try sandbox.page(SandboxHarness.casesPath, secret: secret, pageSize: 10)
            #expect(try sandbox.truth("cases").last?["UPDATE_TIME"] != "2026-11-01 08:00:00")
            _ = try sandbox.post("/_control/drift?dataset=licenses&per_request=0")
            let frozen = try sandbox.truth("licenses").map { $0["TYSHXYDM"] ?? "" }
            _ = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 10)
            #expect(try sandbox.truth("licenses").map { $0["TYSHXYDM"] ?? "" } == frozen)
        }
    }
}
