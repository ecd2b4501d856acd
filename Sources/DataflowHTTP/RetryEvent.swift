/// One retry about to happen, reported to ``RetryLoop``'s `onRetry` for logging.
///
/// ```swift
/// RetryLoop(policy: policy, onRetry: { event in
///     logger.warning("retry \(event.attempt) in \(event.delay)s (\(event.cause)): \(event.reason)")
/// })
/// ```
public struct RetryEvent: Sendable {
    /// The retry's number, 1-based: `1` is the first retry (the second attempt overall).
    public var attempt: Int
    /// Why, as a stable code: `timeout`, `connect`, `dropped`, `http-503`, `truncated`,
    /// `malformed-body`, `envelope-retry`… (see ``RetryableFailure``).
    public var cause: String
    /// Why, for people: `HTTP 503`, or the ``TransportError`` description (URL redacted).
    public var reason: String
    /// Seconds that will be waited before the retry.
    public var delay: Double

    public init(attempt: Int, cause: String, reason: String, delay: Double) {
        self.attempt = attempt
        self.cause = cause
        self.reason = reason
        self.delay = delay
    }
}
