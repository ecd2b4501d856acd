import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 response as read off the wire, complete or not.
struct TestHTTPResponse {
    /// 0 when the connection closed before a status line arrived.
    let status: Int
    /// Header names lower-cased.
    let headers: [String: String]
    let body: [UInt8]
    /// Whether `Content-Length` bytes of body arrived.
    let isComplete: Bool

    var text: String { String(decoding: body, as: UTF8.self) }

    /// The body parsed as a JSON object (empty when it is not one).
    var json: [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(body))) as? [String: Any] ?? [:]
    }
}

/// Failures of the test client itself.
struct TestHTTPError: Error, CustomStringConvertible {
    let description: String
}

/// A blocking loopback HTTP/1.1 client over a raw socket, so tests see exactly what the server
/// sends: dropped connections, truncated bodies, headers, keep-alive.
final class TestHTTPConnection {
    private let descriptor: Int32
    private var pending: [UInt8] = []

    init(port: Int) throws {
        descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard descriptor >= 0 else { throw TestHTTPError(description: "socket() failed: errno \(errno)") }
        var timeout = timeval(tv_sec: 20, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else {
            close(descriptor)
            throw TestHTTPError(description: "connect to 127.0.0.1:\(port) failed: errno \(errno)")
        }
    }

    deinit {
        close(descriptor)
    }

    /// Sends one request and reads its response (keeping the connection for the next one).
    func send(_ method: String, _ target: String, closing: Bool = false, headers: [(String, String)] = []) throws -> TestHTTPResponse {
        var request = "\(method) \(target) HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept-Encoding: gzip\r\n"
        for (name, value) in headers { request += "\(name): \(value)\r\n" }
        if closing { request += "Connection: close\r\n" }
        request += "\r\n"
        let bytes = Array(request.utf8)
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Glibc.send(descriptor, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { throw TestHTTPError(description: "send failed: errno \(errno)") }
            offset += written
        }
        return try readResponse()
    }

    private func readResponse() throws -> TestHTTPResponse {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while true {
            if let found = Self.find(separator, in: pending) {
                headEnd = found
                break
            }
            if try !fill() { break }
        }
        guard let headEnd else { return TestHTTPResponse(status: 0, headers: [:], body: pending, isComplete: false) }
        let headText = String(decoding: pending[..<headEnd], as: UTF8.self)
        pending.removeFirst(headEnd + 4)
        var lines = headText.components(separatedBy: "\r\n")
        let statusLine = lines.removeFirst().split(separator: " ")
        let status = statusLine.count > 1 ? Int(statusLine[1]) ?? 0 : 0
        var headers: [String: String] = [:]
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers[line[..<colon].lowercased()] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
        }
        let length = Int(headers["content-length"] ?? "") ?? 0
        while pending.count < length {
            if try !fill() { break }
        }
        let bodyCount = min(length, pending.count)
        let body = Array(pending[..<bodyCount])
        pending.removeFirst(bodyCount)
        return TestHTTPResponse(status: status, headers: headers, body: body, isComplete: bodyCount == length)
    }

    /// Reads more bytes; false at end of stream.
    private func fill() throws -> Bool {
        var chunk = [UInt8](repeating: 0, count: 65_536)
        let count = chunk.withUnsafeMutableBytes { recv(descriptor, $0.baseAddress, $0.count, 0) }
        if count > 0 {
            pending.append(contentsOf: chunk[..<count])
            return true
        }
        if count == 0 || errno == ECONNRESET { return false }
        throw TestHTTPError(description: "recv failed: errno \(errno)")
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<start + needle.count].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
