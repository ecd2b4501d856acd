import Foundation
import DataflowHTTP

/// What to request: a path on the source with parameters, or a next link from the gateway.
public enum PageTarget: Sendable, Equatable {
    case path(String, [Parameter])
    case url(String)

    /// One query parameter.
    public struct Parameter: Sendable, Equatable {
        public var name: String
        public var value: String
        public init(_ name: String, _ value: String) { self.name = name; self.value = value }
    }

    /// A path target from tuples.
    public static func path(_ path: String, params: [(String, String)]) -> PageTarget {
        .path(path, params.map { Parameter($0.0, $0.1) })
    }
}

/// One fetched page: its records, the decoded body and headers (for paginators), and timing.
public struct FetchedPage {
    public var records: [JSONValue]
    public var total: Int?
    public var requests: Int
    public var seconds: Double
    /// The JSON body (nil for NDJSON and CSV).
    public var body: JSONValue?
    public var headers: [HTTPHeader] = []
    /// The URL requested, without the authenticator's parameters (to resolve relative links).
    public var url: String = ""
    /// Records handed on by `fetchStreaming` (its page holds none itself).
    public var streamedRecords = 0
    /// The URL that finally answered when the request was redirected (nil: `url` answered). A
    /// walk never counts an answer from another origin towards a complete pass.
    public var finalURL: String?

    public init(records: [JSONValue], total: Int?, requests: Int, seconds: Double, body: JSONValue? = nil) {
        self.records = records
        self.total = total
        self.requests = requests
        self.seconds = seconds
        self.body = body
    }

    /// Values of a response header (repeated headers in order).
    public func headers(named name: String) -> [String] {
        HTTPResponse(status: 200, headers: headers).headers(named: name)
    }
}

/// Talks to one source: transport with retries, rate limit, signing, the envelope's actions and
/// the body format (JSON, NDJSON, CSV).
public final class SourceClient {
    public let source: SourceConfig
    let transport: HTTPTransport
    public let authenticator: Authenticator
    /// Knows the source's secrets and learns the tokens its authenticator obtains.
    public let redactor: Redactor
    let envelope: EnvelopeChecker
    let limiter: RateLimiter
    /// What this client shares with the other workers of its source (limiter, authenticator, quota).
    let shared: SourceShare?
    let sleep: (Double) -> Void
    /// Set once the gateway says the quota is used up; later calls fail at once (every
    /// worker of the source, when the client is shared through a `SourceShare`).
    public var quotaMessage: String? {
        get { shared?.quotaMessage ?? ownQuotaMessage }
        set { if let newValue { shared?.stopForQuota(newValue) }; ownQuotaMessage = newValue }
    }
    private var ownQuotaMessage: String?

