import DataflowHTTP

/// A request about to be sent, as an authenticator sees it: it may add query parameters and
/// headers, and signs over the method, path and query.
public struct OutgoingRequest: Sendable {
    public var method: String
    /// Path on the source's host (no query), e.g. `/api/3/action/datastore_search`.
    public var path: String
    public var query: [(String, String)]
    public var headers: [HTTPHeader]

    public init(method: String = "GET", path: String, query: [(String, String)] = [], headers: [HTTPHeader] = []) {
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
    }
}

/// Signs requests for one source and reacts to the envelope's auth actions.
public protocol Authenticator: AnyObject {
    /// Adds whatever the gateway needs (query parameters, headers) to a request about to be sent.
    func authorize(_ request: inout OutgoingRequest) throws
    /// The gateway said the credential expired (or answered HTTP 401): renew before the next request.
    func refresh() throws
    /// The gateway said the signature was wrong: start again from the long-lived credential.
    func invalidate()
    /// True when an HTTP 401 may be cured by `refresh()` (a token that can expire).
    var renewsOnUnauthorized: Bool { get }
    /// What may be wrong when the gateway refused `request` (HTTP 401/403) although it was signed
    /// as configured — a setting to try — or nil.
    func refusalHint(for request: OutgoingRequest) -> String?
}

extension Authenticator {
    public func refresh() throws {}
    public func invalidate() {}
    public var renewsOnUnauthorized: Bool { false }
    public func refusalHint(for request: OutgoingRequest) -> String? { nil }
}

/// `type: none` (also a source without `auth:`).
public struct NoAuth: AuthStyle {
    public static let type = "none"
    public static func parse(_ auth: inout MappingReader) throws(ConfigError) -> NoAuth { NoAuth() }
    public var secretValues: [Secret] { [] }
    public func makeAuthenticator(_ context: AuthContext) -> Authenticator { NoAuthenticator() }
}

/// Sends requests as they are.
public final class NoAuthenticator: Authenticator {
    public init() {}
    public func authorize(_ request: inout OutgoingRequest) throws {}
}
