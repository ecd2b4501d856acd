import Foundation

/// When and how long to wait before sending a failed request again.
///
/// Exponential backoff with full jitter: before retry number `attempt` (0-based) the wait is a
/// uniform random value in `0...min(maxDelay, baseDelay * 2^attempt)`. A server's `Retry-After`
/// replaces that, capped at `maxRetryAfter`.
///
/// ```swift
/// let policy = RetryPolicy(maxRetries: 5, baseDelay: 0.5)
/// var rng = SystemRandomNumberGenerator()
/// let wait = policy.delay(attempt: 0, retryAfter: response.header("Retry-After"), random: &rng)
/// ```
public struct RetryPolicy: Sendable {
    /// Retries after the first attempt; `0` disables retrying.
    public var maxRetries: Int = 5
    /// Seconds; the backoff ceiling before the first retry.
    public var baseDelay: Double = 0.5
    /// Seconds; the backoff ceiling never grows past this.
    public var maxDelay: Double = 30
    /// Seconds; a server's `Retry-After` is honoured up to this.
    public var maxRetryAfter: Double = 120

    public init(maxRetries: Int = 5, baseDelay: Double = 0.5, maxDelay: Double = 30, maxRetryAfter: Double = 120) {
        self.maxRetries = maxRetries
        self.baseDelay = baseDelay
        self.maxDelay = maxDelay
        self.maxRetryAfter = maxRetryAfter
    }

    /// Seconds to wait before retry `attempt` (0 for the first retry).
    ///
    /// A parseable `retryAfter` header value (delta-seconds or HTTP-date) wins, clamped to
    /// `0...maxRetryAfter`; otherwise full jitter over the exponential ceiling.
    public func delay(attempt: Int, retryAfter: String?, random: inout some RandomNumberGenerator) -> Double {
        if let retryAfter, let seconds = parseRetryAfter(retryAfter, now: Date()) {
            return min(max(0, seconds), max(0, maxRetryAfter))
        }
        let ceiling = backoffCeiling(attempt: attempt)
        guard ceiling > 0 else { return 0 }
        return Double.random(in: 0...ceiling, using: &random)
    }

    /// The upper bound of the jittered delay before retry `attempt`: `min(maxDelay, baseDelay * 2^attempt)`.
    public func backoffCeiling(attempt: Int) -> Double {
        let base = baseDelay.isFinite ? max(0, baseDelay) : 0
        let cap = maxDelay.isFinite ? max(0, maxDelay) : 0
        // 2^63 already overflows any sane cap; clamping keeps the arithmetic finite.
        let exponent = Double(min(max(0, attempt), 63))
        return min(cap, base * pow(2, exponent))
    }

    /// Whether an HTTP status is worth retrying: 429 Too Many Requests and every 5xx.
    public static func isRetryable(status: Int) -> Bool {
        status == 429 || (500...599).contains(status)
    }
}