    /// - Parameter shared: the rate limiter, authenticator and quota flag shared with the other
    ///   workers of this source (nil: this client has its own).
    public init(source: SourceConfig, redactor: Redactor, shared: SourceShare? = nil, onRetry: @escaping (RetryEvent) -> Void = { _ in },
                sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws {
        self.source = source
        self.shared = shared
        self.redactor = redactor
        transport = try Self.transport(for: source, onRetry: onRetry, sleep: sleep)
        authenticator = shared?.authenticator.handle()
            ?? source.auth.makeAuthenticator(AuthContext(source: source.name, baseURL: source.baseURL, transport: transport, redactor: redactor))
        envelope = EnvelopeChecker(source.envelope)
        limiter = shared?.limiter ?? RateLimiter(perSecond: source.rateLimit)
        self.sleep = sleep
    }

    /// A source's transport: libcurl with its timeouts, CA bundle and proxy, behind its retry policy.
    static func transport(for source: SourceConfig, onRetry: @escaping (RetryEvent) -> Void,
                          sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws -> HTTPTransport {
        var options = TransportOptions()
        options.timeout = source.timeout
        options.connectTimeout = min(10, source.timeout)
        options.caBundle = source.caBundle
        options.proxy = source.proxy
        let base = try CurlTransport(options: options)
        let policy = RetryPolicy(maxRetries: source.retries, baseDelay: source.retryBackoff, maxDelay: max(source.retryBackoff, 30))
        return RetryingTransport(base: base, policy: policy, sleep: sleep, onRetry: onRetry)
    }


    /// Fetches `path` with `params` as JSON (kept for callers that know only the path).
    public func fetch(path: String, params: [(String, String)], recordsPath: [String], totalPath: [String]?) throws -> FetchedPage {
        try fetch(.path(path, params: params), request: RequestConfig(path: path, params: [], records: recordsPath, pagination: .none), totalPath: totalPath)
    }

    /// Fetches one page, handling the envelope's error actions, and selects its records.
    public func fetch(_ target: PageTarget, request: RequestConfig, totalPath: [String]?) throws -> FetchedPage {
        if let quotaMessage { throw QuotaExceeded(source: source.name, message: quotaMessage) }
        let started = Date()
        let (urlBase, params): (String, [(String, String)])
        switch target {
        case .path(let path, let p): (urlBase, params) = (source.baseURL + path, p.map { ($0.name, $0.value) })
        case .url(let url): (urlBase, params) = URLResolver.split(url)
        }
        let origin = URLResolver.origin(of: urlBase)
        let path = String(urlBase.dropFirst(origin.count))
        let plainURL = urlBase + (params.isEmpty ? "" : "?" + QueryString.build(params))
        var requests = 0
        var envelopeRetries = 0, signRetries = 0, refreshRetries = 0, bodyRetries = 0
        var renewedOn401 = false
        while true {
            var outgoing = OutgoingRequest(method: "GET", path: path, query: params,
                                           headers: source.headers.map { HTTPHeader(name: $0.0, value: $0.1) })
            limiter.wait()
            try authenticator.authorize(&outgoing)
            let url = urlBase + (outgoing.query.isEmpty ? "" : "?" + QueryString.build(outgoing.query))
            let response = try transport.send(HTTPRequest(url: url, headers: outgoing.headers))
            requests += 1
            if response.status == 401, authenticator.renewsOnUnauthorized, !renewedOn401 {
                renewedOn401 = true
                try authenticator.refresh()
                continue
            }
            if response.status == 401 || response.status == 403 {
                throw GatewayError(source: source.name, path: path, code: nil,
                                   message: "HTTP \(response.status) (not authorized): \(ResponseText.snippet(response.body))"
                                       + (authenticator.refusalHint(for: outgoing).map { "; \($0)" } ?? ""))
            }
            guard (200..<300).contains(response.status) else {
                throw GatewayError(source: source.name, path: path, code: nil,
                                   message: "HTTP \(response.status) after \(source.retries) retries: \(ResponseText.snippet(response.body))")
            }
            var page: FetchedPage
            switch request.format {
            case .ndjson, .csv:
                let records: [JSONValue]
                do {
                    records = try decodeRecords(response.body, request: request)
                } catch {
                    if bodyRetries < source.retries, !(error is TextDecoding.DecodeError) {
                        bodyRetries += 1
                        sleep(backoff(bodyRetries))
                        continue
                    }
                    throw GatewayError(source: source.name, path: path, code: nil, message: "response is not valid \(request.format.rawValue.uppercased()) (\(error))")
                }
                page = FetchedPage(records: records, total: nil, requests: requests, seconds: 0)
            case .json:
                let body: JSONValue
                do {
                    body = try JSONParser.parse(response.body)
                } catch {
                    // A body cut short in transit parses as broken JSON: fetch it again.
                    if bodyRetries < source.retries {
                        bodyRetries += 1
                        sleep(backoff(bodyRetries))
                        continue
                    }
                    throw GatewayError(source: source.name, path: path, code: nil,
                                       message: "response is not valid JSON (\(error)): \(ResponseText.snippet(response.body))")
                }
                switch envelope.check(body) {
                case .success:
                    let records = try select(body, request: request, path: path, raw: response.body)
                    let total = totalPath.flatMap { body.value(at: $0)?.text }.flatMap { Int($0) }
                    page = FetchedPage(records: records, total: total, requests: requests, seconds: 0, body: body)
                case .failure(let code, let message, let action):
                    switch action {
                    case .resign where signRetries < 2:
                        signRetries += 1
                        if signRetries == 2 { authenticator.invalidate() }
                    case .refreshToken where refreshRetries < 3:
                        refreshRetries += 1
                        try authenticator.refresh()
                    case .retry where envelopeRetries < source.retries:
                        envelopeRetries += 1
                        sleep(backoff(envelopeRetries))
                    case .quota:
                        quotaMessage = "code \(code): \(message)"
                        throw QuotaExceeded(source: source.name, message: "code \(code): \(message)")
                    default:
                        throw GatewayError(source: source.name, path: path, code: code, message: message)
                    }
                    continue
                }
            }
            if let member = request.flatten { page.records = page.records.map { Self.flatten($0, member: member) } }
            page.headers = response.headers
            page.url = plainURL
            page.seconds = Date().timeIntervalSince(started)
            return page
        }
    }

    /// Downloads an NDJSON or CSV response to a temporary file and hands its records on in
    /// batches of `batch` (bounded memory whatever the size); the returned page has the headers
    /// and counts but no records. The file is removed afterwards.
    public func fetchStreaming(_ target: PageTarget, request: RequestConfig, batch: Int,
                               onRecords: ([JSONValue]) throws -> Void) throws -> FetchedPage {
        if let quotaMessage { throw QuotaExceeded(source: source.name, message: quotaMessage) }
        let started = Date()
        let (urlBase, params): (String, [(String, String)])
        switch target {
        case .path(let path, let p): (urlBase, params) = (source.baseURL + path, p.map { ($0.name, $0.value) })
        case .url(let url): (urlBase, params) = URLResolver.split(url)
        }
        let path = String(urlBase.dropFirst(URLResolver.origin(of: urlBase).count))
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("dataflow-download-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: file) }
        var requests = 0
        var renewedOn401 = false
        while true {
            var outgoing = OutgoingRequest(method: "GET", path: path, query: params,
                                           headers: source.headers.map { HTTPHeader(name: $0.0, value: $0.1) })
            limiter.wait()
            try authenticator.authorize(&outgoing)
            let url = urlBase + (outgoing.query.isEmpty ? "" : "?" + QueryString.build(outgoing.query))
            let response = try transport.send(HTTPRequest(url: url, headers: outgoing.headers, bodyFile: file))
            requests += 1
            if response.status == 401, authenticator.renewsOnUnauthorized, !renewedOn401 {
                renewedOn401 = true
                try authenticator.refresh()
                continue
            }
            guard (200..<300).contains(response.status) else {
                let body = (try? Data(contentsOf: URL(fileURLWithPath: file)).prefix(1200)).map { [UInt8]($0) } ?? []
                let what = response.status == 401 || response.status == 403 ? "(not authorized)" : "after \(source.retries) retries"
                let hint = response.status == 401 || response.status == 403 ? authenticator.refusalHint(for: outgoing).map { "; \($0)" } ?? "" : ""
                throw GatewayError(source: source.name, path: path, code: nil, message: "HTTP \(response.status) \(what): \(ResponseText.snippet(body))\(hint)")
            }
            let count: Int
            do {
                count = try RecordFileReader.read(path: file, format: request.format, encoding: request.encoding, batch: batch) { records in
                    try onRecords(request.flatten.map { member in records.map { Self.flatten($0, member: member) } } ?? records)
                }
            } catch let error as CSVReader.SyntaxError {
                throw GatewayError(source: source.name, path: path, code: nil, message: "response is not valid CSV (\(error))")
            } catch let error as TextDecoding.DecodeError {
                throw GatewayError(source: source.name, path: path, code: nil, message: "response is not valid \(request.format.rawValue.uppercased()) (\(error))")
            }
            var page = FetchedPage(records: [], total: nil, requests: requests, seconds: Date().timeIntervalSince(started))
            page.headers = response.headers
            page.url = urlBase + (params.isEmpty ? "" : "?" + QueryString.build(params))
            page.streamedRecords = count
            return page
        }
    }

    private func select(_ body: JSONValue, request: RequestConfig, path: String, raw: [UInt8]) throws -> [JSONValue] {
        let recordsPath = request.records
        guard let list = recordsPath.isEmpty ? body : body.value(at: recordsPath) else {
            throw GatewayError(source: source.name, path: path, code: nil,
                               message: "no records at '\(recordsPath.joined(separator: "."))' in the response: \(ResponseText.snippet(raw))")
        }
        switch list {
        case .array(let items): return items
        case .null: return []
        default:
            let name = recordsPath.isEmpty ? "the response body" : "'\(recordsPath.joined(separator: "."))'"
            throw GatewayError(source: source.name, path: path, code: nil,
                               message: "\(name) is a JSON \(list.kindName), expected a list of records")
        }
    }

    private func decodeRecords(_ bytes: [UInt8], request: RequestConfig) throws -> [JSONValue] {
        switch request.format {
        case .ndjson: return try JSONParser.parseLines(bytes)
        case .csv: return try CSVReader.records(try TextDecoding.utf8(bytes, encoding: request.encoding))
        case .json: return []
        }
    }

    /// `{"attributes": {...}, "geometry": {...}}` → the attributes' members, then other scalar members.
    static func flatten(_ record: JSONValue, member: String) -> JSONValue {
        guard case .object(let o) = record, case .object(let inner)? = o[member] else { return record }
        var members = inner.members
        for m in o.members where m.key != member && inner[m.key] == nil {
            if case .object = m.value { continue }
            members.append(m)
        }
        return .object(JSONObject(members))
    }

    private func backoff(_ attempt: Int) -> Double {
        min(30, source.retryBackoff * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1)
    }
}
