import Foundation
import Testing
@testable import SandboxPlatform

@Suite("Quota and fault injection")
struct QuotaAndFaultTests {
    @Test func quotaAnswers18UntilReset() async throws {
        try await SandboxHarness.with({ $0.quota = 3 }) { sandbox in
            let secret = try sandbox.secrets().request
            for _ in 0..<3 {
                #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "00")
            }
            #expect(try sandbox.page(SandboxHarness.casesPath, secret: secret).code == "18")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "18")
            #expect(try sandbox.tokenByKey().json["code"] as? String == "00")  // tokens are not charged
            _ = try sandbox.post("/_control/config?quota=1")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "00")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "18")
            _ = try sandbox.post("/_control/config?quota=0")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "00")
        }
    }

    @Test func injected429CarriesRetryAfter() async throws {
        try await SandboxHarness.with { sandbox in
            let faults = try sandbox.post("/_control/faults?rate=1&kinds=429&retry_after=7")
            #expect(faults["kinds"] as? [String] == ["429"])
            let response = try sandbox.tokenByKey()
            #expect(response.status == 429)
            #expect(response.headers["retry-after"] == "7")
            #expect(response.headers["content-type"] == "application/json; charset=utf-8")
            #expect(response.json["error"] is String)
            // Control endpoints are never faulted.
            #expect(try sandbox.request("GET", "/_control/stats").status == 200)
        }
    }

    @Test func injected500() async throws {
        try await SandboxHarness.with { sandbox in
            let secret = try sandbox.secrets().request
            _ = try sandbox.post("/_control/faults?rate=1&kinds=500")
            #expect(try sandbox.request("GET", sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret)).status == 500)
        }
    }

    @Test func injectedDropClosesWithoutAResponse() async throws {
        try await SandboxHarness.with { sandbox in
            _ = try sandbox.post("/_control/faults?rate=1&kinds=drop")
            let response = try sandbox.tokenByKey()
            #expect(response.status == 0)
            #expect(response.body.isEmpty)
        }
    }

    @Test func injectedTruncateSendsHalfTheAnnouncedBody() async throws {
        try await SandboxHarness.with({ $0.rows = 2_000 }) { sandbox in
            let secret = try sandbox.secrets().request
            _ = try sandbox.post("/_control/faults?rate=1&kinds=truncate")
            // A large page (≈ 230 KB), more than one socket write.
            let response = try sandbox.request("GET", sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret, pageSize: 1_000))
            #expect(response.status == 200)
            #expect(!response.isComplete)
            let announced = try #require(Int(response.headers["content-length"] ?? ""))
            #expect(response.body.count == announced / 2)
        }
    }

    @Test func faultRateIsAFractionAndStatsCountIt() async throws {
        try await SandboxHarness.with({ $0.faultRate = 0.5; $0.faults = [.serverError] }) { sandbox in
            var failures = 0
            for _ in 0..<200 where try sandbox.tokenByKey().status == 500 {
                failures += 1
            }
            #expect((60...140).contains(failures))
            let stats = try sandbox.request("GET", "/_control/stats").json
            #expect(stats["requests"] as? Int == 200)
            #expect(stats["faults"] as? Int == failures)
            #expect(stats["token_requests"] as? Int == 200 - failures)
            _ = try sandbox.post("/_control/faults?rate=0")
            #expect(try sandbox.tokenByKey().status == 200)
        }
    }

    @Test func badControlParametersAnswer400() async throws {
        try await SandboxHarness.with { (sandbox: SandboxHarness) throws in
            #expect(try sandbox.request("POST", "/_control/faults?kinds=teapot").status == 400)
            #expect(try sandbox.request("POST", "/_control/faults?rate=2").status == 400)
            #expect(try sandbox.request("POST", "/_control/mutate?dataset=people&update=1").status == 400)
            #expect(try sandbox.request("POST", "/_control/clock?advance=-5").status == 400)
            #expect(try sandbox.request("GET", "/_control/truth").status == 400)
        }
    }
}
