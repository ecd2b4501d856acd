import DataflowHTTP
import Foundation
import Testing

/// Collects what a RetryLoop slept and reported.
final class RetryRecorder: @unchecked Sendable {
    private let lock = NSLock()
    private var _sleeps: [Double] = []
    private var _events: [RetryEvent] = []
    var sleeps: [Double] { lock.withLock { _sleeps } }
    var events: [RetryEvent] { lock.withLock { _events } }

    func loop(_ policy: RetryPolicy) -> RetryLoop {
        RetryLoop(policy: policy,
                  sleep: { seconds in self.lock.withLock { self._sleeps.append(seconds) } },
                  onRetry: { event in self.lock.withLock { self._events.append(event) } })
    }
}

/// The final error a scripted attempt gives up with.
private struct GaveUp: Error, Equatable { var after: Int }

@Suite("RetryLoop")
struct RetryLoopTests {
    let fast = RetryPolicy(maxRetries: 5, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 1)

    /// Runs a loop whose attempt `n` (0-based) fails with `failures[n]` while there is one.
    private func run(_ failures: [RetryableFailure], policy: RetryPolicy? = nil, recorder: RetryRecorder = RetryRecorder()) throws -> Int {
        var attempts = 0
        return try recorder.loop(policy ?? fast).run {
            defer { attempts += 1 }
            if attempts < failures.count { throw failures[attempts] }
            return attempts
        }
    }

    private func failure(_ cause: String, retryAfter: String? = nil, _ n: Int = 0) -> RetryableFailure {
        RetryableFailure(cause: cause, reason: "scripted \(cause)", retryAfter: retryAfter, exhausted: GaveUp(after: n))
    }

    @Test func retriesUntilSuccessReportingEachCauseBeforeItsWait() throws {
        let recorder = RetryRecorder()
        let attempt = try run([failure("http-500"), failure("timeout"), failure("truncated")], recorder: recorder)
        #expect(attempt == 3)
        #expect(recorder.events.map(\.attempt) == [1, 2, 3])
        #expect(recorder.events.map(\.cause) == ["http-500", "timeout", "truncated"])
        #expect(recorder.events.map(\.reason) == ["scripted http-500", "scripted timeout", "scripted truncated"])
        #expect(recorder.sleeps == recorder.events.map(\.delay))
        #expect(recorder.sleeps[0] <= 0.01 && recorder.sleeps[1] <= 0.02 && recorder.sleeps[2] <= 0.04)
    }

    @Test func givesUpAfterMaxRetriesWithTheLastFailuresError() throws {
        var policy = fast
        policy.maxRetries = 3
        let recorder = RetryRecorder()
        let error = try #require(throws: GaveUp.self) {
            try run((0..<10).map { failure("http-503", $0) }, policy: policy, recorder: recorder)
        }
        #expect(error == GaveUp(after: 3), "the fourth attempt's failure is the one thrown")
        #expect(recorder.events.count == 3)
    }

    @Test func honoursRetryAfterCappedAtMaxRetryAfter() throws {
        let recorder = RetryRecorder()
        _ = try run([failure("http-503", retryAfter: "0"), failure("http-429", retryAfter: "3600")], recorder: recorder)
        #expect(recorder.sleeps == [0, 1])
    }

    @Test func otherErrorsEndTheLoopAtOnce() throws {
        struct Unrelated: Error {}
        var attempts = 0
        let recorder = RetryRecorder()
        #expect(throws: Unrelated.self) { try recorder.loop(fast).run { attempts += 1; throw Unrelated() } }
        #expect(attempts == 1 && recorder.events.isEmpty)
    }

    @Test func aRetryableTransportErrorKeepsItsKindAsCause() {
        let error = TransportError(kind: .dropped, message: "transfer closed — GET http://gw/x")
        let failure = RetryableFailure(error)
        #expect(failure.cause == "dropped" && failure.reason == error.description)
        #expect((failure.exhausted as? TransportError)?.kind == .dropped)
        let status = RetryableFailure(status: HTTPResponse(status: 429, headers: [HTTPHeader(name: "Retry-After", value: "7")]), exhausted: GaveUp(after: 0))
        #expect(status.cause == "http-429" && status.retryAfter == "7")
    }

    /// `giveUpIf`: asked before each retry and through its wait; once it says yes nothing more is
    /// attempted and the last failure's error is thrown — here in the middle of a 2 s
    /// `Retry-After`, which is not slept out.
    @Test func aLoopThatIsToldToGiveUpStopsInsideItsWaitAndSendsNothingMore() throws {
        let recorder = RetryRecorder()
        var attempts = 0
        let policy = RetryPolicy(maxRetries: 5, baseDelay: 0.01, maxDelay: 0.05, maxRetryAfter: 10)
        #expect(throws: GaveUp(after: 1)) {
            try recorder.loop(policy).run(giveUpIf: { recorder.sleeps.reduce(0, +) >= 0.5 }) {
                attempts += 1
                throw failure("http-503", retryAfter: "2", attempts)
            }
        }
        #expect(attempts == 1, "no retry was sent")
        #expect(recorder.events.count == 1, "the retry was reported before its wait")
        let slept = recorder.sleeps.reduce(0, +)
        #expect(slept >= 0.5 && slept < 0.6, "the wait stopped when told, not after 2 s (\(slept))")
        #expect(recorder.sleeps.allSatisfy { $0 <= RetryLoop.abandonCheck })

        // Told before the first retry: none is reported or waited for.
        let quiet = RetryRecorder()
        #expect(throws: GaveUp(after: 0)) { try quiet.loop(policy).run(giveUpIf: { true }) { throw failure("timeout") } }
        #expect(quiet.events.isEmpty && quiet.sleeps.isEmpty)
    }
}
