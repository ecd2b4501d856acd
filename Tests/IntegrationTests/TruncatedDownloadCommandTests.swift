import DataflowCore
import Foundation
import Testing

/// The sandbox's `truncate` fault announces the whole `Content-Length`, sends half the body and
/// closes: a streamed CSV or NDJSON download cut that way is fetched again, reported as a retry,
/// and the warehouse ends equal to the truth.
@Suite("Truncated downloads are retried")
struct TruncatedDownloadCommandTests {
    @Test(arguments: ["licenses_csv", "licenses_cursor_header_ndjson"])
    func aTruncatedDownloadCompletesAfterARetry(dataset: String) throws {
        // Half the requests are cut, decided by the seed and the request number: with these seeds
        // the CSV's one download is cut the first time, and some NDJSON pages are.
        let sandbox = try Sandbox(rows: 300, seed: dataset == "licenses_csv" ? 4 : 42)
        try sandbox.control("POST", "/_control/faults?rate=0.5&kinds=truncate")
        let project = try CountyProject(sandbox: sandbox, connectorDatasets: [dataset])
        let result = try project.dataflow("sync", "--log-format", "json")
        #expect(result.status == 0, "\(dataset): \(result.output)")
        try TruthComparison.expectEqual(project, dataset: dataset)
        let faults = try #require(try sandbox.stats()["faults"])
        let retries = try result.stderr.split(separator: "\n").map { try JSONParser.parse(Array($0.utf8)) }
            .filter { $0["event"]?.text == "retry" }
        #expect(faults >= 1, "no download was cut")
        #expect(retries.count == faults, "\(faults) cut bodies, \(retries.count) retry events")
        #expect(retries.allSatisfy { $0["cause"]?.text == "dropped" && $0["dataset"]?.text == dataset },
                "\(retries.map { ($0["cause"]?.text ?? "", $0["reason"]?.text ?? "") })")
    }
}
