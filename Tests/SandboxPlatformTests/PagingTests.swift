import Foundation
import Testing
@testable import SandboxPlatform

@Suite("Paging, ordering and filters")
struct PagingTests {
    @Test func pagesCoverTheTruthInOrderWithTotals() async throws {
        try await SandboxHarness.with({ $0.rows = 450 }) { sandbox in
            let secret = try sandbox.secrets().request
            let first = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageNum: 1, pageSize: 100)
            #expect(first.code == "00")
            #expect(first.total == 450)
            #expect(first.list.count == 100)
            let last = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageNum: 5, pageSize: 100)
            #expect(last.total == 450)
            #expect(last.list.count == 50)
            let beyond = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageNum: 9, pageSize: 100)
            #expect(beyond.total == 450)
            #expect(beyond.list.isEmpty)

            let paged = try sandbox.pageAll(SandboxHarness.licencesPath, secret: secret, pageSize: 100)
            let truth = try sandbox.truth("licenses")
            #expect(paged.count == 450)
            #expect(paged.map { $0["TYSHXYDM"] as? String ?? "" } == truth.map { $0["TYSHXYDM"] ?? "" })
            let order = truth.map { ($0["UPDATE_TIME"] ?? "", $0["TYSHXYDM"] ?? "") }
            #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 })
            #expect(Set(order.map(\.1)).count == 450)
        }
    }

    @Test func baseTimesStepOneMinutePerGroup() async throws {
        try await SandboxHarness.with({ $0.rows = 100; $0.groupSize = 37 }) { sandbox in
            let truth = try sandbox.truth("licenses")
            let times = truth.map { $0["UPDATE_TIME"] ?? "" }
            #expect(times[0] == "2026-01-01 00:00:00")
            #expect(times[36] == "2026-01-01 00:00:00")
            #expect(times[37] == "2026-01-01 00:01:00")
            #expect(times[99] == "2026-01-01 00:02:00")
        }
    }

    @Test func startTimeKeepsRecordsAtOrAfterIt() async throws {
        try await SandboxHarness.with({ $0.rows = 1_000; $0.groupSize = 37 }) { sandbox in
            let secret = try sandbox.secrets().request
            let page = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 50, startTime: "2026-01-01 00:10:00")
            #expect(page.code == "00")
            #expect(page.total == 1_000 - 10 * 37)
            #expect(page.list.first?["UPDATE_TIME"] as? String == "2026-01-01 00:10:00")
            let between = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 50, startTime: "2026-01-01 00:09:30")
            #expect(between.total == 1_000 - 10 * 37)
            let all = try sandbox.pageAll(SandboxHarness.licencesPath, secret: secret, pageSize: 97, startTime: "2026-01-01 00:10:00")
            #expect(all.count == 630)
            #expect(all.allSatisfy { ($0["UPDATE_TIME"] as? String ?? "") >= "2026-01-01 00:10:00" })
            let future = try sandbox.page(SandboxHarness.licencesPath, secret: secret, startTime: "2030-01-01 00:00:00")
            #expect(future.total == 0)
            #expect(future.list.isEmpty)
        }
    }

    @Test func pageSizeIsCappedSilently() async throws {
        try await SandboxHarness.with({ $0.rows = 300; $0.maxPageSize = 50 }) { sandbox in
            let secret = try sandbox.secrets().request
            let capped = try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 500)
            #expect(capped.code == "00")
            #expect(capped.list.count == 50)
            #expect(capped.total == 300)
            _ = try sandbox.post("/_control/config?max_page_size=20")
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 500).list.count == 20)
            #expect(try sandbox.page(SandboxHarness.licencesPath, secret: secret, pageSize: 7).list.count == 7)
        }
    }

    @Test func casesServeDatasAsAJSONString() async throws {
        try await SandboxHarness.with({ $0.rows = 100; $0.caseRows = 120 }) { sandbox in
            let secret = try sandbox.secrets().request
            let response = try sandbox.request("GET", sandbox.dataTarget(SandboxHarness.casesPath, secret: secret, pageSize: 10))
            #expect(response.json["code"] as? String == "00")
            let datas = try #require(response.json["datas"] as? String)
            let inner = try #require(try JSONSerialization.jsonObject(with: Data(datas.utf8)) as? [String: Any])
            #expect(inner["total"] as? Int == 120)
            let list = try #require(inner["list"] as? [[String: String]])
            #expect(list.count == 10)
            #expect(Set(list[0].keys) == ["CASE_ID", "SXBM", "SQRXM", "SQRZJHM", "SLSJ", "BJSJ", "STATUS", "UPDATE_TIME"])
        }
    }

    @Test func licenceRecordsHaveTheDocumentedFieldsAsStrings() async throws {
        try await SandboxHarness.with { sandbox in
            let secret = try sandbox.secrets().request
            let response = try sandbox.request("GET", sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret, pageSize: 30))
            let datas = try #require(response.json["datas"] as? [String: Any])
            let list = try #require(datas["list"] as? [[String: Any]])
            for record in list {
                #expect(Set(record.keys) == ["TYSHXYDM", "QYMC", "FDDBR", "CLRQ", "ZCZB", "XZQHDM", "SXBM", "UPDATE_TIME", "DEL_FLAG"])
                #expect(record.values.allSatisfy { $0 is String })
                #expect(record["XZQHDM"] as? String == "330782")
                #expect(record["DEL_FLAG"] as? String == "0")
                #expect((record["ZCZB"] as? String ?? "").range(of: #"^\d+\.\d\d$"#, options: .regularExpression) != nil)
                #expect((record["CLRQ"] as? String ?? "").range(of: #"^\d{8}$"#, options: .regularExpression) != nil)
                #expect(CheckDigits.isValidCreditCode(record["TYSHXYDM"] as? String ?? ""))
            }
        }
    }

    @Test func keepAliveServesSeveralRequestsOnOneConnection() async throws {
        try await SandboxHarness.with { sandbox in
            let secret = try sandbox.secrets().request
            let connection = try TestHTTPConnection(port: sandbox.server.port)
            for pageNum in 1...5 {
                let response = try connection.send("GET", sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret, pageNum: pageNum, pageSize: 10))
                #expect(response.isComplete)
                #expect(response.headers["connection"] != "close")
                #expect(try SandboxHarness.decodePage(response).list.count == 10)
            }
            let truth = try connection.send("GET", "/_control/truth?dataset=licenses")
            #expect(truth.isComplete)
            #expect(try connection.send("GET", "/_control/stats").json["data_requests"] as? Int == 5)
        }
    }

    @Test func concurrentClientsPageWhileTheDataDriftsAndMutates() async throws {
        try await SandboxHarness.with({ $0.rows = 3_000; $0.threads = 2 }) { sandbox in
            let secret = try sandbox.secrets().request
            _ = try sandbox.post("/_control/drift?dataset=licenses&per_request=7")
            let target: @Sendable (Int) -> String = { pageNum in sandbox.dataTarget(SandboxHarness.licencesPath, secret: secret, pageNum: pageNum, pageSize: 200) }
            let codes = try await withThrowingTaskGroup(of: [String].self) { group in
                for _ in 0..<4 {
                    group.addTask {
                        let connection = try TestHTTPConnection(port: sandbox.server.port)
                        return try (1...25).map { pageNum in try SandboxHarness.decodePage(connection.send("GET", target(pageNum))).code }
                    }
                }
                group.addTask {
                    try (0..<10).map { _ in
                        (try sandbox.post("/_control/mutate?dataset=licenses&update=20&insert=5&delete=2")["time"] as? String) ?? "?"
                    }
                }
                return try await group.reduce(into: []) { $0 += $1 }
            }
            #expect(codes.filter { $0 == "00" }.count == 100)
            let truth = try sandbox.truth("licenses")
            #expect(truth.count == 3_050)
            #expect(Set(truth.map { $0["TYSHXYDM"] ?? "" }).count == 3_050)
            let order = truth.map { ($0["UPDATE_TIME"] ?? "", $0["TYSHXYDM"] ?? "") }
            #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 })
            #expect(try sandbox.request("GET", "/_control/stats").json["data_requests"] as? Int == 100)
        }
    }

    @Test func unknownPathsAnswer404() async throws {
        try await SandboxHarness.with { (sandbox: SandboxHarness) throws in
            #expect(try sandbox.request("GET", "/nothing-here").status == 404)
            #expect(try sandbox.request("GET", "/gateway/api/unknown.htm").status == 404)
            #expect(try sandbox.request("GET", "/_control/mutate?dataset=licenses").status == 405)
        }
    }
}
