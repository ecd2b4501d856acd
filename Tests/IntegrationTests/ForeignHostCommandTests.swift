import DataflowCore
import Foundation
import LoopbackGateway
import Testing

/// A throwaway project whose one source is a `HostileGateway`, synced by the real binary.
final class HostileProject {
    let root: URL
    let gateway: HostileGateway

    /// - Parameters:
    ///   - sourceLines: extra lines under the source (4-space indent).
    ///   - pagination: the dataset's pagination (flow style).
    init(gateway: HostileGateway, auth: HostileAuthStyle?, sourceLines: String = "",
         pagination: String = "{ type: next-url, path: data.next }") throws {
        self.gateway = gateway
        root = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"),
                        to: root.appendingPathComponent("Mappings/dictionaries"))
        let config = HostileProjectYAML.config(baseURL: gateway.baseURL, auth: auth?.yaml ?? "{ type: none }", retries: 2,
                                               sourceLines: sourceLines)
        try config.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        let dataset = HostileProjectYAML.items(request: "    path: /api/items\n    records: data.list\n    pagination: \(pagination)")
        try dataset.write(to: root.appendingPathComponent("Mappings/datasets/items.yml"), atomically: true, encoding: .utf8)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    func dataflow(_ arguments: String...) throws -> CommandResult {
        var environment = HostileAuthStyle.environment
        environment["NO_COLOR"] = "1"
        return try Command.run(Binaries.dataflow, arguments + ["--project", root.path], environment: environment, in: root)
    }

    /// Live (not tombstoned) keys in the warehouse.
    func liveKeys() throws -> [String] {
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        let keys = try db.scalarText("SELECT group_concat(_key, ',') FROM (SELECT _key FROM items WHERE _deleted = 0 ORDER BY _key)") ?? ""
        return keys.split(separator: ",").map(String.init)
    }
}

@Suite("Credentials stay with their origin, through the real binary")
struct ForeignHostCommandTests {
    static let modes: [HostileGateway.Mode] = [.nextLink, .linkHeader, .redirect(302)]

    @Test(arguments: HostileAuthStyle.allCases)
    func everyAuthStyleStopsAtAForeignHostWithAClearMessage(style: HostileAuthStyle) throws {
        for mode in Self.modes {
            let gateway = try HostileGateway(mode: mode)
            let project = try HostileProject(gateway: gateway, auth: style,
                                             pagination: mode == .linkHeader ? "{ type: link-header }" : "{ type: next-url, path: data.next }")
            let result = try project.dataflow("sync")
            #expect(result.status == 1, "\(style.rawValue) \(mode): \(result.output)")
            let what = mode == .redirect(302) ? "redirected (HTTP 302) to another host, \(gateway.otherHost)" : "sent a next link to another host, \(gateway.otherHost)"
            #expect(result.stderr.contains(what), "\(style.rawValue) \(mode): \(result.stderr)")
            #expect(result.stderr.contains("follow_hosts"))
            #expect(gateway.foreignRequests.isEmpty, "\(style.rawValue) \(mode): the second host was asked")
        }
    }

    @Test func noLiveRowIsTombstonedAfterARedirectToAnEmptyForeignAnswer() throws {
        let gateway = try HostileGateway(mode: .honest)
        // A full snapshot: a complete pass tombstones every key it did not see.
        let project = try HostileProject(gateway: gateway, auth: .apiKeyHeader, pagination: "{ type: none }")
        #expect(try project.dataflow("sync").status == 0)
        #expect(try project.liveKeys() == ["K1", "K2", "K3"])

        gateway.mode = .redirect(302)
        let refused = try project.dataflow("sync")
        #expect(refused.status == 1, "\(refused.output)")
        #expect(refused.stderr.contains("redirected (HTTP 302) to another host, \(gateway.otherHost)"), "\(refused.stderr)")
        #expect(try project.liveKeys() == ["K1", "K2", "K3"])
        #expect(gateway.foreignRequests.isEmpty)
    }

    @Test func aFollowedHostsEmptyAnswerNeverCompletesAPass() throws {
        let gateway = try HostileGateway(mode: .honest)
        let project = try HostileProject(gateway: gateway, auth: .bearer, sourceLines: "    follow_hosts: [\"\(gateway.otherHost)\"]",
                                         pagination: "{ type: none }")
        #expect(try project.dataflow("sync").status == 0)
        gateway.mode = .redirect(302)
        let result = try project.dataflow("sync")
        #expect(try project.liveKeys() == ["K1", "K2", "K3"], "\(result.output)")
        #expect(result.output.contains("127.0.0.1:\(gateway.other.port)"), "the run says where the answer came from: \(result.output)")
        let foreign = try #require(gateway.foreignRequests.first)
        #expect(foreign.header("Authorization") == nil && foreign.header("X-Custom-Auth") == nil)
    }

    @Test func aDownloadLeftByAKilledRunIsRemovedByTheNextSync() throws {
        let gateway = try HostileGateway(mode: .honest)
        let project = try HostileProject(gateway: gateway, auth: nil, pagination: "{ type: none }")
        let downloads = project.root.appendingPathComponent("warehouse/downloads")
        try FileManager.default.createDirectory(at: downloads, withIntermediateDirectories: true)
        let leftover = downloads.appendingPathComponent("download-0000-killed")
        try Data("K1,张三,330782199001011234\n".utf8).write(to: leftover)
        #expect(try project.dataflow("sync").status == 0)
        #expect(!FileManager.default.fileExists(atPath: leftover.path))
        let mode = try FileManager.default.attributesOfItem(atPath: downloads.path)[.posixPermissions] as? Int
        #expect(mode == 0o700)
    }
}

@Suite("Every retry is an event with its cause")
struct RetryEventTests {
    @Test func theJSONLogAndSyncVerboseShowOneRetryPerInjectedFault() throws {
        for verbose in [false, true] {
            let sandbox = try Sandbox(rows: 1500, caseRows: 300)
            // Not `drop`: a kept-alive connection closed before any answer is re-sent by libcurl
            // itself, once, on a fresh connection (docs/http-transport.md), so it is no retry of ours.
            try sandbox.control("POST", "/_control/faults?rate=0.25&kinds=429,500,truncate&retry_after=0")
            let project = try CountyProject(sandbox: sandbox, retries: 10) { _, text in text.replacingOccurrences(of: "size: 500", with: "size: 50") }
            let result = verbose ? try project.dataflow("sync", "--verbose") : try project.dataflow("sync", "--log-format", "json")
            #expect(result.status == 0, "\(result.output)")
            let faults = try #require(try sandbox.stats()["faults"])
            #expect(faults >= 5, "too few faults to mean anything")
            if verbose {
                let lines = result.stderr.split(separator: "\n").filter { $0.contains(": retry ") }
                #expect(lines.count == faults, "\(faults) faults, \(lines.count) retry lines:\n\(result.stderr)")
                #expect(lines.allSatisfy { line in ["(http-429)", "(http-500)", "(dropped)", "(malformed-body)"].contains { line.contains($0) } }, "\(lines)")
            } else {
                let events = try result.stderr.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
                    .filter { $0["event"]?.text == "retry" }
                #expect(events.count == faults, "\(faults) faults, \(events.count) retry events")
                let causes = Set(events.compactMap { $0["cause"]?.text })
                #expect(causes.isSubset(of: ["http-429", "http-500", "dropped", "malformed-body"]) && causes.count >= 2, "\(causes)")
            }
        }
    }
}
