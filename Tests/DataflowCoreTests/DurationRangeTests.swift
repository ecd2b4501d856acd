import Foundation
import Testing
@testable import DataflowCore

/// Every duration the configuration accepts has a range, checked where it is parsed: a value
/// outside it is refused at its `file:line:column`, naming the key, the value and the range.
@Suite("Config durations: each key has a range, refused at its position")
struct DurationRangeTests {
    /// The default project with `line` added under the source (4 spaces in).
    func project(sourceLine line: String) throws -> TestProject {
        try TestProject(config: TestProject.defaultConfig + "\n    \(line)\n")
    }

    /// The error for `line` under the source; it must point at the value on the added line.
    func sourceError(_ line: String, sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        let p = try project(sourceLine: line)
        let error = try #require(throws: ConfigError.self, sourceLocation: sourceLocation) { try p.load() }
        let lineNumber = TestProject.defaultConfig.split(separator: "\n", omittingEmptySubsequences: false).count + 1
        let value = line.split(separator: ":", maxSplits: 1)[1].drop(while: { $0 == " " })
        let column = 4 + line.count - value.count + 1
        let isKeyPosition = line.hasPrefix("rate_limit")   // rate_limit errors point at the key, as before
        #expect(error.position == SourcePosition(file: "dataflow.yml", line: lineNumber, column: isKeyPosition ? 5 : column),
                "\(error)", sourceLocation: sourceLocation)
        return error
    }

    @Test("a source's timeout, retry_backoff, rate_limit and renew_before outside their range", arguments: [
        ("timeout: 0s", "'timeout' must be between 1ms and 1h, found '0s'"),
        ("timeout: 0", "'timeout' must be between 1ms and 1h, found '0'"),
        ("timeout: -5s", "'timeout' must be between 1ms and 1h, found '-5s'"),
        ("timeout: 3601s", "'timeout' must be between 1ms and 1h, found '3601s'"),
        ("timeout: 1e300s", "'timeout' must be between 1ms and 1h, found '1e300s'"),
        ("retry_backoff: 99999999h", "'retry_backoff' must be between 0s and 10m, found '99999999h'"),
        ("retry_backoff: 601s", "'retry_backoff' must be between 0s and 10m, found '601s'"),
        ("retry_backoff: -1s", "'retry_backoff' must be between 0s and 10m, found '-1s'"),
        ("retry_backoff: 1e400s", "'retry_backoff' must be a duration like 30s, 10m, 2h or 500ms (between 0s and 10m), found '1e400s'"),
        ("rate_limit: 1e-300/s", "rate_limit must be between 1/h and 1000/s (leave it out for no limit), found '1e-300/s'"),
        ("rate_limit: 1e400/s", "rate_limit must be between 1/h and 1000/s (leave it out for no limit), found '1e400/s'"),
        ("rate_limit: 1001/s", "rate_limit must be between 1/h and 1000/s (leave it out for no limit), found '1001/s'"),
    ])
    func sourceDurationsOutOfRange(_ line: String, _ message: String) throws {
        let error = try sourceError(line)
        #expect(error.message == message, "\(error)")
    }

    @Test func renewBeforeOutOfRange() throws {
        let config = TestProject.defaultConfig.replacingOccurrences(of: "app_secret: ${APP_SECRET:-secret} }",
                                                                    with: "app_secret: ${APP_SECRET:-secret}, renew_before: 60h }")
        let p = try TestProject(config: config)
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.description.hasPrefix("dataflow.yml:7:"), "\(error)")
        #expect(error.message == "'renew_before' must be between 0s and 1d, found '60h'")
    }

    @Test("the bounds themselves are accepted", arguments: [
        ("timeout: 1ms", 0.001), ("timeout: 1h", 3600), ("timeout: 60m", 3600),
        ("retry_backoff: 0s", 0), ("retry_backoff: 10m", 600),
    ] as [(String, Double)])
    func sourceBoundsAccepted(_ line: String, _ seconds: Double) throws {
        let source = try #require(try project(sourceLine: line).load().sources.first)
        #expect((line.hasPrefix("timeout") ? source.timeout : source.retryBackoff) == seconds)
    }

    @Test func rateLimitBoundsAccepted() throws {
        #expect(try project(sourceLine: "rate_limit: 1/h").load().sources.first?.rateLimit == 1.0 / 3600)
        #expect(try project(sourceLine: "rate_limit: 1000/s").load().sources.first?.rateLimit == 1000)
    }

    @Test("a dataset's lookback outside 0s…366d", arguments: ["1e300s", "367d", "-1s", "8785h"])
    func lookbackOutOfRange(_ value: String) throws {
        let error = try TestProject.licencesError(replacing: "lookback: 10m", with: "lookback: \(value)")
        let lines = TestProject.licences.split(separator: "\n", omittingEmptySubsequences: false)
        let line = try #require(lines.firstIndex { $0.contains("lookback: 10m") })
        let key = try #require(lines[line].range(of: "lookback: 10m"))
        let column = lines[line].distance(from: lines[line].startIndex, to: key.lowerBound) + "lookback: ".count + 1
        #expect(error.position == SourcePosition(file: "Mappings/datasets/licences.yml", line: line + 1, column: column), "\(error)")
        #expect(error.message == "'lookback' must be between 0s and 366d, found '\(value)'")
    }

    @Test func lookbackBoundsAccepted() throws {
        for (text, seconds) in [("0s", 0.0), ("366d", 31_622_400), ("8784h", 31_622_400)] {
            let p = try TestProject(datasets: ["licences.yml": TestProject.licences.replacingOccurrences(of: "lookback: 10m", with: "lookback: \(text)")])
            #expect(try p.load().datasets.first?.incremental?.lookback == seconds, "\(text)")
        }
    }

    /// Code that builds or edits a dataset's settings cannot put a lookback there that would
    /// trap when the walk subtracts it from a watermark in whole seconds.
    @Test func incrementalLookbackStaysInRangeWhateverIsSet() throws {
        var inc = IncrementalConfig(cursor: "UPDATE_TIME", param: "startTime", format: try DatePattern("yyyy-MM-dd"),
                                    timezone: try #require(ZoneSpec("+08:00")), lookback: 1e300, sorted: false)
        #expect(inc.lookback == 31_622_400)
        #expect(Int(exactly: inc.lookback) != nil)
        inc.lookback = .nan
        #expect(inc.lookback == 0)
        inc.lookback = -.infinity
        #expect(inc.lookback == 0)
        inc.lookback = 90
        #expect(inc.lookback == 90)
    }

    @Test func rangesReadInConfigUnits() {
        #expect(SourceConfig.timeoutRange.phrase == "between 1ms and 1h")
        #expect(IncrementalConfig.lookbackRange.phrase == "between 0s and 366d")
        #expect(DurationRange.text(0.5) == "500ms")
        #expect(DurationRange.text(90) == "90s")
        #expect(DurationRange.text(0.0005) == "0.0005s")
    }
}
