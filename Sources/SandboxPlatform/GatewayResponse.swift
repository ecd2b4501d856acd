import NIOCore
import NIOHTTP1

/// What the handler sends for one request: a complete body, a streamed body, or a fault.
struct GatewayResponse: Sendable {
    /// How the body is produced.
    enum Body: Sendable {
        case complete(ByteBuffer)
        case stream(TruthStream)
    }

    /// How the response is delivered.
    enum Delivery: Sendable, Equatable {
        case normal
        /// Close the connection without answering.
        case drop
        /// Announce the full length, send half the body, close.
        case truncate
    }

    var status: HTTPResponseStatus
    var contentType: String
    var body: Body
    var extraHeaders: [(String, String)] = []
    var delivery: Delivery = .normal

    static let jsonContentType = "application/json; charset=utf-8"
    static let ndjsonContentType = "application/x-ndjson; charset=utf-8"

    /// A JSON body.
    static func json(_ buffer: ByteBuffer, status: HTTPResponseStatus = .ok) -> GatewayResponse {
        GatewayResponse(status: status, contentType: jsonContentType, body: .complete(buffer))
    }

    /// `{"error": message}` with a non-200 status (control endpoints, unknown paths).
    static func error(_ status: HTTPResponseStatus, _ message: String) -> GatewayResponse {
        var out = JSONOutput(capacity: 64 + message.utf8.count)
        out.raw("{\"error\":")
        out.string(message)
        out.raw("}")
        return json(out.buffer, status: status)
    }

    /// A connection dropped without a response.
    static let dropped = GatewayResponse(status: .ok, contentType: jsonContentType, body: .complete(ByteBuffer()), delivery: .drop)
}
