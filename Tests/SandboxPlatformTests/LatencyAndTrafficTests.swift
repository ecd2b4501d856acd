import Foundation
import Synchronization
import Testing
@testable import SandboxPlatform

@Suite("Latency and per-caller traffic counts")
struct LatencyAndTrafficTests {
    @Test func latencyParsesDefaultsAndPerStyleValues() throws {
        #expect(try Latency.parse("150ms").get() == Latency(defaultMilliseconds: 150))
        #expect(try Latency.parse("0.2s").get() == Latency(defaultMilliseconds: 200))
        #expect(try Latency.parse("40").get() == Latency(defaultMilliseconds: 40))
        let mixed = try Latency.parse("150ms,ckan=20ms,gateway=1s").get()
        #expect(mixed.milliseconds(forFamily: "ckan") == 20)
        #expect(mixed.milliseconds(forFamily: "gateway") == 1_000)
        #expect(mixed.milliseconds(forFamily: "odata") == 150)
        for bad in ["", "fast", "-5ms", "61s", "ftp=5ms"] {
            guard case .failure(let error) = Latency.parse(bad) else {
                Issue.record("'\(bad)' was accepted")
                continue
            }
            #expect(error.message.contains("latency"), "\(error.message)")
        }
    }

    @Test func requestsPerSecondAndInFlightArePeaksPerCaller() {
        let traffic = Traffic(latency: Latency())
        let second: Int64 = 1_000_000_000
        // Three arrivals within one second of the clock, the fourth in the next: peak 3.
        for at in [100, 500, 900, 1_200] as [Int64] {
            traffic.arrived("a", now: 10 * second + at * second / 1_000)
        }
        traffic.arrived("b", now: 10 * second)
        traffic.answered("b")
        traffic.arrived("b", now: 12 * second)
        let counts = Dictionary(uniqueKeysWithValues: traffic.snapshot.map { ($0.label, $0.counts) })
        #expect(counts["a"]?.requests == 4)
        #expect(counts["a"]?.peakPerSecond == 3)
        #expect(counts["a"]?.peakInFlight == 4, "none of a's requests was answered")
        #expect(counts["b"]?.requests == 2)
        #expect(counts["b"]?.peakInFlight == 1, "b's first answer went out before its second request")
    }

    @Test func delayedAnswersDoNotBlockTheEventLoop() async throws {
        // One event-loop thread and 300 ms of latency: four requests sent at once must all be in
        // flight together (a blocking delay would answer them one after another, peak 1).
        try await SandboxHarness.with({ $0.latency = Latency(defaultMilliseconds: 300) }) { sandbox in
            let port = sandbox.server.port
            let started = Date()
            // Plain threads: the test's cooperative pool may have fewer threads than requests.
            let statuses = Mutex<[Int]>([])
            let done = DispatchGroup()
            for _ in 0..<4 {
                done.enter()
                Thread {
                    let status = (try? TestHTTPConnection(port: port)
                        .send("GET", "/open/none/page/plain/licenses.json?page=1&size=5", closing: true).status) ?? -1
                    statuses.withLock { $0.append(status) }
                    done.leave()
                }.start()
            }
            done.wait()
            #expect(statuses.withLock { $0 } == [200, 200, 200, 200])
            #expect(Date().timeIntervalSince(started) >= 0.3, "every answer waits the latency")
            let stats = try sandbox.post("/_control/config")
            #expect(stats["latency_ms"] as? Int == 300)
            let sources = try sandbox.request("GET", "/_control/stats").json["sources"] as? [String: [String: Int]]
            #expect(sources?["open"]?["requests"] == 4)
            #expect(sources?["open"]?["peak_in_flight"] == 4)
        }
    }

    @Test func aSourceHeaderNamesTheCallerAndControlCallsAreNeverDelayed() async throws {
        // Ten seconds of latency: the control calls below would time the test out if delayed.
        try await SandboxHarness.with({ $0.latency = Latency(defaultMilliseconds: 10_000) }) { sandbox in
            _ = try sandbox.request("GET", "/_control/stats")
            _ = try sandbox.post("/_control/config?latency=0,open=0ms")
            let connection = try TestHTTPConnection(port: sandbox.server.port)
            for name in ["north", "north", "south"] {
                let response = try connection.send("GET", "/open/none/page/plain/licenses.json?page=1&size=5", headers: [("X-Sandbox-Source", name)])
                #expect(response.status == 200)
            }
            let sources = try sandbox.request("GET", "/_control/stats").json["sources"] as? [String: [String: Int]]
            #expect(sources?["north"]?["requests"] == 2)
            #expect(sources?["south"]?["requests"] == 1)
            #expect(sources?["open"] == nil, "labelled requests are not also counted under their style")
            #expect(try sandbox.request("POST", "/_control/config?latency=soon").status == 400)
        }
    }
}
