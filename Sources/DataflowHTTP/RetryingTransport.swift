import Foundation

/// An ``HTTPTransport`` that retries its base transport on retryable failures, with backoff.
///
/// Retries retryable ``TransportError``s (timeout, connect, dropped) and retryable statuses
/// (429, 5xx), honouring `Retry-After`, through one ``RetryLoop``. After the last attempt it
/// returns the last response, or throws the last error. Other errors are thrown at once. Every
/// method is retried alike: gateway queries are often POSTs, so callers with non-idempotent
/// requests should use the base transport directly.
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
    public var policy: RetryPolicy { loop.policy }
    private let loop: RetryLoop

    /// A retryable status that is still the answer once the retries are used up.
    private struct LastResponse: Error { var response: HTTPResponse }

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
        self.loop = RetryLoop(policy: policy, sleep: sleep, onRetry: onRetry)
    }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        do {
            return try loop.run {
                let response: HTTPResponse
                do { response = try base.send(request) } catch let error as TransportError where error.isRetryable {
                    throw RetryableFailure(error)
                }
                if RetryPolicy.isRetryable(status: response.status) {
                    throw RetryableFailure(status: response, exhausted: LastResponse(response: response))
                }
                return response
            }
        } catch let last as LastResponse {
            return last.response
        }
    }
}
