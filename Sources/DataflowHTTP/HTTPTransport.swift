/// The seam between dataflow and the network: sends one request and returns the final response.
///
/// Implementations are blocking and not shared between threads: give each worker its own.
/// ``CurlTransport`` talks to the network; ``RetryingTransport`` wraps any transport with
/// backoff; tests substitute a scripted fake.
///
/// ```swift
/// let transport: HTTPTransport = RetryingTransport(base: try CurlTransport(), policy: RetryPolicy())
/// let response = try transport.send(HTTPRequest(url: "https://example.org/api?page=1"))
/// ```
public protocol HTTPTransport: AnyObject {
    /// Blocking: performs the request on the calling thread.
    ///
    /// Returns any HTTP status (including 4xx and 5xx) as a response; throws
    /// ``TransportError`` when no complete response was received.
    func send(_ request: HTTPRequest) throws -> HTTPResponse
}
