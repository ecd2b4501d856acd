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

/// Talks to one source: the one request path (origins, redirects, retries, rate limit), signing,
/// the envelope's actions and the body format (JSON, NDJSON, CSV).
///
/// The transport is injected (a `CurlTransport` with the source's timeout, CA bundle and proxy
/// by default), so envelope, quota and 401 handling can be tested against any server.
///
/// ```swift
/// let client = try SourceClient(source: source, redactor: Redactor(project: project), downloads: DownloadFolder(project: project),
///                               onRetry: { print("retry \($0.attempt) (\($0.cause)): \($0.reason)") })
/// let page = try client.fetch(.path("/api/licenses", params: [("pageNum", "1")]), request: dataset.request, totalPath: ["datas", "total"])
/// ```
public final class SourceClient {
    public let source: SourceConfig
    /// The one request path; authenticators send their token requests through it too.
    let requests: SourceRequestPath
    public let authenticator: Authenticator
    /// Knows the source's secrets and learns the tokens its authenticator obtains.
    public let redactor: Redactor
    let envelope: EnvelopeChecker
    let downloads: DownloadFolder
    /// What this client shares with the other workers of its source (limiter, authenticator, quota).
    let shared: SourceShare?
    /// Set once the gateway says the quota is used up; later calls fail at once (every
    /// worker of the source, when the client is shared through a `SourceShare`).
    public var quotaMessage: String? {
        get { shared?.quotaMessage ?? ownQuotaMessage }
        set { if let newValue { shared?.stopForQuota(newValue) }; ownQuotaMessage = newValue }
    }
    private var ownQuotaMessage: String?
    /// Requests sent for records (`fetch`, `fetchStreaming`) by this client so far, answered or not:
    /// retries, re-signed sends and redirect hops included, token requests not. A failed fetch's
    /// requests count too, so a dataset that fails still reports what it asked the gateway.
    public private(set) var requestsSent = 0

