import DataflowHTTP
import LoopbackGateway
import Foundation
import Testing

@Suite("CurlTransport against a loopback server")
struct CurlTransportTests {
    @Test func getSendsHeadersAndQuery() throws {
        let server = try LoopbackHTTPServer { _, _ in .response(status: 200, headers: [("Content-Type", "text/plain")], body: "hello") }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions())
        let response = try transport.send(HTTPRequest(
            url: server.url("/api/licenses.htm?areaCode=330782&pageNum=2"),
            headers: [HTTPHeader(name: "X-App-Key", value: "k1"), HTTPHeader(name: "Accept", value: "application/json")]))

        #expect(response.status == 200)
        #expect(response.body == Array("hello".utf8))
        #expect(response.header("content-type") == "text/plain")
        #expect(response.seconds >= 0)
        let seen = try #require(server.requests.first)
        #expect(seen.method == "GET")
        #expect(seen.target == "/api/licenses.htm?areaCode=330782&pageNum=2")
        #expect(seen.header("X-App-Key") == "k1")
        #expect(seen.header("Accept") == "application/json")
        #expect(seen.header("User-Agent") == "dataflow/0.1")
        #expect(seen.header("Accept-Encoding")?.contains("gzip") == true)
        #expect(seen.header("Expect") == nil)
    }

    @Test func postSendsBinaryBodyAndContentType() throws {
        let server = try LoopbackHTTPServer { request, _ in .response(status: 201, body: request.body) }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions(userAgent: "county-test/1"))
        // Larger than 1 KiB with a NUL byte: no `Expect: 100-continue` stall, nothing truncated.
        let body = Array("{\"areaCode\":\"330782\"}".utf8) + [0] + [UInt8](repeating: 0x41, count: 4000)
        let response = try transport.send(HTTPRequest(
            method: "POST", url: server.url("/submit"),
            headers: [HTTPHeader(name: "Content-Type", value: "application/json")], body: body))

        #expect(response.status == 201)
        #expect(response.body == body)
        let seen = try #require(server.requests.first)
        #expect(seen.method == "POST")
        #expect(seen.body == body)
        #expect(seen.header("Content-Type") == "application/json")
        #expect(seen.header("Content-Length") == String(body.count))
        #expect(seen.header("User-Agent") == "county-test/1")
    }

    @Test func otherMethodsEmptyBodiesAndEmptyHeaderValues() throws {
        let server = try LoopbackHTTPServer { _, _ in .response(status: 204) }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions())
        _ = try transport.send(HTTPRequest(method: "PUT", url: server.url("/put"), body: Array("x=1".utf8)))
        _ = try transport.send(HTTPRequest(method: "DELETE", url: server.url("/delete")))
        _ = try transport.send(HTTPRequest(method: "POST", url: server.url("/empty"), body: []))
        _ = try transport.send(HTTPRequest(url: server.url("/get"), headers: [HTTPHeader(name: "X-Empty", value: "")]))

        let seen = server.requests
        #expect(seen.map(\.method) == ["PUT", "DELETE", "POST", "GET"])
        #expect(seen[0].body == Array("x=1".utf8))
        #expect(seen[1].body.isEmpty)
        #expect(seen[2].header("Content-Length") == "0")
        #expect(seen[3].header("X-Empty") == "")
        #expect(seen[3].body.isEmpty)
    }

    @Test func headRequestReturnsHeadersWithoutBody() throws {
        let server = try LoopbackHTTPServer { _, _ in
            .respond(Array("HTTP/1.1 200 OK\r\nContent-Length: 5\r\nX-Total: 42\r\n\r\n".utf8))
        }
        defer { server.stop() }
        let response = try CurlTransport(options: loopbackOptions()).send(HTTPRequest(method: "HEAD", url: server.url("/count")))
        #expect(response.status == 200)
        #expect(response.header("X-Total") == "42")
        #expect(response.body.isEmpty)
        #expect(server.requests.first?.method == "HEAD")
    }

    @Test func statusAndHeadersInOrderCaseInsensitive() throws {
        let server = try LoopbackHTTPServer { _, _ in
            .response(status: 404, reason: "Not Found", headers: [
                ("Link", "<https://a/?page=2>; rel=\"next\""),
                ("x-request-id", "abc"),
                ("Link", "<https://a/?page=9>; rel=\"last\""),
            ], body: "{\"code\":\"404\"}")
        }
        defer { server.stop() }
        let response = try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: server.url("/missing")))
        #expect(response.status == 404)
        #expect(response.body == Array("{\"code\":\"404\"}".utf8))
        #expect(response.header("X-REQUEST-ID") == "abc")
        #expect(response.header("link") == "<https://a/?page=2>; rel=\"next\"")
        #expect(response.headers(named: "Link").count == 2)
        #expect(response.header("Missing") == nil)
        let names = response.headers.map(\.name)
        #expect(names == ["Link", "x-request-id", "Link", "Content-Length"])
    }

    @Test func keepAliveReusesOneConnectionAndResetsPerRequestOptions() throws {
        let server = try LoopbackHTTPServer { request, index in
            .response(status: 200, body: "\(index):\(request.method):\(request.body.count)")
        }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions())
        let first = try transport.send(HTTPRequest(method: "POST", url: server.url("/a?x=1"),
                                                   headers: [HTTPHeader(name: "X-Only-First", value: "1")],
                                                   body: Array("abc".utf8)))
        let second = try transport.send(HTTPRequest(url: server.url("/b")))
        let third = try transport.send(HTTPRequest(method: "PATCH", url: server.url("/c"), body: Array("z".utf8)))
        let fourth = try transport.send(HTTPRequest(url: server.url("/d")))

        #expect(String(decoding: first.body, as: UTF8.self) == "0:POST:3")
        #expect(String(decoding: second.body, as: UTF8.self) == "1:GET:0")
        #expect(String(decoding: third.body, as: UTF8.self) == "2:PATCH:1")
        #expect(String(decoding: fourth.body, as: UTF8.self) == "3:GET:0")
        #expect(server.accepts == 1)
        let seen = server.requests
        #expect(Set(seen.map(\.connection)) == [0])
        #expect(seen[1].header("X-Only-First") == nil)
        #expect(seen[1].header("Content-Length") == nil)
    }

    /// `send(_:whileWaiting:abandonIf:)` runs the work once the request is out and before the answer is
    /// read: here the server holds its answer until the work has seen the request arrive.
    @Test func theWorkRunsWhileTheServerHasTheRequestAndBeforeItsAnswerIsRead() throws {
        let arrived = DispatchSemaphore(value: 0), workDone = DispatchSemaphore(value: 0)
        let server = try LoopbackHTTPServer { _, _ in
            arrived.signal()
            let afterWork = workDone.wait(timeout: .now() + 10) == .success
            return .response(status: 200, body: afterWork ? "answered after the work" : "the work did not run while the request was out")
        }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions())
        for n in 1...3 {  // the first request opens the connection, the others reuse it
            var sawRequest = false
            let work = WaitingWork {
                sawRequest = arrived.wait(timeout: .now() + 10) == .success
                workDone.signal()
            }
            let response = try transport.send(HTTPRequest(url: server.url("/page?n=\(n)")), whileWaiting: work, abandonIf: nil)
            #expect(work.hasRun)
            #expect(sawRequest, "the request had reached the server when the work ran")
            #expect(String(decoding: response.body, as: UTF8.self) == "answered after the work")
        }
        #expect(server.accepts == 1)
    }

    /// A caller that no longer wants the answer gets control back while the server still says
    /// nothing: an `abandoned` error, not retried, long before the transfer's own timeout.
    @Test func aRequestWhoseAnswerIsNoLongerWantedIsAbandonedNotWaitedFor() throws {
        let server = try LoopbackHTTPServer { _, _ in .hang }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions(timeout: 120))
        let started = Date()
        let error = try #require(throws: TransportError.self) {
            try transport.send(HTTPRequest(url: server.url("/page?sign=SIGSECRET")), whileWaiting: nil,
                               abandonIf: { Date().timeIntervalSince(started) > 0.3 })
        }
        #expect(error.kind == .abandoned && !error.isRetryable, "\(error)")
        #expect(!error.message.contains("SIGSECRET"))
        #expect(Date().timeIntervalSince(started) < 60, "not the 120 s timeout")
        // The transport is still usable: the next request gets its own connection.
        let answering = try LoopbackHTTPServer { _, _ in .response(status: 200, body: "ok") }
        defer { answering.stop() }
        #expect(try transport.send(HTTPRequest(url: answering.url("/next"))).body == Array("ok".utf8))
    }

    /// A request that never went out leaves its work to the caller.
    @Test func aRequestThatNeverWentOutLeavesTheWorkUnrun() throws {
        let refusing = try RefusingPort()
        let work = WaitingWork {}
        #expect(throws: TransportError.self) {
            try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: "http://127.0.0.1:\(refusing.port)/page"), whileWaiting: work, abandonIf: nil)
        }
        #expect(!work.hasRun)
    }

    @Test func oneTransportPerWorkerThread() throws {
        let server = try LoopbackHTTPServer { request, _ in .response(status: 200, body: request.target) }
        defer { server.stop() }
        let workers = 4, perWorker = 25
        let failures = Failures()
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            do {
                let transport = try CurlTransport(options: loopbackOptions())
                for page in 0..<perWorker {
                    let path = "/w\(worker)?page=\(page)"
                    let response = try transport.send(HTTPRequest(url: server.url(path)))
                    if response.body != Array(path.utf8) { failures.add("worker \(worker) page \(page): wrong body") }
                }
            } catch {
                failures.add("worker \(worker): \(error)")
            }
        }
        #expect(failures.all.isEmpty)
        #expect(server.requests.count == workers * perWorker)
        #expect(server.accepts == workers)
    }

    @Test func gzipBodyIsDecoded() throws {
        let text = String(repeating: "企业营业执照信息 market_licenses ", count: 300)
        let compressed = GzipFixture.gzip(Array(text.utf8))
        let server = try LoopbackHTTPServer { request, _ in
            let accepts = request.header("Accept-Encoding")?.contains("gzip") == true
            return accepts
                ? .response(status: 200, headers: [("Content-Encoding", "gzip")], body: compressed)
                : .response(status: 406, body: "no gzip")
        }
        defer { server.stop() }
        let response = try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: server.url("/data")))
        #expect(response.status == 200)
        #expect(response.header("Content-Encoding") == "gzip")
        #expect(response.body == Array(text.utf8))
    }

    @Test func chunkedResponseIsReassembled() throws {
        let server = try LoopbackHTTPServer { _, _ in
            .respond(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n5\r\nhello\r\n6\r\n world\r\n0\r\n\r\n".utf8))
        }
        defer { server.stop() }
        let response = try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: server.url("/chunked")))
        #expect(response.body == Array("hello world".utf8))
    }

    @Test func redirectsAreReturnedNeverFollowedSoNoHeaderTravels() throws {
        let server = try LoopbackHTTPServer { request, _ in
            request.target.hasPrefix("/old")
                ? .response(status: 302, reason: "Found", headers: [("Location", "/new?page=1")])
                : .response(status: 200, body: request.target)
        }
        defer { server.stop() }
        let response = try CurlTransport(options: loopbackOptions())
            .send(HTTPRequest(url: server.url("/old"), headers: [HTTPHeader(name: "X-API-Key", value: "KEY-SECRET")]))
        #expect(response.status == 302)
        #expect(response.header("Location") == "/new?page=1")
        #expect(server.requests.map(\.target) == ["/old"], "libcurl followed the redirect by itself")
    }

    @Test func timeoutIsReportedQuicklyAndRetryable() throws {
        let server = try LoopbackHTTPServer { _, _ in .hang }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions(timeout: 0.5, connectTimeout: 0.5))
        let started = Date()
        let error = try #require(throws: TransportError.self) {
            try transport.send(HTTPRequest(url: server.url("/slow?sign=SIGSECRET")))
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(error.kind == .timeout)
        #expect(error.isRetryable)
        #expect(elapsed >= 0.4 && elapsed < 2.0, "took \(elapsed)s")
        #expect(!error.message.contains("SIGSECRET"))
        #expect(error.message.contains("/slow"))
    }

    @Test func droppedConnectionIsRetryable() throws {
        let server = try LoopbackHTTPServer { _, _ in .close }
        defer { server.stop() }
        let error = try #require(throws: TransportError.self) {
            try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: server.url("/drop?appKey=KEYSECRET")))
        }
        #expect(error.kind == .dropped)
        #expect(error.isRetryable)
        #expect(error.curlCode == 52)  // CURLE_GOT_NOTHING
        #expect(!error.description.contains("KEYSECRET"))
    }

    @Test func truncatedBodyIsRetryable() throws {
        let server = try LoopbackHTTPServer { _, _ in
            .respondAndClose(Array("HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nonly ten b".utf8))
        }
        defer { server.stop() }
        let error = try #require(throws: TransportError.self) {
            try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: server.url("/partial")))
        }
        #expect(error.kind == .dropped)
        #expect(error.isRetryable)
        #expect(error.curlCode == 18)  // CURLE_PARTIAL_FILE
    }

    @Test func connectionRefusedIsRetryable() throws {
        let refusing = try RefusingPort()
        let error = try #require(throws: TransportError.self) {
            try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: "http://127.0.0.1:\(refusing.port)/x?sign=SIGSECRET"))
        }
        #expect(error.kind == .connect)
        #expect(error.isRetryable)
        #expect(!error.message.contains("SIGSECRET"))
        #expect(error.message.contains("http://127.0.0.1:\(refusing.port)/x"))
    }

    @Test(arguments: [true, false])
    func responseSizeLimit(declaredLength: Bool) throws {
        let body = [UInt8](repeating: 0x61, count: 5000)
        let server = try LoopbackHTTPServer { _, _ in
            declaredLength
                ? .response(status: 200, body: body)
                // Chunked: no length known up front, so the write callback has to stop it.
                : .respondAndClose(Array("HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n1388\r\n".utf8) + body + Array("\r\n0\r\n\r\n".utf8))
        }
        defer { server.stop() }
        let small = try CurlTransport(options: loopbackOptions(maxResponseBytes: 1000))
        let error = try #require(throws: TransportError.self) {
            try small.send(HTTPRequest(url: server.url("/big")))
        }
        #expect(error.kind == .tooLarge)
        #expect(!error.isRetryable)
        #expect(error.message.contains("1000"))

        let exact = try CurlTransport(options: loopbackOptions(maxResponseBytes: 5000))
        #expect(try exact.send(HTTPRequest(url: server.url("/big"))).body.count == 5000)
    }

    @Test func tlsFailuresAreClassified() throws {
        // The server speaks plain HTTP and hangs up on a TLS ClientHello.
        let server = try LoopbackHTTPServer { _, _ in .close }
        defer { server.stop() }
        let plain = try CurlTransport(options: loopbackOptions(timeout: 5))
        let handshake = try #require(throws: TransportError.self) {
            try plain.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/secure?sign=SIGSECRET"))
        }
        #expect(handshake.kind == .tls)
        #expect(!handshake.message.contains("SIGSECRET"))

        let missingBundle = try CurlTransport(options: loopbackOptions(timeout: 5, caBundle: "/nonexistent/gov-ca.pem"))
        let bundle = try #require(throws: TransportError.self) {
            try missingBundle.send(HTTPRequest(url: "https://127.0.0.1:\(server.port)/secure"))
        }
        #expect(bundle.kind == .tls)
        #expect(!bundle.isRetryable)
    }

    @Test(arguments: [
        "ftp://127.0.0.1/file?sign=SIGSECRET",
        "file:///etc/passwd",
        "/relative/path?sign=SIGSECRET",
        "http://127.0.0.1/has space?sign=SIGSECRET",
        "",
    ])
    func invalidURLsAreRejected(url: String) throws {
        let error = try #require(throws: TransportError.self) {
            try CurlTransport(options: loopbackOptions()).send(HTTPRequest(url: url))
        }
        #expect(error.kind == .invalidURL)
        #expect(!error.isRetryable)
        #expect(!error.message.contains("SIGSECRET"))
    }

    @Test func headerInjectionIsRejectedBeforeSending() throws {
        let server = try LoopbackHTTPServer { _, _ in .response(status: 200) }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions())
        for header in [HTTPHeader(name: "X-A", value: "1\r\nX-Injected: 1"), HTTPHeader(name: "Bad Name", value: "1")] {
            let error = try #require(throws: TransportError.self) {
                try transport.send(HTTPRequest(url: server.url("/"), headers: [header]))
            }
            #expect(error.kind == .other)
        }
        #expect(server.requests.isEmpty)
    }

    @Test func explicitProxyReceivesAbsoluteFormRequests() throws {
        let proxy = try LoopbackHTTPServer { request, _ in .response(status: 200, body: request.target) }
        defer { proxy.stop() }
        var options = loopbackOptions()
        options.proxy = proxy.url("")
        let response = try CurlTransport(options: options)
            .send(HTTPRequest(url: "http://gateway.example.invalid/api/x.htm?pageNum=1"))
        #expect(response.status == 200)
        #expect(response.body == Array("http://gateway.example.invalid/api/x.htm?pageNum=1".utf8))
        #expect(proxy.requests.first?.header("Host") == "gateway.example.invalid")
    }

    @Test func defaultsMatchTheContract() {
        let options = TransportOptions()
        #expect(options.timeout == 30 && options.connectTimeout == 10)
        #expect(options.caBundle == nil && options.proxy == nil)
        #expect(options.maxResponseBytes == 512 * 1024 * 1024)
        #expect(options.userAgent == "dataflow/0.1")
        let policy = RetryPolicy()
        #expect(policy.maxRetries == 5 && policy.baseDelay == 0.5 && policy.maxDelay == 30 && policy.maxRetryAfter == 120)
        let request = HTTPRequest(url: "https://h/p")
        #expect(request.method == "GET" && request.headers.isEmpty && request.body == nil)
    }

    /// libcurl reads a 0 timeout as none at all: a zero, negative or non-finite value must never
    /// get that far, however the options were built.
    @Test(arguments: [0, -0.0, -1, -.infinity, .infinity, .nan] as [Double])
    func anUnusableTimeoutFallsBackToTheDefault(_ seconds: Double) {
        let built = TransportOptions(timeout: seconds, connectTimeout: seconds)
        #expect(built.timeout == 30 && built.connectTimeout == 10)
        var set = TransportOptions(timeout: 5, connectTimeout: 2)
        #expect(set.timeout == 5 && set.connectTimeout == 2)
        set.timeout = seconds
        set.connectTimeout = seconds
        #expect(set.timeout == 30 && set.connectTimeout == 10)
        set.timeout = 0.001
        #expect(set.timeout == 0.001)
    }

    @Test func libcurlVersionIsReported() {
        #expect(CurlTransport.libcurlVersion.hasPrefix("libcurl/"))
    }
}

/// Thread-safe collection of failure messages from worker threads.
final class Failures: @unchecked Sendable {
    private let lock = NSLock()
    private var messages: [String] = []
    func add(_ message: String) { lock.withLock { messages.append(message) } }
    var all: [String] { lock.withLock { messages } }
}
