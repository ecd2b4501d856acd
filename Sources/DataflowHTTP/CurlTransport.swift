import CCurl
import Foundation

/// An ``HTTPTransport`` over one reused libcurl easy handle, performed through its own multi
/// handle (whose connection cache keeps the keep-alive connection between requests).
///
/// libcurl brings per-source CA bundles, gzip/deflate/br decoding, HTTP/2 and proxies from the
/// standard environment variables (`http_proxy`, `https_proxy`, `no_proxy`, …), which are left
/// on deliberately. Only `http` and `https` are allowed. Redirects are not followed: a `3xx`
/// is returned like any response, so no header ever travels to a host the caller did not choose.
///
/// Not thread-safe: give each worker thread its own transport.
///
/// ```swift
/// let transport = try CurlTransport(options: TransportOptions(timeout: 30, caBundle: "/etc/ssl/gov-ca.pem"))
/// let response = try transport.send(HTTPRequest(url: "https://gateway.example.gov.cn/api?page=1"))
/// ```
public final class CurlTransport: HTTPTransport {
    /// The options every request on this transport uses.
    public let options: TransportOptions

    private let handle: UnsafeMutableRawPointer
    private let multi: UnsafeMutableRawPointer
    private let errorBuffer: UnsafeMutablePointer<CChar>
    /// Requests libcurl sent in the current transfer (`dataflow_curl_count_requests`): more than
    /// one when it sent the request again by itself on a fresh connection.
    private let requestCount: UnsafeMutablePointer<CLong>

    /// Creates a transport with its own easy handle.
    /// - Throws: ``TransportError`` when libcurl cannot be initialised.
    public init(options: TransportOptions = .init()) throws {
        let global = CurlGlobal.initResult
        guard global == CURLE_OK.rawValue else {
            throw TransportError(kind: .other, message: "curl_global_init failed (CURLcode \(global))", curlCode: Int(global))
        }
        guard let handle = curl_easy_init() else {
            throw TransportError(kind: .other, message: "curl_easy_init failed")
        }
        guard let multi = curl_multi_init() else {
            curl_easy_cleanup(handle)
            throw TransportError(kind: .other, message: "curl_multi_init failed")
        }
        self.options = options
        self.handle = handle
        self.multi = multi
        self.errorBuffer = .allocate(capacity: Int(CURL_ERROR_SIZE))
        self.errorBuffer.initialize(repeating: 0, count: Int(CURL_ERROR_SIZE))
        self.requestCount = .allocate(capacity: 1)
        self.requestCount.initialize(to: 0)
    }

    deinit {
        curl_easy_cleanup(handle)
        curl_multi_cleanup(multi)
        errorBuffer.deallocate()
        requestCount.deallocate()
    }

