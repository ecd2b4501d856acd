/// One retry about to happen, reported to ``RetryingTransport``'s `onRetry` for logging.
///
/// ```swift
/// RetryingTransport(base: curl, policy: policy, onRetry: { event in
///     logger.warning("retry \(event.attempt) in \(event.delay)s: \(event.reason)")
/// })
/// ```
public struct RetryEvent: Sendable {
    /// The retry's number, 1-based: `1` is the first retry (the second attempt overall).
    public var attempt: Int
    /// Why: `HTTP 503`, or the ``TransportError`` description (URL redacted).
    public var reason: String
    /// Seconds that will be waited before the retry.
    public var delay: Double

    public init(attempt: Int, reason: String, delay: Double) {
        self.attempt = attempt
        self.reason = reason
        self.delay = delay
    }
}
