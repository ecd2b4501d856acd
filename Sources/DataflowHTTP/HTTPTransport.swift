/// The seam between dataflow and the network: sends one request and returns its response.
///
/// Implementations are blocking and not shared between threads: give each worker its own.
/// ``CurlTransport`` talks to the network (one request: no retries, no redirects); the source
/// client puts its retry loop (``RetryLoop``) and redirect rules around whichever transport it is
/// given, so tests can inject one.
///
/// ```swift
/// let transport: HTTPTransport = try CurlTransport()
/// let response = try transport.send(HTTPRequest(url: "https://example.org/api?page=1"))
/// ```
public protocol HTTPTransport: AnyObject {
    /// Blocking: performs the request on the calling thread.
    ///
    /// Returns any HTTP status (including 4xx and 5xx) as a response; throws
    /// ``TransportError`` when no complete response was received.
    func send(_ request: HTTPRequest) throws -> HTTPResponse

    /// The same, running `work` once the request is out and before the response is read, where
    /// the transport can; otherwise `work` is left for the caller (``WaitingWork/runOnce()``).
    /// Where the transport can, it also asks `abandoned` while it waits, and stops with a
    /// ``TransportError`` of kind `abandoned` once the answer is no longer wanted.
    func send(_ request: HTTPRequest, whileWaiting work: WaitingWork?, abandonIf abandoned: (() -> Bool)?) throws -> HTTPResponse
}

extension HTTPTransport {
    /// Sends as `send(_:)` does: the caller runs `work` afterwards, and the answer is waited for.
    public func send(_ request: HTTPRequest, whileWaiting work: WaitingWork?, abandonIf abandoned: (() -> Bool)?) throws -> HTTPResponse {
        try send(request)
    }
}