    /// The libcurl version string, e.g. `libcurl/7.88.1 OpenSSL/3.0.15 zlib/1.2.13 brotli/1.0.9`.
    public static var libcurlVersion: String { String(cString: curl_version()) }

    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        try send(request, work: nil, abandoned: nil)
    }

    /// Runs `work` as soon as libcurl has sent request bytes, while the server answers; the answer
    /// waits in the socket's buffer meanwhile. Through a proxy tunnel the first bytes sent are the
    /// `CONNECT`, so the work may run before the request itself (it then only overlaps less). The
    /// work's time counts against the request's timeout, and it must not use this transport.
    /// `abandoned` is asked at least every 100 ms while the answer is awaited; once it says yes the
    /// connection is dropped and a ``TransportError`` of kind `abandoned` (not retried) is thrown.
    public func send(_ request: HTTPRequest, whileWaiting work: WaitingWork?, abandonIf abandoned: (() -> Bool)?) throws -> HTTPResponse {
        try send(request, work: work, abandoned: abandoned)
    }

    /// What the C loop calls back: the work, and whether the caller still wants the answer.
    private final class Hooks {
        let work: WaitingWork?
        let abandoned: (() -> Bool)?
        var gaveUp = false
        init(work: WaitingWork?, abandoned: (() -> Bool)?) { self.work = work; self.abandoned = abandoned }
    }

    private func send(_ request: HTTPRequest, work: WaitingWork?, abandoned: (() -> Bool)?) throws -> HTTPResponse {
        let target = "\(request.method) \(URLRedaction.redact(request.url))"
        try Self.validate(request, target: target)

        // Reset clears every option from the previous request (method, body, headers…) but
        // keeps live connections, DNS and TLS session caches: reuse without leftovers.
        curl_easy_reset(handle)
        var headerList: UnsafeMutablePointer<curl_slist>? = nil
        defer { curl_slist_free_all(headerList) }
        var file: FileHandle?
        if let path = request.bodyFile {
            file = try Self.openBodyFile(path, target: target)
        }
        defer { try? file?.close() }
        let limit = request.maxBodyBytes ?? (file == nil ? options.maxResponseBytes : Int.max)
        let sink = CurlResponseSink(limit: limit, file: file)

        return try withExtendedLifetime(sink) {
            try configureHandle(for: request, limit: limit, target: target)
            headerList = try Self.headerList(for: request, target: target)
            try set(CURLOPT_HTTPHEADER, slist: headerList, target: target)
            let context = Unmanaged.passUnretained(sink).toOpaque()
            try set(CURLOPT_WRITEDATA, pointer: context, target: target)
            try set(CURLOPT_HEADERDATA, pointer: context, target: target)
            try check(dataflow_curl_setopt_write_function(handle) { data, size, count, context in
                guard let context else { return 0 }
                let sink = Unmanaged<CurlResponseSink>.fromOpaque(context).takeUnretainedValue()
                let length = size * count
                return sink.receiveBody(UnsafeRawBufferPointer(start: data, count: length)) ? length : 0
            }, option: "WRITEFUNCTION", target: target)
            requestCount.pointee = 0
            try check(dataflow_curl_count_requests(handle, requestCount), option: "DEBUGFUNCTION", target: target)
            try check(dataflow_curl_setopt_header_function(handle) { data, size, count, context in
                guard let context else { return 0 }
                let sink = Unmanaged<CurlResponseSink>.fromOpaque(context).takeUnretainedValue()
                let length = size * count
                sink.receiveHeaderLine(UnsafeRawBufferPointer(start: data, count: length))
                return length
            }, option: "HEADERFUNCTION", target: target)

            errorBuffer[0] = 0
            var multiCode: Int32 = 0
            let code: CURLcode
            let hooks = work == nil && abandoned == nil ? nil : Hooks(work: work, abandoned: abandoned)
            if let hooks {
                code = withExtendedLifetime(hooks) {
                    dataflow_curl_perform(multi, handle, work == nil ? nil : { context in
                        Unmanaged<Hooks>.fromOpaque(context!).takeUnretainedValue().work?.runOnce()
                    }, abandoned == nil ? nil : { context in
                        let hooks = Unmanaged<Hooks>.fromOpaque(context!).takeUnretainedValue()
                        hooks.gaveUp = hooks.abandoned?() == true
                        return hooks.gaveUp ? 1 : 0
                    }, Unmanaged.passUnretained(hooks).toOpaque(), &multiCode)
                }
            } else {
                code = dataflow_curl_perform(multi, handle, nil, nil, nil, &multiCode)
            }
            // At least one: a request that failed before any byte went out still counts as the attempt.
            let sent = max(1, Int(requestCount.pointee))
            if code == CURLE_ABORTED_BY_CALLBACK, hooks?.gaveUp == true {
                var error = TransportError(kind: .abandoned, message: "\(target): given up waiting, the answer is no longer wanted")
                error.requestsSent = sent
                throw error
            }
            if multiCode != 0 {
                throw TransportError(kind: .other, message: "\(target): libcurl's multi interface failed (\(String(cString: curl_multi_strerror(CURLMcode(rawValue: multiCode)))))")
            }
            if let fileError = sink.fileError {
                throw TransportError(kind: .other, message: "\(target): writing the response body to \(request.bodyFile ?? "") failed: \(fileError)")
            }
            guard code == CURLE_OK else {
                var error = TransportError(
                    curlCode: code,
                    detail: String(cString: errorBuffer),
                    exceededLimit: sink.exceededLimit,
                    limit: limit,
                    target: target,
                    url: request.url
                )
                error.requestsSent = sent
                throw error
            }
            var status = 0
            _ = dataflow_curl_getinfo_long(handle, CURLINFO_RESPONSE_CODE, &status)
            var seconds = 0.0
            _ = dataflow_curl_getinfo_double(handle, CURLINFO_TOTAL_TIME, &seconds)
            var response = HTTPResponse(status: status, headers: sink.headers, body: sink.body, seconds: seconds)
            response.requestsSent = sent
            return response
        }
    }

    // MARK: - Options

    private func configureHandle(for request: HTTPRequest, limit: Int, target: String) throws {
        try set(CURLOPT_URL, string: request.url, target: target)
        try set(CURLOPT_PROTOCOLS_STR, string: "http,https", target: target)
        try set(CURLOPT_ERRORBUFFER, pointer: UnsafeMutableRawPointer(errorBuffer), target: target)
        try set(CURLOPT_NOSIGNAL, long: 1, target: target)
        try set(CURLOPT_TCP_NODELAY, long: 1, target: target)
        try set(CURLOPT_TCP_KEEPALIVE, long: 1, target: target)
        // "" = every encoding this libcurl was built with (gzip, deflate, br, zstd here).
        try set(CURLOPT_ACCEPT_ENCODING, string: "", target: target)
        try set(CURLOPT_TIMEOUT_MS, long: Self.milliseconds(options.timeout), target: target)
        try set(CURLOPT_CONNECTTIMEOUT_MS, long: Self.milliseconds(options.connectTimeout), target: target)
        try set(CURLOPT_USERAGENT, string: options.userAgent, target: target)
        if let caBundle = options.caBundle {
            try set(CURLOPT_CAINFO, string: caBundle, target: target)
        }
        if let proxy = options.proxy {
            // Unset, libcurl reads the proxy environment variables; "" turns proxies off.
            try set(CURLOPT_PROXY, string: proxy, target: target)
        }
        // Redirects are never followed here (CURLOPT_FOLLOWLOCATION stays off): libcurl would
        // carry every custom header — API keys, signatures — to whatever host the Location
        // names. A 3xx comes back as a response; the caller decides (docs/security.md). (So there
        // is no CURLOPT_REDIR_PROTOCOLS_STR either: it only limits redirects libcurl follows.)
        // Lets libcurl refuse early when Content-Length already says too much; the write
        // callback enforces the limit on the decoded bytes either way.
        if limit < Int.max {
            try check(dataflow_curl_setopt_off_t(handle, CURLOPT_MAXFILESIZE_LARGE, curl_off_t(max(0, limit))),
                      option: "MAXFILESIZE_LARGE", target: target)
        }

        let method = request.method
        switch (method, request.body) {
        case ("GET", nil):
            try set(CURLOPT_HTTPGET, long: 1, target: target)
        case ("HEAD", nil):
            try set(CURLOPT_NOBODY, long: 1, target: target)
        case (_, let body?):
            // POSTFIELDSIZE before COPYPOSTFIELDS so binary bodies with NUL bytes are copied whole.
            try check(dataflow_curl_setopt_off_t(handle, CURLOPT_POSTFIELDSIZE_LARGE, curl_off_t(body.count)),
                      option: "POSTFIELDSIZE_LARGE", target: target)
            try body.withUnsafeBufferPointer { bytes in
                // libcurl copies the bytes now; an empty body still needs a non-NULL pointer.
                let empty: CChar = 0
                try withUnsafePointer(to: empty) { emptyPointer in
                    let pointer = bytes.baseAddress.map { UnsafeMutableRawPointer(mutating: $0) }
                        ?? UnsafeMutableRawPointer(mutating: emptyPointer)
                    try set(CURLOPT_COPYPOSTFIELDS, pointer: pointer, target: target)
                }
            }
            if method != "POST" {
                try set(CURLOPT_CUSTOMREQUEST, string: method, target: target)
            }
        case (_, nil):
            try set(CURLOPT_CUSTOMREQUEST, string: method, target: target)
        }
    }

    private static func headerList(for request: HTTPRequest, target: String) throws -> UnsafeMutablePointer<curl_slist>? {
        var list: UnsafeMutablePointer<curl_slist>? = nil
        func append(_ line: String) throws {
            guard let next = curl_slist_append(list, line) else {
                curl_slist_free_all(list)
                throw TransportError(kind: .other, message: "out of memory building headers for \(target)")
            }
            list = next
        }
        var setsExpect = false
        for header in request.headers {
            if HTTPResponse.sameName(header.name, "Expect") { setsExpect = true }
            // "Name;" is libcurl's way to send a header with an empty value.
            try append(header.value.isEmpty ? "\(header.name);" : "\(header.name): \(header.value)")
        }
        // libcurl would send `Expect: 100-continue` for larger bodies and wait up to a second
        // for a 100 that many gateways never send.
        if !setsExpect { try append("Expect:") }
        return list
    }

    /// Opens (creating or truncating) a body file readable by its owner only (0600, whatever the
    /// umask): downloads hold raw personal data.
    private static func openBodyFile(_ path: String, target: String) throws -> FileHandle {
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard fd >= 0 else {
            throw TransportError(kind: .other, message: "\(target): cannot write the response body to \(path) (\(String(cString: strerror(errno))))")
        }
        // An existing file keeps its old mode through O_CREAT: set it.
        guard fchmod(fd, 0o600) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw TransportError(kind: .other, message: "\(target): cannot make \(path) private (\(reason))")
        }
        return FileHandle(fileDescriptor: fd, closeOnDealloc: true)
    }

    private static func validate(_ request: HTTPRequest, target: String) throws {
        let url = request.url
        let lower = url.prefix(8).lowercased()
        guard lower.hasPrefix("http://") || lower.hasPrefix("https://") else {
            throw TransportError(kind: .invalidURL, message: "not an absolute http(s) URL: \(target)")
        }
        if url.utf8.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            throw TransportError(kind: .invalidURL, message: "URL contains spaces or control characters (percent-encode them): \(target)")
        }
        guard !request.method.isEmpty, request.method.utf8.allSatisfy(Self.isTokenByte) else {
            throw TransportError(kind: .other, message: "invalid HTTP method for \(target)")
        }
        for header in request.headers {
            guard !header.name.isEmpty, header.name.utf8.allSatisfy(Self.isTokenByte) else {
                throw TransportError(kind: .other, message: "invalid header name '\(header.name)' for \(target)")
            }
            if header.value.utf8.contains(where: { $0 == 0x0D || $0 == 0x0A || $0 == 0 }) {
                throw TransportError(kind: .other, message: "header '\(header.name)' contains CR, LF or NUL for \(target)")
            }
        }
    }

    /// RFC 9110 `tchar`.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func milliseconds(_ seconds: Double) -> Int {
        guard seconds.isFinite, seconds > 0 else { return 0 }
        // Round up so a tiny positive timeout never becomes 0 (= no timeout).
        return Int(min((seconds * 1000).rounded(.up), Double(Int32.max)))
    }

    private func set(_ option: CURLoption, long value: Int, target: String) throws {
        try check(dataflow_curl_setopt_long(handle, option, value), option: "\(option.rawValue)", target: target)
    }

    private func set(_ option: CURLoption, string value: String, target: String) throws {
        // libcurl copies string options (since 7.17), so the temporary C string may go.
        try check(dataflow_curl_setopt_string(handle, option, value), option: "\(option.rawValue)", target: target)
    }

    private func set(_ option: CURLoption, pointer value: UnsafeMutableRawPointer?, target: String) throws {
        try check(dataflow_curl_setopt_pointer(handle, option, value), option: "\(option.rawValue)", target: target)
    }

    private func set(_ option: CURLoption, slist value: UnsafeMutablePointer<curl_slist>?, target: String) throws {
        try check(dataflow_curl_setopt_slist(handle, option, value), option: "\(option.rawValue)", target: target)
    }

    private func check(_ code: CURLcode, option: String, target: String) throws {
        guard code == CURLE_OK else {
            let text = String(cString: curl_easy_strerror(code))
            throw TransportError(kind: .other, message: "libcurl rejected option \(option) (\(text)) for \(target)", curlCode: Int(code.rawValue))
        }
    }
}

/// `curl_global_init` exactly once per process; a `static let` initialiser is thread-safe.
enum CurlGlobal {
    static let initResult: UInt32 = dataflow_curl_global_init_all().rawValue
}
