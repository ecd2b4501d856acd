/// A request that produced no complete HTTP response: what failed, where, and whether to retry.
///
/// `kind` is the stable code to switch on; `message` is for people and names the request as
/// `METHOD scheme://host/path` only, never the query string (it may hold signatures or keys).
///
/// ```swift
/// do { _ = try transport.send(request) }
/// catch let error as TransportError where error.kind == .tls {
///     print("check ca_bundle for this source: \(error)")
/// }
/// ```
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// The stable classification of a transport failure.
    public enum Kind: String, Sendable {
        /// The connect or whole-transfer timeout ran out.
        case timeout
        /// No connection: host not resolved, connection refused or unreachable.
        case connect
        /// The connection broke mid-exchange: nothing, or only part of a response, arrived.
        case dropped
        /// The response body exceeded ``TransportOptions/maxResponseBytes``.
        case tooLarge
        /// TLS failed: certificate not trusted, handshake failed, CA bundle unreadable.
        case tls
        /// The URL is not an absolute, well-formed `http` or `https` URL.
        case invalidURL
        /// The caller stopped waiting for the answer (a page fetched ahead that the walk dropped).
        case abandoned
        /// Anything else (bad content encoding, an invalid header…).
        case other
    }

    /// What went wrong, as a stable code.
    public var kind: Kind
    /// A human message including libcurl's error text and the redacted URL.
    public var message: String
    /// Whether sending the same request again may succeed (timeouts, connect and dropped).
    public var isRetryable: Bool
    /// libcurl's `CURLcode` when the error came from libcurl, for diagnostics.
    public var curlCode: Int?
    /// Requests the transport sent before it failed (as `HTTPResponse.requestsSent`).
    public var requestsSent = 1

    /// Creates an error; `isRetryable` defaults to what `kind` implies.
    public init(kind: Kind, message: String, isRetryable: Bool? = nil, curlCode: Int? = nil) {
        self.kind = kind
        self.message = message
        self.isRetryable = isRetryable ?? Self.isRetryable(kind)
        self.curlCode = curlCode
    }

    /// Whether failures of this kind are worth retrying by default.
    public static func isRetryable(_ kind: Kind) -> Bool {
        switch kind {
        case .timeout, .connect, .dropped: true
        case .tooLarge, .tls, .invalidURL, .abandoned, .other: false
        }
    }

    public var description: String { "\(kind.rawValue): \(message)" }
}
