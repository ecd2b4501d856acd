import Foundation
import Testing
@testable import SandboxPlatform

@Suite("zj-irs token flow")
struct TokenFlowTests {
    @Test func tokenByKeyWithCorrectSignIssuesSecrets() async throws {
        try await SandboxHarness.with { sandbox in
            let before = Int64(Date().timeIntervalSince1970 * 1000)
            let response = try sandbox.tokenByKey()
            #expect(response.status == 200)
            #expect(response.headers["content-type"] == "application/json; charset=utf-8")
            #expect(response.json["code"] as? String == "00")
            #expect(response.json["msg"] as? String == "成功")
            let datas = try #require(response.json["datas"] as? [String: Any])
            let requestSecret = try #require(datas["requestSecret"] as? String)
            #expect(requestSecret.count == 32)
            let requestEnd = Int64(try #require(datas["requestSecretEndTime"] as? Int))
            let refreshEnd = Int64(try #require(datas["refreshSecretEndTime"] as? Int))
            #expect(abs(requestEnd - (before + 900_000)) < 5_000)
            #expect(abs(refreshEnd - (before + 172_800_000)) < 5_000)
        }
    }

    @Test func wrongSignOrUnknownAppKeyAnswers14() async throws {
        try await SandboxHarness.with { sandbox in
            #expect(try sandbox.tokenByKey(sign: String(repeating: "0", count: 32)).json["code"] as? String == "14")
            #expect(try sandbox.tokenByKey(appKey: "someone-else").json["code"] as? String == "14")
            let secret = try sandbox.secrets().request
            let target = sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret).replacingOccurrences(of: "sign=", with: "sign=0")
            #expect(try sandbox.request("GET", target).json["code"] as? String == "14")
            let unknown = sandbox.dataTarget(SandboxHarness.licencesPath, secret: "not-a-secret")
            #expect(try sandbox.request("GET", unknown).json["code"] as? String == "14")
        }
    }

    @Test func refreshBySecretIssuesANewRequestSecretAndKeepsTheRefreshSecret() async throws {
        try await SandboxHarness.with { sandbox in
            let first = try sandbox.secrets()
            let refreshed = try sandbox.tokenBySecret(first.refresh)
            #expect(refreshed.json["code"] as? String == "00")
            let datas = try #require(refreshed.json["datas"] as? [String: Any])
            let newRequest = try #require(datas["requestSecret"] as? String)
            #expect(newRequest != first.request)
            #expect(datas["refreshSecret"] as? String == first.refresh)
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: newRequest).code == "00")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: first.request).code == "00")
            #expect(try sandbox.tokenBySecret("0123456789abcdef0123456789abcdef").json["code"] as? String == "14")
        }
    }

    @Test func requestSecretExpiresAfterItsTTL() async throws {
        // The sandbox's clock, not real time: a minute's lifetime that the first page lands well
        // inside however loaded the machine is, then the clock moves past it.
        try await SandboxHarness.with({ $0.secretTTL = 60 }) { sandbox in
            let secret = try sandbox.secrets().request
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "00")
            _ = try sandbox.post("/_control/clock?advance=61")
            let expired = try sandbox.page(SandboxHarness.licencesPath, secret: secret)
            #expect(expired.code == "11")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: sandbox.secrets().request).code == "00")
        }
    }

    @Test func clockAdvanceExpiresSecrets() async throws {
        try await SandboxHarness.with { sandbox in
            let secrets = try sandbox.secrets()
            _ = try sandbox.post("/_control/clock?advance=901")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secrets.request).code == "11")
            #expect(try sandbox.tokenBySecret(secrets.refresh).json["code"] as? String == "00")
            _ = try sandbox.post("/_control/clock?advance=172800")
            #expect(try sandbox.tokenBySecret(secrets.refresh).json["code"] as? String == "11")
        }
    }

    @Test func secretTTLChangesLive() async throws {
        try await SandboxHarness.with { sandbox in
            let config = try sandbox.post("/_control/config?secret_ttl=1")
            #expect(config["secret_ttl"] as? Int == 1)
            let secret = try sandbox.secrets().request
            _ = try sandbox.post("/_control/clock?advance=2")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret).code == "11")
        }
    }

    @Test(arguments: ["appKey", "requestTime", "sign", "pageNum", "pageSize"])
    func missingParameterAnswers97NamingIt(_ parameter: String) async throws {
        try await SandboxHarness.with { sandbox in
            let secret = try sandbox.secrets().request
            let full = sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret)
            let pieces = full.split(separator: "?")
            let kept = pieces[1].split(separator: "&").filter { !$0.hasPrefix("\(parameter)=") }
            let response = try sandbox.request("GET", "\(pieces[0])?\(kept.joined(separator: "&"))")
            #expect(response.json["code"] as? String == "97")
            #expect((response.json["msg"] as? String ?? "").contains(parameter))
        }
    }

    @Test func missingTokenParameterAnswers97() async throws {
        try await SandboxHarness.with { sandbox in
            let response = try sandbox.request("GET", "/gateway/app/refreshTokenByKey.htm?appKey=sandbox-app&requestTime=1")
            #expect(response.json["code"] as? String == "97")
            #expect((response.json["msg"] as? String ?? "").contains("sign"))
        }
    }

    @Test(arguments: [("pageNum", "abc"), ("pageNum", "0"), ("pageSize", "-1"), ("startTime", "2026-01-01"), ("requestTime", "soon")])
    func malformedParameterAnswers98(_ parameter: String, _ value: String) async throws {
        try await SandboxHarness.with { sandbox in
            let secret = try sandbox.secrets().request
            var target = sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret)
            if let range = target.range(of: "\(parameter)=[^&]*", options: .regularExpression) {
                target.replaceSubrange(range, with: "\(parameter)=\(value)")
            } else {
                target += "&\(parameter)=\(value)"
            }
            let response = try sandbox.request("GET", target)
            #expect(response.json["code"] as? String == "98")
            #expect((response.json["msg"] as? String ?? "").contains(parameter))
        }
    }
}
