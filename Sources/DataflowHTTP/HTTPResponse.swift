/// The response to an ``HTTPRequest``: status, headers, body and time (a `3xx` is a response too).
///
/// ```swift
/// let response = try transport.send(HTTPRequest(url: "https://example.org/data.json"))
/// if response.status == 200, response.header("content-type")?.hasPrefix("application/json") == true {
///     decode(response.body)
/// }
/// ```
public struct HTTPResponse: Sendable {
    /// The HTTP status code of the final response.
    public var status: Int
    /// The response's headers, in the order received.
    public var headers: [HTTPHeader]
    /// The body, already decoded from any `Content-Encoding` (gzip, deflate, br).
    public var body: [UInt8]
    /// Total time of the exchange in seconds.
    public var seconds: Double
    /// Requests the transport sent to get it: 1, or more when libcurl sent the request again by
    /// itself after a reused connection died before any answer (the gateway may have seen both).
    public var requestsSent = 1

    public init(status: Int, headers: [HTTPHeader] = [], body: [UInt8] = [], seconds: Double = 0) {
        self.status = status
        self.headers = headers
        self.body = body
        self.seconds = seconds
    }

    /// The value of the first header named `name`, compared case-insensitively, or `nil`.
    public func header(_ name: String) -> String? {
        headers.first { Self.sameName($0.name, name) }?.value
    }

    /// The values of every header named `name` (case-insensitive), in order; e.g. repeated `Link`.
    public func headers(named name: String) -> [String] {
        headers.filter { Self.sameName($0.name, name) }.map(\.value)
    }

    /// ASCII case-insensitive comparison, as header names are ASCII tokens (RFC 9110 §5.1).
    static func sameName(_ a: String, _ b: String) -> Bool {
        let x = a.utf8, y = b.utf8
        guard x.count == y.count else { return false }
        for (p, q) in zip(x, y) where p != q {
            if lowercased(p) != lowercased(q) { return false }
        }
        return true
    }

    private static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }
}
