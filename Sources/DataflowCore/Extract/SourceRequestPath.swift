import Foundation
import DataflowHTTP

/// The one path every request of a source takes: one retry loop around one redirect loop, over an
/// injected transport.
///
/// - **Credentials stay with their origin.** Each hop is prepared for its own URL: on the
///   source's origin (`base_url`, an OAuth `token_url`) it is signed afresh (a signature covers
///   the path and query, so a redirected request must be re-signed); on a `follow_hosts:` host it
///   carries no credential at all — no authenticator output, none of the source's `headers:`,
///   no body; any other host is refused before anything is sent (``ForeignOriginRefused``).
/// - **Redirects** (301, 302, 303, 307, 308) are followed here, at most ``maxRedirects`` hops;
///   the transport never follows them itself.
/// - **Retries**: transport faults, 429/5xx, truncated bodies and the envelope's `retry` code all
///   go through one ``RetryLoop``, and each retry is reported with its cause.
///
/// Authenticators get this path as their `HTTPTransport` for token requests (``send(_:)``), so
/// those follow the same rules.
///
/// ```swift
/// let path = SourceRequestPath(source: source, transport: try CurlTransport(), retries: loop, limiter: RateLimiter(perSecond: 5))
/// let response = try path.send(HTTPRequest(method: "POST", url: tokenURL, body: form))
/// ```
public final class SourceRequestPath: HTTPTransport {
    /// Hops followed before a chain of redirects is an error.
    public static let maxRedirects = 5

    let source: SourceConfig
    let transport: HTTPTransport
    let retries: RetryLoop
    let origins: OriginPolicy
    let limiter: RateLimiter

    /// - Parameter limiter: spaces the source's requests (shared by its workers).
    public init(source: SourceConfig, transport: HTTPTransport, retries: RetryLoop, limiter: RateLimiter) {
        self.source = source
        self.transport = transport
        self.retries = retries
        self.limiter = limiter
        origins = OriginPolicy(source: source)
    }

    /// Where an exchange ended: the URL that answered (without credentials), and the request as
    /// signed for it (nil when the hop went to a `follow_hosts:` host, unsigned).
    struct Landing {
        var url: String
        var signed: OutgoingRequest?
    }

    /// What the caller made of a response.
    enum Step<T> {
        /// The answer.
        case done(T)
        /// Send the request again from its first URL, now (renewed credentials; no backoff).
        case again
    }

    /// One request as it starts: URL without query, its parameters, and how it is prepared.
    struct Start {
        var base: String
        var query: [(String, String)]
        var method = "GET"
        var body: [UInt8]? = nil
        var headers: [HTTPHeader] = []
        /// Adds credentials for the source's own origin (nil: the request already carries its own).
        var sign: ((inout OutgoingRequest) throws -> Void)? = nil
        /// The target came from a next link (a refusal then says so).
        var fromLink = false
        var bodyFile: String? = nil
        var maxBodyBytes: Int? = nil

        /// The first URL without credentials.
        var plainURL: String { base + (query.isEmpty ? "" : "?" + QueryString.build(query)) }
    }

    /// A request libcurl sent again by itself (a reused connection died before any answer) reached
    /// the gateway too: it counts, and takes its slot of the rate limit after the fact.
    private func countResent(_ requests: Int, _ sent: inout Int) {
        guard requests > 1 else { return }
        sent += requests - 1
        limiter.charge(requests - 1)
    }

