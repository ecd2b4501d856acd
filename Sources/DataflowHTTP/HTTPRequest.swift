/// A request for an ``HTTPTransport``: method, absolute URL, headers and an optional body.
///
/// The URL must be absolute (`http://` or `https://`) and already percent-encoded; the
/// transport sends it as given and never logs its query string, which may hold signatures.
///
/// ```swift
/// let request = HTTPRequest(
///     method: "POST",
///     url: "https://gateway.example.gov.cn/api/licenses.htm?pageNum=1",
///     headers: [HTTPHeader(name: "Content-Type", value: "application/json")],
///     body: Array(#"{"areaCode":"330782"}"#.utf8)
/// )
/// ```
public struct HTTPRequest: Sendable {
    /// The method token, e.g. `GET`, `POST`, `HEAD`. Sent as given.
    public var method: String
    /// The absolute, already percent-encoded URL.
    public var url: String
    /// Extra headers, sent in order after the transport's own (a header named here replaces
    /// the transport's default of the same name, e.g. `User-Agent` or `Content-Type`).
    public var headers: [HTTPHeader]
    /// The request body, or `nil` for none.
    public var body: [UInt8]?
    /// When set, the response body is written to this file (created or truncated, mode 0600)
    /// instead of memory, so a large download takes no memory; the response's `body` is then
    /// empty and `maxResponseBytes` does not apply (``maxBodyBytes`` does).
    public var bodyFile: String?
    /// A cap on this response's body in bytes, in memory or in ``bodyFile``, replacing
    /// ``TransportOptions/maxResponseBytes``: past it the transfer aborts with
    /// ``TransportError/Kind/tooLarge``.
    public var maxBodyBytes: Int?

    public init(method: String = "GET", url: String, headers: [HTTPHeader] = [], body: [UInt8]? = nil, bodyFile: String? = nil,
                maxBodyBytes: Int? = nil) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.bodyFile = bodyFile
        self.maxBodyBytes = maxBodyBytes
    }
}
