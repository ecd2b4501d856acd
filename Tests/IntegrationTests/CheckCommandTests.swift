import DataflowCore
import Foundation
import Testing

@Suite("dataflow check")
struct CheckCommandTests {
    @Test func checksAuthFetchesOnePageAndSaysWhatComesNext() throws {
        let sandbox = try Sandbox(rows: 250)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [
            "licenses_auth_bcdsg", "licenses_cursor", "licenses_link_header", "licenses_csv", "licenses_repeat",
        ])
        let text = try project.dataflow("check", "licenses_auth_bcdsg")
        #expect(text.status == 0, "\(text.output)")
        #expect(text.output.contains("licenses_auth_bcdsg (source bcdsg, auth hmac (hmac-sha256, base64, X-BG-HMAC-SIGNATURE)): ok"))
        #expect(text.output.contains("page: 100 records of 250"))
        #expect(text.output.contains("next: page: next pageNum=2 (100 of 250 read)"))
        #expect(text.output.contains("row[2]: uscc="))
        #expect(!text.output.contains("sandbox-secret"))

        let result = try project.dataflow("check", "--format", "json", "--records", "2")
        #expect(result.status == 0, "\(result.output)")
        guard case .array(let items) = try JSONParser.parse(Array(result.output.utf8)) else { Issue.record("not a JSON list"); return }
        var byName: [String: JSONValue] = [:]
        for item in items { if let name = item["dataset"]?.text { byName[name] = item } }
        #expect(byName.count == 5)
        let cursor = try #require(byName["licenses_cursor"])
        #expect(cursor["ok"]?.text == "true")
        #expect(cursor["next"]?.text == "cursor: next cursor=o100")
        if case .array(let raw)? = cursor["raw"], case .array(let rows)? = cursor["rows"] {
            #expect(raw.count == 2 && rows.count == 2)
            // pii is masked in raw records and rows alike.
            let rawName = raw[0]["FDDBR"]?.text ?? ""
            #expect(rawName.contains("*"))
            #expect(rows[0]["legal_rep"]?.text == rawName)
            #expect(rows[0]["uscc"]?.text == raw[0]["TYSHXYDM"]?.text)
        } else { Issue.record("raw/rows missing") }
        #expect(byName["licenses_link_header"]?["next"]?.text?.hasPrefix("link-header: next http://127.0.0.1:\(sandbox.port)/open/none/link-header/plain/licenses.json?limit=100&offset=100") == true)
        #expect(byName["licenses_csv"]?["next"]?.text == "none: one request per sync (250 records)")
        // One page cannot show a loop yet (the link differs from the first request); a sync stops on it.
        #expect(byName["licenses_repeat"]?["next"]?.text?.hasSuffix("/open/none/repeat/plain/licenses.json?limit=100&offset=0") == true)
        #expect(!FileManager.default.fileExists(atPath: project.warehousePath), "check writes nothing")
    }

    @Test func failuresNameTheGatewaysAnswerAndUnknownTargetsAreUsageErrors() throws {
        let sandbox = try Sandbox(rows: 20)
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: ["licenses_auth_tif"], secret: "wrong-secret")
        let failed = try project.dataflow("check", "tif")
        #expect(failed.status == 1)
        #expect(failed.output.contains("FAILED") && failed.output.contains("HTTP 401") && failed.output.contains("x-tif-signature does not match"), "\(failed.output)")
        #expect(!failed.output.contains("wrong-secret"))
        let unknown = try project.dataflow("check", "licenses_auth_tf")
        #expect(unknown.status == 2)
        #expect(unknown.output.contains("'licenses_auth_tf' is neither a source nor a dataset (did you mean 'licenses_auth_tif'?)"), "\(unknown.output)")
    }
}