    /// Sends `start`, following redirects and retrying through the one loop; `interpret` turns
    /// each final (non-redirect) response into the answer, asks to send again, or throws — a
    /// ``RetryableFailure`` to be retried with backoff. `sent` counts every request sent: redirect
    /// hops, re-signed sends and attempts the transport lost (a dropped connection, a timeout) too.
    /// `work` runs while the first request that goes out is answered, where the transport can
    /// (``WaitingWork``); the caller runs it otherwise.
    /// `abandoned` ends the retries early (``RetryLoop/run(giveUpIf:_:)``) and a request the
    /// transport is still waiting for (a ``TransportError`` of kind `abandoned`).
    func exchange<T>(_ start: Start, sent: inout Int, whileWaiting work: WaitingWork? = nil, giveUpIf abandoned: (() -> Bool)? = nil,
                     interpret: (HTTPResponse, Landing) throws -> Step<T>) throws -> T {
        try retries.run(giveUpIf: abandoned) {
            var base = start.base, query = start.query
            var method = start.method, body = start.body
            var hops = 0
            var redirectStatus: Int?
            while true {
                let verdict = origins.classify(base)
                if case .refused(let host) = verdict {
                    throw ForeignOriginRefused(source: source.name, path: Self.path(of: start.base), host: host,
                                               via: redirectStatus.map { .redirect(status: $0) } ?? .nextLink,
                                               own: origins.own.first?.description ?? URLRedaction.redact(source.baseURL))
                }
                var headers: [HTTPHeader] = []
                var signed: OutgoingRequest?
                var sentQuery = query
                var sentBody: [UInt8]? = nil
                // Wait before signing, so a signature's timestamp is fresh when it is sent. Work
                // waiting for this request's answer runs in the rate limit's wait, if there is one.
                // A slot that went by while signing waited (another worker renewing the source's
                // token) or while that work ran is given up for a new one: the source's workers
                // would otherwise all send at once when the renewal ends, over `rate_limit`.
                var tries = 0
                repeat {
                    tries += 1
                    guard let slot = limiter.wait(meanwhile: { work?.runOnce() }, giveUpIf: abandoned) else {
                        throw TransportError(kind: .abandoned, message: "\(Self.path(of: start.base)): given up waiting for a rate-limit slot, the answer is no longer wanted")
                    }
                    if case .own = verdict {
                        var outgoing = OutgoingRequest(method: method, path: Self.path(of: base), query: query, headers: start.headers)
                        try start.sign?(&outgoing)
                        signed = outgoing
                        headers = outgoing.headers
                        sentQuery = outgoing.query
                        sentBody = body
                    }
                    // (Eight late slots in a row would mean signing itself is slower than the limit; then it goes.)
                    if !limiter.isLate(slot) || tries == 8 { break }
                } while true
                let url = base + (sentQuery.isEmpty ? "" : "?" + QueryString.build(sentQuery))
                let response: HTTPResponse
                sent += 1
                do {
                    let request = HTTPRequest(method: method, url: url, headers: headers, body: sentBody,
                                              bodyFile: start.bodyFile, maxBodyBytes: start.maxBodyBytes)
                    response = try transport.send(request, whileWaiting: work?.hasRun == false ? work : nil, abandonIf: abandoned)
                    countResent(response.requestsSent, &sent)
                } catch let error as TransportError {
                    countResent(error.requestsSent, &sent)
                    if error.isRetryable { throw RetryableFailure(error) }
                    throw error
                }
                if Self.isRedirect(response.status), let location = response.header("Location"), !location.isEmpty {
                    hops += 1
                    guard hops <= Self.maxRedirects else {
                        throw GatewayError(source: source.name, path: Self.path(of: start.base), code: nil,
                                           message: "more than \(Self.maxRedirects) redirects in a row; stopped")
                    }
                    (base, query) = URLResolver.split(URLResolver.resolve(location, against: base))
                    redirectStatus = response.status
                    // 301/302/303 turn a POST into a GET without its body (as browsers and
                    // libcurl do); 307/308 keep both.
                    if response.status != 307 && response.status != 308 && method != "HEAD" { method = "GET"; body = nil }
                    continue
                }
                let landing = Landing(url: base + (query.isEmpty ? "" : "?" + QueryString.build(query)), signed: signed)
                switch try interpret(response, landing) {
                case .done(let value):
                    return value
                case .again:
                    (base, query, method, body, hops, redirectStatus) = (start.base, start.query, start.method, start.body, 0, nil)
                }
            }
        }
    }

    /// A retryable status that is still the answer once the retries are used up.
    private struct LastResponse: Error { var response: HTTPResponse }

    /// Token and other auxiliary requests of the authenticators: sent with the headers and body
    /// they carry and the source's `headers:` (every request of the source carries those; a
    /// gateway that wants `X-Region` or its API-gateway key on every call refused a sign-in
    /// without them), no further signing, same rules for redirects and hosts (a `follow_hosts:`
    /// hop gets none of them), retried on faults, 429 and 5xx; any other status is returned for
    /// the caller to judge.
    public func send(_ request: HTTPRequest) throws -> HTTPResponse {
        let (base, query) = URLResolver.split(request.url)
        // Only to the gateway itself: an OAuth `token_url` on an identity provider's host gets none.
        let named = Set(request.headers.map { $0.name.lowercased() })
        let toGateway = URLResolver.origin(of: request.url).lowercased() == URLResolver.origin(of: source.baseURL).lowercased()
        let headers = request.headers + (toGateway ? source.headers : []).filter { !named.contains($0.0.lowercased()) }.map { HTTPHeader(name: $0.0, value: $0.1) }
        let start = Start(base: base, query: query, method: request.method, body: request.body, headers: headers,
                          bodyFile: request.bodyFile, maxBodyBytes: request.maxBodyBytes)
        var sent = 0
        do {
            return try exchange(start, sent: &sent) { response, _ in
                if RetryPolicy.isRetryable(status: response.status) {
                    throw RetryableFailure(status: response, exhausted: LastResponse(response: response))
                }
                return .done(response)
            }
        } catch let last as LastResponse {
            return last.response
        }
    }

    static func isRedirect(_ status: Int) -> Bool { [301, 302, 303, 307, 308].contains(status) }

    /// The path of an absolute URL without its query (`/gateway/api/x.htm`), for messages and signing.
    static func path(of url: String) -> String {
        let base = URLResolver.split(url).base
        return String(URLResolver.afterAuthority(base))
    }
}
