import DataflowHTTP
import LoopbackGateway
import Foundation
import Testing

/// Replays scripted results, one per call; the last one repeats.
final class ScriptedTransport: HTTPTransport {
    private let script: [Result<HTTPResponse, TransportError>]
    private(set) var calls = 0

    init(_ script: [Result<HTTPResponse, TransportError>]) { self.script = script }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        defer { calls += 1 }
        return try script[min(calls, script.count - 1)].get()
    }
}

/// Collects what a RetryingTransport slept and reported.
final class RetryRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _sleeps: [Double] = []
    private var _events: [RetryEvent] = []
    var sleeps: [Double] { lock.withLock { _sleeps } }
    var events: [RetryEvent] { lock.withLock { _events } }

    func wrap(_ base: HTTPTransport, _ policy: RetryPolicy) -> RetryingTransport {
        RetryingTransport(base: base, policy: policy,
                          sleep: { seconds in self.lock.withLock { self._sleeps.append(seconds) } },
                          onRetry: { event in self.lock.withLock { self._events.append(event) } })
    }
}

private func status(_ code: Int, _ headers: [HTTPHeader] = []) -> Result<HTTPResponse, TransportError> {
    .success(HTTPResponse(status: code, headers: headers, body: Array("\(code)".utf8)))
}

private func failure(_ kind: TransportError.Kind) -> Result<HTTPResponse, TransportError> {
    .failure(TransportError(kind: kind, message: "scripted \(kind.rawValue) — GET http://gw/x"))
}

@Suite("RetryingTransport")
struct RetryingTransportTests {
    let request = HTTPRequest(url: "http://gw.example/api?sign=SIGSECRET")
    let fast = RetryPolicy(maxRetries: 5, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 1)

    @Test func retries429WithRetryAfterZeroAgainstRealServer() throws {
        let server = try LoopbackHTTPServer { _, index in
            index == 0
                ? .response(status: 429, reason: "Too Many Requests", headers: [("Retry-After", "0")], body: "slow down")
                : .response(status: 200, body: "ok")
        }
        defer { server.stop() }
        let recorder = RetryRecorder()
        let transport = recorder.wrap(try CurlTransport(options: loopbackOptions()), fast)
        let response = try transport.send(HTTPRequest(url: server.url("/limited?sign=SIGSECRET")))

        #expect(response.status == 200)
        #expect(response.body == Array("ok".utf8))
        #expect(server.requests.count == 2)
        #expect(server.accepts == 1)
        #expect(recorder.sleeps == [0])
        #expect(recorder.events.map(\.attempt) == [1])
        #expect(recorder.events.first?.reason == "HTTP 429")
        #expect(recorder.events.first?.delay == 0)
    }

    @Test func retriesServerErrorsUntilSuccess() throws {
        let base = ScriptedTransport([status(500), status(500), status(200)])
        let recorder = RetryRecorder()
        let response = try recorder.wrap(base, fast).send(request)

        #expect(response.status == 200)
        #expect(base.calls == 3)
        #expect(recorder.events.map(\.attempt) == [1, 2])
        #expect(recorder.events.map(\.reason) == ["HTTP 500", "HTTP 500"])
        #expect(recorder.sleeps == recorder.events.map(\.delay))
        #expect(recorder.sleeps[0] <= 0.01 && recorder.sleeps[1] <= 0.02)
    }

    @Test func givesUpAfterMaxRetriesReturningLastStatus() throws {
        let base = ScriptedTransport([status(502), status(503), status(504), status(503)])
        let recorder = RetryRecorder()
        var policy = fast
        policy.maxRetries = 3
        let response = try recorder.wrap(base, policy).send(request)

        #expect(response.status == 503)
        #expect(base.calls == 4)
        #expect(recorder.events.map(\.attempt) == [1, 2, 3])
        #expect(recorder.events.map(\.reason) == ["HTTP 502", "HTTP 503", "HTTP 504"])
        #expect(recorder.sleeps.count == 3)
    }

    @Test func retriesRetryableErrorsAndThrowsTheLastOne() throws {
        let recovered = ScriptedTransport([failure(.timeout), failure(.connect), failure(.dropped), status(200)])
        let recorder = RetryRecorder()
        #expect(try recorder.wrap(recovered, fast).send(request).status == 200)
        #expect(recovered.calls == 4)
        #expect(recorder.events.map(\.reason).allSatisfy { $0.hasPrefix("timeout:") || $0.hasPrefix("connect:") || $0.hasPrefix("dropped:") })

        let broken = ScriptedTransport([failure(.timeout), failure(.dropped)])
        var policy = fast
        policy.maxRetries = 2
        let error = try #require(throws: TransportError.self) { try RetryRecorder().wrap(broken, policy).send(request) }
        #expect(error.kind == .dropped)
        #expect(broken.calls == 3)
    }

    @Test(arguments: [TransportError.Kind.tls, .tooLarge, .invalidURL, .other])
    func doesNotRetryPermanentErrors(kind: TransportError.Kind) throws {
        let base = ScriptedTransport([failure(kind), status(200)])
        let recorder = RetryRecorder()
        let error = try #require(throws: TransportError.self) { try recorder.wrap(base, fast).send(request) }
        #expect(error.kind == kind)
        #expect(base.calls == 1)
        #expect(recorder.events.isEmpty)
    }

    @Test(arguments: [200, 204, 301, 400, 401, 403, 404, 409])
    func doesNotRetryOtherStatuses(code: Int) throws {
        let base = ScriptedTransport([status(code), status(200)])
        #expect(try RetryRecorder().wrap(base, fast).send(request).status == code)
        #expect(base.calls == 1)
    }

    @Test func honoursRetryAfterCappedAtMaxRetryAfter() throws {
        let base = ScriptedTransport([
            status(503, [HTTPHeader(name: "retry-after", value: "0")]),
            status(429, [HTTPHeader(name: "Retry-After", value: "3600")]),
            status(200),
        ])
        let recorder = RetryRecorder()
        _ = try recorder.wrap(base, fast).send(request)
        #expect(recorder.sleeps == [0, 1])
    }

    @Test func otherErrorsPropagateAtOnce() throws {
        struct Unrelated: Error {}
        final class Throwing: HTTPTransport {
            var calls = 0
            func send(_ request: HTTPRequest) throws -> HTTPResponse { calls += 1; throw Unrelated() }
        }
        let base = Throwing()
        #expect(throws: Unrelated.self) { try RetryRecorder().wrap(base, fast).send(request) }
        #expect(base.calls == 1)
    }

    @Test func retryReasonsNeverContainTheQuery() throws {
        let server = try LoopbackHTTPServer { _, _ in .close }
        defer { server.stop() }
        let recorder = RetryRecorder()
        var policy = fast
        policy.maxRetries = 2
        let transport = recorder.wrap(try CurlTransport(options: loopbackOptions()), policy)
        let error = try #require(throws: TransportError.self) {
            try transport.send(HTTPRequest(url: server.url("/x.htm?appKey=KEYSECRET&sign=SIGSECRET")))
        }
        #expect(error.kind == .dropped)
        #expect(server.requests.count == 3)
        #expect(recorder.events.count == 2)
        for text in recorder.events.map(\.reason) + [error.description] {
            #expect(!text.contains("SECRET"))
            #expect(text.contains("/x.htm"))
        }
    }

    @Test func zeroRetriesMeansOneAttempt() throws {
        let base = ScriptedTransport([status(503), status(200)])
        var policy = fast
        policy.maxRetries = 0
        #expect(try RetryRecorder().wrap(base, policy).send(request).status == 503)
        #expect(base.calls == 1)
    }
}
