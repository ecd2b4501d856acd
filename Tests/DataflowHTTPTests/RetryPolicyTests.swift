import DataflowHTTP
import Foundation
import Testing
import LoopbackGateway

@Suite("RetryPolicy and Retry-After")
struct RetryPolicyTests {
    @Test func jitteredDelayStaysWithinExponentialCeiling() {
        let policy = RetryPolicy(maxRetries: 10, baseDelay: 0.5, maxDelay: 30)
        for seed in UInt64(0)..<200 {
            var rng = SeededGenerator(seed: seed)
            for attempt in 0..<16 {
                let ceiling = min(30, 0.5 * pow(2, Double(attempt)))
                #expect(policy.backoffCeiling(attempt: attempt) == ceiling)
                let delay = policy.delay(attempt: attempt, retryAfter: nil, random: &rng)
                #expect(delay >= 0 && delay <= ceiling, "seed \(seed) attempt \(attempt): \(delay) > \(ceiling)")
            }
        }
    }

    @Test func jitterIsFullAndSeeded() {
        let policy = RetryPolicy(baseDelay: 1, maxDelay: 100)
        var rng = SeededGenerator(seed: 42)
        let samples = (0..<500).map { _ in policy.delay(attempt: 3, retryAfter: nil, random: &rng) }
        // Full jitter spreads over the whole 0...8 range, not just near the ceiling.
        #expect(samples.min()! < 1)
        #expect(samples.max()! > 7)
        var again = SeededGenerator(seed: 42)
        #expect(policy.delay(attempt: 3, retryAfter: nil, random: &again) == samples[0])
    }

    @Test func extremeAttemptsAndSettingsStayFinite() {
        var rng = SeededGenerator(seed: 7)
        let policy = RetryPolicy(baseDelay: 0.5, maxDelay: 30)
        for attempt in [-5, 64, 1000, Int.max] {
            let delay = policy.delay(attempt: attempt, retryAfter: nil, random: &rng)
            #expect(delay.isFinite && delay >= 0 && delay <= 30)
        }
        let zero = RetryPolicy(baseDelay: 0, maxDelay: 0)
        #expect(zero.delay(attempt: 3, retryAfter: nil, random: &rng) == 0)
    }

    @Test func retryAfterOverridesBackoffAndIsCapped() {
        var rng = SeededGenerator(seed: 1)
        let policy = RetryPolicy(baseDelay: 0.5, maxDelay: 30, maxRetryAfter: 120)
        #expect(policy.delay(attempt: 0, retryAfter: "7", random: &rng) == 7)
        #expect(policy.delay(attempt: 0, retryAfter: "0", random: &rng) == 0)
        #expect(policy.delay(attempt: 0, retryAfter: "86400", random: &rng) == 120)
        let garbage = policy.delay(attempt: 2, retryAfter: "soon", random: &rng)
        #expect(garbage >= 0 && garbage <= 2)
    }

    @Test func retryableStatuses() {
        for code in [429, 500, 501, 502, 503, 504, 599] { #expect(RetryPolicy.isRetryable(status: code), "\(code)") }
        for code in [200, 201, 204, 301, 304, 400, 401, 403, 404, 408, 422, 600] { #expect(!RetryPolicy.isRetryable(status: code), "\(code)") }
    }

    @Test func parsesDeltaSeconds() {
        let now = Date()
        #expect(parseRetryAfter("120", now: now) == 120)
        #expect(parseRetryAfter(" 0 ", now: now) == 0)
        #expect(parseRetryAfter("99999999999999999999999", now: now) == Double(Int32.max))
        #expect(parseRetryAfter("-5", now: now) == nil)
        #expect(parseRetryAfter("1.5", now: now) == nil)
        #expect(parseRetryAfter("", now: now) == nil)
        #expect(parseRetryAfter("soon", now: now) == nil)
    }

    @Test func parsesHTTPDatesInAllThreeForms() {
        // RFC 9110's example instant: Sun, 06 Nov 1994 08:49:37 GMT = 784111777.
        let now = Date(timeIntervalSince1970: 784_111_777 - 30)
        #expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:37 GMT", now: now) == 30)
        #expect(parseRetryAfter("Sunday, 06-Nov-94 08:49:37 GMT", now: now) == 30)
        #expect(parseRetryAfter("Sun Nov  6 08:49:37 1994", now: now) == 30)
        #expect(parseRetryAfter("sun, 06 nov 1994 08:49:37 gmt", now: now) == 30)
        // A date in the past means "now".
        #expect(parseRetryAfter("Sun, 06 Nov 1994 08:49:00 GMT", now: now) == 0)
        // Leap day and a far date, checked against Foundation's own calendar.
        let leap = parseRetryAfter("Thu, 29 Feb 2024 23:59:59 GMT", now: Date(timeIntervalSince1970: 0))
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let expected = calendar.date(from: DateComponents(year: 2024, month: 2, day: 29, hour: 23, minute: 59, second: 59))!
        #expect(leap == expected.timeIntervalSince1970)
    }

    @Test func rejectsMalformedDates() {
        let now = Date(timeIntervalSince1970: 0)
        for text in ["Sun, 06 Nov 1994 08:49:37 PST", "Sun, 32 Nov 1994 08:49:37 GMT", "Sun, 06 Foo 1994 08:49:37 GMT",
                     "Sun, 06 Nov 1994 25:49:37 GMT", "Sun, 06 Nov 94 08:49:37 GMT", "Sun, 06 Nov 1994 08:49 GMT"] {
            #expect(parseRetryAfter(text, now: now) == nil, "\(text)")
        }
    }
}
