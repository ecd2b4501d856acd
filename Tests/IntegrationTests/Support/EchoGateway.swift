import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A hostile gateway on loopback whose every data answer is a WAF-style error page that echoes
/// the request back (request line, then every header), with ANSI escapes and a forged log line.
/// Its token endpoints (zj-irs `refreshTokenByKey`/`refreshTokenBySec`, OAuth2 `/oauth/token`)
/// work, so runtime tokens are issued and then echoed too. It records every token it issued and
/// every credential value it received, so a test can look for each of them in dataflow's output.
///
/// One request per connection (`Connection: close`), served in turn on one thread: dataflow
/// sends one request at a time, and the test needs no more.
final class EchoGateway: @unchecked Sendable {
    /// The forged line every error page carries after a newline (a text log must not show it as a line).
    static let forgedLine = "items_q: ok — 999 fetched, 0 inserted, 0 updated"

    let port: UInt16
    private let listener: Int32
    private let lock = NSLock()
    private var issued: [String] = []
    private var received: [String] = []
    private let done = DispatchSemaphore(value: 0)

    struct SocketError: Error { var call: String }

    init() throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw SocketError(call: "socket") }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else { close(fd); throw SocketError(call: "bind/listen") }
        var local = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &local) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) } }
        port = UInt16(bigEndian: local.sin_port)
        listener = fd
        Thread { [self] in serve() }.start()
    }

    deinit {
        shutdown(listener, Int32(SHUT_RDWR))
        done.wait()
        close(listener)
    }

    var baseURL: String { "http://127.0.0.1:\(port)" }
    /// Tokens issued at run time (requestSecret, refreshSecret, access tokens).
    var issuedTokens: [String] { lock.withLock { issued } }
    /// Credential values received in query parameters and headers (signatures, keys, tokens).
    var receivedCredentials: [String] { lock.withLock { received } }

    private func serve() {
        defer { done.signal() }
        while true {
            let client = accept(listener, nil, nil)
            if client < 0 { if errno == EINTR { continue } else { return } }
            answer(client)
            close(client)
        }
    }

    private func answer(_ client: Int32) {
        var buffer: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 16_384)
        var headEnd: Range<Int>?
        while headEnd == nil {
            let n = recv(client, &chunk, chunk.count, 0)
            guard n > 0 else { return }
            buffer += chunk[0..<n]
            headEnd = buffer.firstRange(of: [13, 10, 13, 10])
        }
        guard let headEnd else { return }
        let head = String(decoding: buffer[..<headEnd.lowerBound], as: UTF8.self)
        let lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.first ?? ""
        let headers = lines.dropFirst().compactMap { line -> (String, String)? in
            guard let colon = line.firstIndex(of: ":") else { return nil }
            return (String(line[..<colon]), line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        }
        // Read (and ignore) a form body so the client is not cut off mid-send.
        let length = headers.first { $0.0.lowercased() == "content-length" }.flatMap { Int($0.1) } ?? 0
        var body = Array(buffer[headEnd.upperBound...])
        while body.count < length {
            let n = recv(client, &chunk, chunk.count, 0)
            guard n > 0 else { break }
            body += chunk[0..<n]
        }
        let target = requestLine.split(separator: " ").dropFirst().first.map(String.init) ?? "/"
        record(target: target, headers: headers)
        let (status, contentType, text): (String, String, String)
        if target.contains("/gateway/app/refreshToken") {
            let requestSecret = "rs-" + UUID().uuidString, refreshSecret = "rf-" + UUID().uuidString
            lock.withLock { issued += [requestSecret, refreshSecret] }
            let end = Int64(Date().timeIntervalSince1970 * 1000) + 3_600_000
            (status, contentType, text) = ("200 OK", "application/json", """
                {"code":"00","msg":"ok","datas":{"requestSecret":"\(requestSecret)","requestSecretEndTime":\(end),\
                "refreshSecret":"\(refreshSecret)","refreshSecretEndTime":\(end + 86_400_000)}}
                """)
        } else if target.hasPrefix("/oauth/token") {
            let token = "at-" + UUID().uuidString
            lock.withLock { issued.append(token) }
            (status, contentType, text) = ("200 OK", "application/json", "{\"access_token\":\"\(token)\",\"token_type\":\"bearer\",\"expires_in\":3600}")
        } else {
            // The request first, as WAF pages do; the credential headers before the ordinary ones.
            let ordered = headers.filter { Self.isCredentialHeader($0.0) } + headers.filter { !Self.isCredentialHeader($0.0) }
            let echo = ([requestLine] + ordered.map { "\($0.0): \($0.1)" }).joined(separator: "\n")
            (status, contentType, text) = ("403 Forbidden", "text/html",
                                           "\u{1B}[31mBlocked\u{1B}[0m\n\(Self.forgedLine)\n<pre>\n\(echo)\n</pre>")
        }
        let bytes = Array(text.utf8)
        let response = "HTTP/1.1 \(status)\r\nContent-Type: \(contentType)\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let all = Array(response.utf8) + bytes
        var sent = 0
        while sent < all.count {
            let n = all[sent...].withUnsafeBytes { send(client, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard n > 0 else { return }
            sent += n
        }
    }

    static func isCredentialHeader(_ name: String) -> Bool {
        let lower = name.lowercased()
        return ["key", "token", "secret", "sign", "auth", "appkey"].contains { lower.contains($0) }
    }

    /// Remembers every credential value of the request: query values and header values whose
    /// names say they are credentials (the `Basic` and `Bearer` words dropped).
    private func record(target: String, headers: [(String, String)]) {
        var values: [String] = []
        if let q = target.firstIndex(of: "?") {
            for pair in target[target.index(after: q)...].split(separator: "&") {
                let parts = pair.split(separator: "=", maxSplits: 1).map(String.init)
                if parts.count == 2, Self.isCredentialHeader(parts[0]) { values.append(parts[1].removingPercentEncoding ?? parts[1]) }
            }
        }
        for (name, value) in headers where Self.isCredentialHeader(name) {
            values.append(value.replacingOccurrences(of: "Bearer ", with: "").replacingOccurrences(of: "Basic ", with: ""))
        }
        lock.withLock { received += values.filter { $0.count >= 6 } }
    }
}
