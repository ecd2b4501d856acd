import DataflowHTTP
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `send` that never raises SIGPIPE: a client that already hung up must not kill the test process.
private func systemSend(_ socket: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    #if canImport(Glibc)
    return Glibc.send(socket, bytes, count, Int32(MSG_NOSIGNAL))
    #else
    return Darwin.send(socket, bytes, count, 0)
    #endif
}

private func makeStreamSocket() -> Int32 {
    #if canImport(Glibc)
    let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    #else
    let fd = Darwin.socket(AF_INET, SOCK_STREAM, 0)
    var yes: Int32 = 1
    setsockopt(fd, SOL_SOCKET, SO_NOSIGPIPE, &yes, socklen_t(MemoryLayout<Int32>.size))
    #endif
    return fd
}

/// Options for talking to the loopback server: no proxy, whatever the developer's environment
/// says (a `http_proxy` without `no_proxy=127.0.0.1` would otherwise catch these requests).
public func loopbackOptions(
    timeout: Double = 30,
    connectTimeout: Double = 10,
    caBundle: String? = nil,
    maxResponseBytes: Int = 512 * 1024 * 1024,
    userAgent: String = "dataflow/0.1"
) -> TransportOptions {
    TransportOptions(timeout: timeout, connectTimeout: connectTimeout, caBundle: caBundle,
                     maxResponseBytes: maxResponseBytes, userAgent: userAgent, proxy: "")
}

/// A request as the loopback server received it.
public struct RecordedRequest: Sendable {
    public var method: String
    public var target: String
    public var headers: [HTTPHeader]
    public var body: [UInt8]
    /// 0-based index of the TCP connection it came on.
    public var connection: Int

    public func header(_ name: String) -> String? {
        headers.first { $0.name.lowercased() == name.lowercased() }?.value
    }
}

/// What the loopback server does with a request.
public enum ServerAction: Sendable {
    /// Writes these raw bytes and keeps the connection open for the next request.
    case respond([UInt8])
    /// Writes these raw bytes, then closes the connection.
    case respondAndClose([UInt8])
    /// Closes the connection without answering.
    case close
    /// Never answers; waits until the client gives up and closes.
    case hang
    /// Writes `head`, then `chunk` again and again until the client closes (an endless body).
    case endless(head: [UInt8], chunk: [UInt8])

    /// A complete HTTP/1.1 response; adds `Content-Length` unless `headers` set it.
    public static func response(status: Int, reason: String = "OK", headers: [(String, String)] = [], body: [UInt8] = []) -> ServerAction {
        .respond(LoopbackHTTPServer.encode(status: status, reason: reason, headers: headers, body: body))
    }

    public static func response(status: Int, reason: String = "OK", headers: [(String, String)] = [], body: String) -> ServerAction {
        response(status: status, reason: reason, headers: headers, body: Array(body.utf8))
    }
}

/// A tiny scripted HTTP/1.1 server on 127.0.0.1 with an ephemeral port: raw POSIX sockets,
/// a thread per connection. Test-only (the `LoopbackGateway` test-support target); it
/// understands just enough HTTP for the transport, client and hostile-gateway tests.
public final class LoopbackHTTPServer: @unchecked Sendable {
    public typealias Handler = @Sendable (_ request: RecordedRequest, _ index: Int) -> ServerAction

    public let port: UInt16
    private let listenSocket: Int32
    private let handler: Handler
    private let lock = NSLock()
    private var acceptCount = 0
    private var recorded: [RecordedRequest] = []
    private var openSockets: Set<Int32> = []
    private var stopped = false
    private let acceptLoopDone = DispatchSemaphore(value: 0)

    public struct SocketError: Error, CustomStringConvertible {
        public var call: String
        public var code: Int32
        public var description: String { "\(call) failed: \(String(cString: strerror(code)))" }
    }

