import Foundation

/// One failed attempt that may succeed when sent again: its cause, and what to throw once the
/// retries are used up.
///
/// Thrown from inside ``RetryLoop/run(_:)``'s attempt. `cause` is a stable code for logs and
/// tests (`timeout`, `connect`, `dropped`, `http-429`, `http-503`, `truncated`, `malformed-body`,
/// `envelope-retry`…); `reason` is the human text (never a query string).
///
/// ```swift
/// throw RetryableFailure(cause: "truncated", reason: "the CSV ends inside a record",
///                        exhausted: GatewayError(...))
/// ```
public struct RetryableFailure: Error, Sendable {
    /// A stable code naming why the attempt failed.
    public var cause: String
    /// For people: what failed and where (URL redacted).
    public var reason: String
    /// The server's `Retry-After` value, when it sent one.
    public var retryAfter: String?
    /// Thrown by the loop when no retry is left.
    public var exhausted: any Error

    public init(cause: String, reason: String, retryAfter: String? = nil, exhausted: any Error) {
        self.cause = cause
        self.reason = reason
        self.retryAfter = retryAfter
        self.exhausted = exhausted
    }

    /// A retryable transport error (timeout, connect, dropped): the cause is its kind, and the
    /// error itself is thrown when the retries run out.
    public init(_ error: TransportError) {
        self.init(cause: error.kind.rawValue, reason: error.description, exhausted: error)
    }

    /// A retryable status (429, 5xx): the cause is `http-<status>`, honouring `Retry-After`.
    public init(status response: HTTPResponse, exhausted: any Error) {
        self.init(cause: "http-\(response.status)", reason: "HTTP \(response.status)",
                  retryAfter: response.header("Retry-After"), exhausted: exhausted)
    }
}

/// The retry loop: runs an attempt until it succeeds, waiting with backoff between attempts and
/// reporting every retry (with its cause) before the wait.
///
/// Only a ``RetryableFailure`` is retried; any other error ends the loop at once. After
/// `policy.maxRetries` retries the last failure's `exhausted` error is thrown.
///
/// ```swift
/// let loop = RetryLoop(policy: RetryPolicy(maxRetries: 5), onRetry: { print("retry \($0.attempt): \($0.cause)") })
/// let body = try loop.run {
///     let response = try transport.send(request)
///     if response.status == 503 { throw RetryableFailure(status: response, exhausted: Unavailable()) }
///     return response.body
/// }
/// ```
public final class RetryLoop {
    /// The retry limits and backoff.
    public let policy: RetryPolicy
    private let sleep: (Double) -> Void
    private let onRetry: (RetryEvent) -> Void
    private var random = SystemRandomNumberGenerator()

    /// - Parameters:
    ///   - sleep: waits the given seconds; inject a recorder in tests.
    ///   - onRetry: called before each wait, once per retry.
    public init(policy: RetryPolicy, sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) },
                onRetry: @escaping (RetryEvent) -> Void = { _ in }) {
        self.policy = policy
        self.sleep = sleep
        self.onRetry = onRetry
    }

    /// Runs `attempt` until it returns, retrying each ``RetryableFailure`` up to the policy's limit.
    ///
    /// `giveUpIf` is asked before each retry and every ``abandonCheck`` seconds of its wait: once
    /// it says yes, no more is sent and the last failure's `exhausted` error is thrown at once (a
    /// page fetched ahead that the walk no longer wants does not sit out a gateway's backoff or
    /// `Retry-After`, nor send its retries).
    public func run<T>(giveUpIf abandoned: (() -> Bool)? = nil, _ attempt: () throws -> T) throws -> T {
        var retries = 0
        while true {
            do {
                return try attempt()
            } catch let failure as RetryableFailure {
                guard retries < policy.maxRetries, abandoned?() != true else { throw failure.exhausted }
                let delay = policy.delay(attempt: retries, retryAfter: failure.retryAfter, random: &random)
                retries += 1
                onRetry(RetryEvent(attempt: retries, cause: failure.cause, reason: failure.reason, delay: delay))
                guard let abandoned else {
                    sleep(delay)
                    continue
                }
                var left = delay
                while left > 0 {
                    let step = min(left, Self.abandonCheck)
                    sleep(step)
                    left -= step
                    if abandoned() { throw failure.exhausted }
                }
            }
        }
    }

    /// How often a wait between retries asks `giveUpIf`, in seconds.
    public static let abandonCheck = 0.05
}