    /// - Parameters:
    ///   - redactor: told every token the authenticator obtains.
    ///   - downloads: where streamed NDJSON/CSV downloads are written while they are read.
    ///   - shared: the rate limiter, authenticator and quota flag shared with the other
    ///     workers of this source (nil: this client has its own).
    ///   - transport: sends each single request (no retries, no redirects); `nil` builds a
    ///     `CurlTransport` from the source's `timeout`, `ca_bundle` and `proxy`.
    ///   - onRetry: told about every retry, with its cause, before the wait.
    ///   - sleep: waits between retries; inject a recorder in tests.
    public init(source: SourceConfig, redactor: Redactor, downloads: DownloadFolder, shared: SourceShare? = nil, transport: HTTPTransport? = nil,
                onRetry: @escaping (RetryEvent) -> Void = { _ in },
                sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws {
        self.source = source
        self.downloads = downloads
        self.shared = shared
        self.redactor = redactor
        requests = try Self.transport(for: source, base: transport, limiter: shared?.limiter, onRetry: onRetry, sleep: sleep)
        authenticator = shared?.authenticator.handle()
            ?? source.auth.makeAuthenticator(AuthContext(source: source.name, baseURL: source.baseURL, transport: requests, redactor: redactor))
        envelope = EnvelopeChecker(source.envelope)
    }

    /// A source's request path: `base` (default: libcurl with the source's timeouts, CA bundle
    /// and proxy) behind its origin rules, redirects and retry policy.
    static func transport(for source: SourceConfig, base: HTTPTransport? = nil, limiter: RateLimiter? = nil,
                          onRetry: @escaping (RetryEvent) -> Void,
                          sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws -> SourceRequestPath {
        let base = try base ?? CurlTransport(options: SourceClient.transportOptions(for: source))
        let policy = RetryPolicy(maxRetries: source.retries, baseDelay: source.retryBackoff, maxDelay: max(source.retryBackoff, 30))
        return SourceRequestPath(source: source, transport: base, retries: RetryLoop(policy: policy, sleep: sleep, onRetry: onRetry),
                                 limiter: limiter ?? RateLimiter(perSecond: source.rateLimit))
    }

    /// The libcurl settings of a source.
    public static func transportOptions(for source: SourceConfig) -> TransportOptions {
        var options = TransportOptions()
        options.timeout = source.timeout
        options.connectTimeout = min(10, source.timeout)
        options.caBundle = source.caBundle
        options.proxy = source.proxy
        return options
    }


    /// The first URL of a target, split for signing: a path on `base_url`, or a next link (whose
    /// host must be the source's own or a `follow_hosts:` one).
    private func start(_ target: PageTarget) -> SourceRequestPath.Start {
        let authenticator = self.authenticator
        var start: SourceRequestPath.Start
        switch target {
        case .path(let path, let params):
            start = .init(base: source.baseURL + path, query: params.map { ($0.name, $0.value) })
        case .url(let url):
            let (base, query) = URLResolver.split(url)
            start = .init(base: base, query: query)
            start.fromLink = true
        }
        start.headers = source.headers.map { HTTPHeader(name: $0.0, value: $0.1) }
        start.sign = { try authenticator.authorize(&$0) }
        return start
    }

    /// What every page answer goes through first: a 401 renews a renewable credential once, other
    /// refusals and failures throw, 429 and 5xx are retried. Returns `.again` to re-send, nil to go on.
    private func checkStatus(_ response: HTTPResponse, path: String, landing: SourceRequestPath.Landing, renewedOn401: inout Bool,
                             body: () -> [UInt8]) throws -> SourceRequestPath.Step<FetchedPage>? {
        if response.status == 401, authenticator.renewsOnUnauthorized, !renewedOn401 {
            renewedOn401 = true
            try authenticator.refresh()
            return .again
        }
        if response.status == 401 || response.status == 403 {
            throw GatewayError(source: source.name, path: path, code: nil,
                               message: "HTTP \(response.status) (not authorized): \(ResponseText.snippet(body(), redactor: redactor))"
                                   + (landing.signed.flatMap { authenticator.refusalHint(for: $0) }.map { "; \($0)" } ?? ""))
        }
        if RetryPolicy.isRetryable(status: response.status) {
            throw RetryableFailure(status: response, exhausted: GatewayError(
                source: source.name, path: path, code: nil,
                message: "HTTP \(response.status) after \(source.retries) retries: \(ResponseText.snippet(body(), redactor: redactor))"))
        }
        guard (200..<300).contains(response.status) else {
            let redirect = SourceRequestPath.isRedirect(response.status) ? " (a redirect without a Location)" : ""
            throw GatewayError(source: source.name, path: path, code: nil,
                               message: "HTTP \(response.status)\(redirect): \(ResponseText.snippet(body(), redactor: redactor))")
        }
        return nil
    }

    /// Fetches one page, handling the envelope's error actions, and selects its records.
    ///
    /// `work` runs while the gateway answers (``WaitingWork``): once the request is out, or, where
    /// the transport cannot, before this returns or throws. It has always run by then.
    /// `giveUpIf` ends the retries early, for a page the walk may no longer want (`PageFan`).
    public func fetch(_ target: PageTarget, request: RequestConfig, totalPath: [String]?, whileWaiting work: WaitingWork? = nil,
                      giveUpIf abandoned: (() -> Bool)? = nil) throws -> FetchedPage {
        defer { work?.runOnce() }
        if let quotaMessage { throw QuotaExceeded(source: source.name, message: quotaMessage) }
        let started = Date()
        let first = start(target)
        let path = SourceRequestPath.path(of: first.base)
        var requests = 0
        defer { requestsSent += requests }
        var signRetries = 0, refreshRetries = 0
        var renewedOn401 = false
        var page = try self.requests.exchange(first, sent: &requests, whileWaiting: work, giveUpIf: abandoned) { response, landing -> SourceRequestPath.Step<FetchedPage> in
            if let step = try checkStatus(response, path: path, landing: landing, renewedOn401: &renewedOn401, body: { response.body }) { return step }
            var page: FetchedPage
            switch request.format {
            case .ndjson, .csv:
                do {
                    page = FetchedPage(records: try decodeRecords(response.body, request: request), total: nil, requests: 0, seconds: 0)
                } catch let error as TextDecoding.DecodeError {
                    throw GatewayError(source: source.name, path: path, code: nil, message: "response is not valid \(request.format.rawValue.uppercased()) (\(error))")
                } catch {
                    // A body cut short in transit reads as a broken record: fetch it again.
                    throw Self.malformed(error, cause: error is TruncatedBody ? "truncated" : "malformed-body", what: request.format.rawValue.uppercased(),
                                         exhausted: GatewayError(source: source.name, path: path, code: nil,
                                                                 message: "response is not valid \(request.format.rawValue.uppercased()) (\(error))"))
                }
            case .json:
                let body: JSONValue
                do {
                    body = try JSONParser.parse(response.body)
                } catch {
                    throw Self.malformed(error, cause: "malformed-body", what: "JSON", exhausted: GatewayError(
                        source: source.name, path: path, code: nil,
                        message: "response is not valid JSON (\(error)): \(ResponseText.snippet(response.body, redactor: redactor))"))
                }
                switch envelope.check(body) {
                case .success:
                    let records = try select(body, request: request, path: path, raw: response.body)
                    let total = try totalPath.flatMap { try Self.total(in: body, at: $0, source: source.name, path: path) }
                    page = FetchedPage(records: records, total: total, requests: 0, seconds: 0, body: body)
                case .failure(let code, let gatewayMessage, let action):
                    // The gateway's own words, which may quote the record it refused.
                    let message = PIIText.masked(redactor.redact(gatewayMessage))
                    switch action {
                    case .resign where signRetries < 2:
                        signRetries += 1
                        if signRetries == 2 { authenticator.invalidate() }
                        return .again
                    case .refreshToken where refreshRetries < 3:
                        refreshRetries += 1
                        try authenticator.refresh()
                        return .again
                    case .retry:
                        throw RetryableFailure(cause: "envelope-retry", reason: "gateway code \(code): \(message)",
                                               exhausted: GatewayError(source: source.name, path: path, code: code, message: message))
                    case .quota:
                        quotaMessage = "code \(code): \(message)"
                        throw QuotaExceeded(source: source.name, message: "code \(code): \(message)")
                    default:
                        throw GatewayError(source: source.name, path: path, code: code, message: message)
                    }
                }
            }
            page.headers = response.headers
            page.url = first.plainURL
            page.finalURL = landing.url == first.plainURL ? nil : landing.url
            return .done(page)
        }
        if let member = request.flatten { page.records = page.records.map { Self.flatten($0, member: member) } }
        page.requests = requests
        page.seconds = Date().timeIntervalSince(started)
        return page
    }

    /// A body that did not parse, as a retryable failure with its cause.
    private static func malformed(_ error: Error, cause: String, what: String, exhausted: GatewayError) -> RetryableFailure {
        RetryableFailure(cause: cause, reason: "\(cause == "truncated" ? "truncated body" : "response is not valid \(what)"): \(error)", exhausted: exhausted)
    }

    /// Downloads an NDJSON or CSV response to a private file (``DownloadFolder``, at most the
    /// source's `max_download` bytes) and hands its records on in batches of `batch` (bounded
    /// memory whatever the size); the returned page has the headers and counts but no records.
    /// A body that ends inside a record is fetched again like any transport fault; the reader
    /// checks the file's end before it hands any record on (`RecordFileReader`), so nothing is
    /// handed on twice. The file is removed afterwards, whatever happens.
    public func fetchStreaming(_ target: PageTarget, request: RequestConfig, batch: Int,
                               onRecords: ([JSONValue]) throws -> Void) throws -> FetchedPage {
        if let quotaMessage { throw QuotaExceeded(source: source.name, message: quotaMessage) }
        let started = Date()
        try downloads.ensure()
        let file = downloads.newFile()
        defer { try? FileManager.default.removeItem(atPath: file) }
        var first = start(target)
        first.bodyFile = file
        first.maxBodyBytes = source.maxDownload
        let path = SourceRequestPath.path(of: first.base)
        var requests = 0
        defer { requestsSent += requests }
        var renewedOn401 = false
        let what = request.format.rawValue.uppercased()
        do {
            var page = try self.requests.exchange(first, sent: &requests) { response, landing -> SourceRequestPath.Step<FetchedPage> in
                let body = { (try? FileHandle(forReadingFrom: URL(fileURLWithPath: file)).read(upToCount: 1200)).flatMap { $0 }.map { [UInt8]($0) } ?? [] }
                if let step = try checkStatus(response, path: path, landing: landing, renewedOn401: &renewedOn401, body: body) { return step }
                let count: Int
                do {
                    count = try RecordFileReader.read(path: file, format: request.format, encoding: request.encoding, batch: batch) { records in
                        try onRecords(request.flatten.map { member in records.map { Self.flatten($0, member: member) } } ?? records)
                    }
                } catch let error as TruncatedBody {
                    throw Self.malformed(error, cause: "truncated", what: what, exhausted: GatewayError(
                        source: source.name, path: path, code: nil, message: "response is not valid \(what): \(error), also after \(source.retries) retries"))
                } catch let error as CSVReader.SyntaxError {
                    throw GatewayError(source: source.name, path: path, code: nil, message: "response is not valid CSV (\(error))")
                } catch let error as TextDecoding.DecodeError {
                    throw GatewayError(source: source.name, path: path, code: nil, message: "response is not valid \(what) (\(error))")
                }
                var page = FetchedPage(records: [], total: nil, requests: 0, seconds: Date().timeIntervalSince(started))
                page.headers = response.headers
                page.url = first.plainURL
                page.finalURL = landing.url == first.plainURL ? nil : landing.url
                page.streamedRecords = count
                return .done(page)
            }
            page.requests = requests
            return page
        } catch let error as TransportError where error.kind == .tooLarge {
            throw GatewayError(source: source.name, path: path, code: nil,
                               message: "the download passed max_download (\(source.maxDownload) bytes) and was stopped; the partial file was removed. "
                                   + "If this dataset is really that large, raise max_download for source '\(source.name)' in dataflow.yml")
        }
    }

    /// The total a page reports at `totalPath`. No member there (or `null`) is no total; a whole
    /// number, also written as a string, with spaces around it or a zero fraction (`2000`,
    /// `" 2000"`, `2000.0`), is the total. Anything else is an error: a total that is configured but
    /// cannot be read would leave the pass without the check that lets it tombstone (docs/sync.md,
    /// "What complete means").
    static func total(in body: JSONValue, at totalPath: [String], source: String, path: String) throws -> Int? {
        guard let value = body.value(at: totalPath), !value.isNull else { return nil }
        let text = value.text ?? ""
        var digits = Substring(text.trimmingWhitespace)
        if let dot = digits.firstIndex(of: "."), digits[digits.index(after: dot)...].allSatisfy({ $0 == "0" }) { digits = digits[..<dot] }
        if !digits.isEmpty, digits.utf8.allSatisfy({ (0x30...0x39).contains($0) }), let total = Int(digits) { return total }
        let shown = value.text.map { "'\($0.prefix(40))'" } ?? "a JSON \(value.kindName)"
        throw GatewayError(source: source, path: path, code: nil,
                           message: "the total at '\(totalPath.joined(separator: "."))' is \(shown), not a whole number of records; the pass cannot be checked against it, so nothing was stored from this page (check request.pagination.total)")
    }

    private func select(_ body: JSONValue, request: RequestConfig, path: String, raw: [UInt8]) throws -> [JSONValue] {
        let recordsPath = request.records
        guard let list = recordsPath.isEmpty ? body : body.value(at: recordsPath) else {
            throw GatewayError(source: source.name, path: path, code: nil,
                               message: "no records at '\(recordsPath.joined(separator: "."))' in the response: \(ResponseText.snippet(raw, redactor: redactor))")
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
        var object = JSONObject(members)
        object.duplicateKeys = inner.duplicateKeys  // a repeated attribute still quarantines its record
        return .object(object)
    }
}