    public init(handler: @escaping Handler) throws {
        self.handler = handler
        let fd = makeStreamSocket()
        guard fd >= 0 else { throw SocketError(call: "socket", code: errno) }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = Self.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            let code = errno
            close(fd)
            throw SocketError(call: "bind/listen", code: code)
        }
        self.port = Self.localPort(of: fd)
        self.listenSocket = fd
        Thread { [self] in acceptLoop() }.start()
    }

    deinit { stop() }

    public func url(_ pathAndQuery: String) -> String { "http://127.0.0.1:\(port)\(pathAndQuery)" }

    /// TCP connections accepted so far.
    public var accepts: Int { lock.withLock { acceptCount } }
    /// Requests received so far, in order.
    public var requests: [RecordedRequest] { lock.withLock { recorded } }

    /// Stops accepting, unblocks every connection thread and closes the listening socket.
    public func stop() {
        let wasStopped = lock.withLock {
            let was = stopped
            stopped = true
            // Shut down (not close) under the lock: each connection thread closes its own
            // socket after removing it here, so no descriptor number is ever touched twice.
            for socket in openSockets { shutdown(socket, Int32(SHUT_RDWR)) }
            return was
        }
        guard !wasStopped else { return }
        shutdown(listenSocket, Int32(SHUT_RDWR))
        acceptLoopDone.wait()
        close(listenSocket)
    }

    // MARK: - Serving

    private func acceptLoop() {
        defer { acceptLoopDone.signal() }
        while true {
            let client = accept(listenSocket, nil, nil)
            let registered: Int? = lock.withLock {
                guard client >= 0, !stopped else { return nil }
                openSockets.insert(client)
                acceptCount += 1
                return acceptCount - 1
            }
            guard let index = registered else {
                if client >= 0 { close(client) }
                if lock.withLock({ stopped }) { return }
                if client < 0 && errno != EINTR && errno != ECONNABORTED { return }
                continue
            }
            Thread { [self] in serve(client, connection: index) }.start()
        }
    }

    private func serve(_ socket: Int32, connection: Int) {
        defer {
            lock.withLock { _ = openSockets.remove(socket) }
            close(socket)
        }
        var buffer: [UInt8] = []
        while let request = readRequest(socket, buffer: &buffer, connection: connection) {
            let index: Int = lock.withLock {
                recorded.append(request)
                return recorded.count - 1
            }
            switch handler(request, index) {
            case .respond(let bytes):
                guard writeAll(socket, bytes) else { return }
            case .respondAndClose(let bytes):
                _ = writeAll(socket, bytes)
                return
            case .close:
                return
            case .hang:
                waitForPeerClose(socket)
                return
            case .endless(let head, let chunk):
                guard writeAll(socket, head) else { return }
                while !lock.withLock({ stopped }), writeAll(socket, chunk) {}
                return
            }
        }
    }

    /// Reads one request (head and Content-Length body); `nil` at EOF or on garbage.
    private func readRequest(_ socket: Int32, buffer: inout [UInt8], connection: Int) -> RecordedRequest? {
        let terminator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while true {
            if let first = buffer.first, !(0x41...0x5A).contains(first) { return nil }  // not "GET …" etc., e.g. a TLS hello
            if let end = Self.find(terminator, in: buffer) { headEnd = end; break }
            guard receive(socket, into: &buffer) else { return nil }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        var lines = head.components(separatedBy: "\r\n")
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count == 3 else { return nil }
        var headers: [HTTPHeader] = []
        for line in lines {
            guard let colon = line.firstIndex(of: ":") else { continue }
            headers.append(HTTPHeader(
                name: String(line[..<colon]),
                value: line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)))
        }
        let length = headers.first { $0.name.lowercased() == "content-length" }.flatMap { Int($0.value) } ?? 0
        let bodyStart = headEnd + terminator.count
        while buffer.count < bodyStart + length {
            guard receive(socket, into: &buffer) else { return nil }
        }
        let body = Array(buffer[bodyStart..<(bodyStart + length)])
        buffer.removeFirst(bodyStart + length)
        return RecordedRequest(method: String(requestLine[0]), target: String(requestLine[1]),
                               headers: headers, body: body, connection: connection)
    }

    private func receive(_ socket: Int32, into buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func writeAll(_ socket: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes.withUnsafeBytes { raw -> Int in
                guard let base = raw.baseAddress else { return 0 }
                return systemSend(socket, base + offset, raw.count - offset)
            }
            guard sent > 0 else { return false }
            offset += sent
        }
        return true
    }

    /// Blocks until the peer closes (or 10 s pass, or the server stops).
    private func waitForPeerClose(_ socket: Int32) {
        var scratch = [UInt8](repeating: 0, count: 1024)
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline, !lock.withLock({ stopped }) {
            var poller = pollfd(fd: socket, events: Int16(POLLIN), revents: 0)
            if poll(&poller, 1, 100) > 0 {
                let count = scratch.withUnsafeMutableBytes { recv(socket, $0.baseAddress, $0.count, 0) }
                if count <= 0 { return }
            }
        }
    }

    // MARK: - Helpers

    public static func encode(status: Int, reason: String, headers: [(String, String)], body: [UInt8]) -> [UInt8] {
        var head = "HTTP/1.1 \(status) \(reason)\r\n"
        for (name, value) in headers { head += "\(name): \(value)\r\n" }
        let hasLength = headers.contains { $0.0.lowercased() == "content-length" || $0.0.lowercased() == "transfer-encoding" }
        if !hasLength { head += "Content-Length: \(body.count)\r\n" }
        head += "\r\n"
        return Array(head.utf8) + body
    }

    public static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }

    static func loopback(port: UInt16) -> sockaddr_in {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = port.bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return address
    }

    static func localPort(of socket: Int32) -> UInt16 {
        var address = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) }
        }
        return UInt16(bigEndian: address.sin_port)
    }
}

/// A port on 127.0.0.1 that is bound but not listening: connecting to it is refused at once.
public final class RefusingPort {
    public let port: UInt16
    private let socket: Int32

    public init() throws {
        let fd = makeStreamSocket()
        guard fd >= 0 else { throw LoopbackHTTPServer.SocketError(call: "socket", code: errno) }
        var address = LoopbackHTTPServer.loopback(port: 0)
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else {
            let code = errno
            close(fd)
            throw LoopbackHTTPServer.SocketError(call: "bind", code: code)
        }
        socket = fd
        port = LoopbackHTTPServer.localPort(of: fd)
    }

    deinit { close(socket) }
}
