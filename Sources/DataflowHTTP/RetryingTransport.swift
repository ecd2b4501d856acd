import Foundation

/// An ``HTTPTransport`` that retries its base transport on retryable failures, with backoff.
///
/// Retries retryable ``TransportError``s (timeout, connect, dropped) and retryable statuses
/// (429, 5xx), honouring `Retry-After`. After the last attempt it returns the last response, or
/// throws the last error. Other errors are thrown at once. Every method is retried alike:
/// gateway queries are often POSTs, so callers with non-idempotent requests should use the
/// base transport directly.
///
/// ```swift
/// let transport = RetryingTransport(
///     base: try CurlTransport(options: options),
///     policy: RetryPolicy(maxRetries: 5),
///     onRetry: { print("retry \($0.attempt) after \($0.delay)s: \($0.reason)") }
/// )
/// ```
public final class RetryingTransport: HTTPTransport {
    /// The transport that performs each attempt.
    public let base: HTTPTransport
    /// The retry limits and backoff.
    public let policy: RetryPolicy
    private let sleep: (Double) -> Void
    private let onRetry: (RetryEvent) -> Void
    private var random = SystemRandomNumberGenerator()

    /// - Parameters:
    ///   - sleep: waits the given seconds; inject a recorder in tests.
    ///   - onRetry: called before each wait.
    public init(
        base: HTTPTransport,
        policy: RetryPolicy,
        sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
        onRetry: @escaping (RetryEvent) -> Void = { _ in }
    ) {
        self.base = base
        self.policy = policy
        self.sleep = sleep
        self.onRetry = onRetry
    }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        var retries = 0
        while true {
            let reason: String
            let retryAfter: String?
            do {
                let response = try base.send(request)
                guard RetryPolicy.isRetryable(status: response.status), retries < policy.maxRetries else {
                    return response
                }
                reason = "HTTP \(response.status)"
                retryAfter = response.header("Retry-After")
            } catch let error as TransportError where error.isRetryable && retries < policy.maxRetries {
                reason = error.description
                retryAfter = nil
            }
            let delay = policy.delay(attempt: retries, retryAfter: retryAfter, random: &random)
            retries += 1
            onRetry(RetryEvent(attempt: retries, reason: reason, delay: delay))
            sleep(delay)
        }
    }
}
