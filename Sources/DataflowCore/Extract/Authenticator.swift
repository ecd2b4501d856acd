import DataflowHTTP

/// Signs requests for one source and reacts to the envelope's auth actions.
public protocol Authenticator: AnyObject {
    /// Adds whatever the gateway needs (query parameters, headers) to a request about to be sent.
    func authorize(query: inout [(String, String)], headers: inout [HTTPHeader]) throws
    /// The gateway said the credential expired: renew before the next request.
    func refresh() throws
    /// The gateway said the signature was wrong: start again from the long-lived credential.
    func invalidate()
}

/// Sends requests as they are.
public final class NoAuthenticator: Authenticator {
    public init() {}
    public func authorize(query: inout [(String, String)], headers: inout [HTTPHeader]) throws {}
    public func refresh() throws {}
    public func invalidate() {}
}
