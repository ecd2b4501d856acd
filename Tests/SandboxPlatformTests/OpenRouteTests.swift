import Foundation
import Testing
@testable import SandboxPlatform

@Suite("Open routes: other gateway styles over the same data")
struct OpenRouteTests {
    @Test func eachPagingStyleServesTheTruthInOrder() async throws {
        try await SandboxHarness.with({ $0.rows = 230 }) { sandbox in
            let truth = try sandbox.truth("licenses").map { $0["TYSHXYDM"] ?? "" }
            // offset
            var keys: [String] = []
            for offset in stride(from: 0, to: 300, by: 100) {
                let page = try sandbox.request("GET", "/open/none/offset/plain/licenses.json?offset=\(offset)&limit=100").json
                #expect(page["total"] as? Int == 230)
                keys += (page["records"] as? [[String: Any]] ?? []).compactMap { $0["TYSHXYDM"] as? String }
            }
            #expect(keys == truth)
            // cursor in the body, then none left
            let first = try sandbox.request("GET", "/open/none/cursor/plain/licenses.json?limit=200").json
            #expect(first["next_cursor"] as? String == "o200")
            let last = try sandbox.request("GET", "/open/none/cursor/plain/licenses.json?limit=200&cursor=o200").json
            #expect(last["next_cursor"] == nil && (last["records"] as? [Any])?.count == 30)
            // link header
            let linked = try sandbox.request("GET", "/open/none/link-header/plain/licenses.json?limit=100&offset=200")
            #expect(linked.headers["link"]?.contains("rel=\"next\"") == false)
            #expect(try sandbox.request("GET", "/open/none/link-header/plain/licenses.json?limit=100").headers["link"]?.contains("offset=100>; rel=\"next\"") == true)
            // a repeating link always points at the first page
            let repeating = try sandbox.request("GET", "/open/none/repeat/plain/licenses.json?offset=100&limit=100").json
            #expect(repeating["next"] as? String == "/open/none/repeat/plain/licenses.json?limit=100&offset=0")
        }
    }

    @Test func credentialsAreCheckedAndRefusalsSayWhy() async throws {
        try await SandboxHarness.with({ $0.rows = 10 }) { sandbox in
            let refused = try sandbox.request("GET", "/open/bearer/none/plain/licenses.json")
            #expect(refused.status == 401 && refused.text.contains("bearer token missing or wrong"))
            let apiKey = try sandbox.request("GET", "/open/apikey-query/none/plain/licenses.json?api_key=sandbox-secret")
            #expect(apiKey.status == 200)
            let wrong = try sandbox.request("GET", "/open/apikey-query/none/plain/licenses.json?api_key=nope")
            #expect(wrong.status == 401)
            #expect(try sandbox.request("GET", "/open/nope/none/plain/licenses.json").status == 404)
            #expect(try sandbox.request("GET", "/open/none/none/plain/licenses.xml").status == 404)
        }
    }

    @Test func csvIsGB18030WithCharactersOutsideGBK() async throws {
        try await SandboxHarness.with({ $0.rows = 50 }) { sandbox in
            let csv = try sandbox.request("GET", "/open/none/none/plain/licenses.csv")
            #expect(csv.status == 200)
            #expect(csv.headers["content-type"] == "text/csv; charset=GB18030")
            #expect(String(validating: csv.body, as: UTF8.self) == nil, "not UTF-8")
            // 䶮 (U+4DAE) is 0xFE 0x9F in GB18030; 𠮷 (U+20BB7) is 0x95 0x34 0xB2 0x35.
            func contains(_ needle: [UInt8]) -> Bool {
                (0...(csv.body.count - needle.count)).contains { Array(csv.body[$0..<($0 + needle.count)]) == needle }
            }
            #expect(contains([0xFE, 0x9F]))
            #expect(contains([0x95, 0x34, 0xB2, 0x35]))
            #expect(csv.body.starts(with: Array("TYSHXYDM,QYMC,FDDBR,".utf8)))
        }
    }

    @Test func presetShapes() async throws {
        try await SandboxHarness.with({ $0.rows = 120 }) { sandbox in
            let ckan = try sandbox.request("GET", "/api/3/action/datastore_search?resource_id=licenses&limit=100").json
            let result = ckan["result"] as? [String: Any]
            #expect(ckan["success"] as? Bool == true && result?["total"] as? Int == 120 && (result?["records"] as? [Any])?.count == 100)
            let arcgis = try sandbox.request("GET", "/arcgis/rest/services/licenses/FeatureServer/0/query?resultOffset=100&resultRecordCount=100").json
            #expect(arcgis["exceededTransferLimit"] as? Bool == false)
            #expect(((arcgis["features"] as? [[String: Any]])?.first?["attributes"] as? [String: Any])?["TYSHXYDM"] != nil)
            let v4 = try sandbox.request("GET", "/odata/v4/licenses?$top=100").json
            #expect((v4["@odata.nextLink"] as? String)?.hasSuffix("/odata/v4/licenses?%24skip=100&%24top=100") == true)
            let v2 = try sandbox.request("GET", "/odata/v2/cases?$skip=100").json
            #expect(((v2["d"] as? [String: Any])?["results"] as? [Any])?.count == 20)
            #expect(try sandbox.request("GET", "/resource/licenses.json").text.hasPrefix("[{"))
            #expect(try sandbox.request("GET", "/api/3/action/datastore_search?resource_id=nope").status == 404)
            // Filters: every record is at or after 2026-01-01, none after 2027; unknown expressions are refused.
            let since = SandboxHarness.encode("UPDATE_TIME ge '2026-01-01T00:00:00.000'")
            #expect(((try sandbox.request("GET", "/odata/v4/licenses?$top=200&$filter=\(since)").json["value"]) as? [Any])?.count == 120)
            let future = SandboxHarness.encode(":updated_at >= '2027-01-01 00:00:00'")
            #expect(try sandbox.request("GET", "/resource/licenses.json?$where=\(future)").text == "[]")
            #expect(try sandbox.request("GET", "/resource/licenses.json?$where=\(SandboxHarness.encode("QYMC like '%x%'"))").status == 400)
        }
    }
}
