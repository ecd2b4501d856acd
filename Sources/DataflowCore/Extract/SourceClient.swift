import Foundation
import DataflowHTTP

/// One fetched page: the decoded body and its records.
public struct FetchedPage {
    public var records: [JSONValue]
    public var total: Int?
    public var requests: Int
    public var seconds: Double
}

/// Talks to one source: transport with retries, rate limit, signing and the envelope's actions.
public final class SourceClient {
    public let source: SourceConfig
    let transport: HTTPTransport
    let authenticator: Authenticator
    let envelope: EnvelopeChecker
    let limiter: RateLimiter
    let sleep: (Double) -> Void
    /// Set once the gateway says the quota is used up; later calls fail at once.
    public private(set) var quotaMessage: String?

    public init(source: SourceConfig, onRetry: @escaping (RetryEvent) -> Void = { _ in },
                sleep: @escaping (Double) -> Void = { Thread.sleep(forTimeInterval: $0) }) throws {
        self.source = source
        var options = TransportOptions()
        options.timeout = source.timeout
        options.connectTimeout = min(10, source.timeout)
        options.caBundle = source.caBundle
        let base = try CurlTransport(options: options)
        let policy = RetryPolicy(maxRetries: source.retries, baseDelay: source.retryBackoff, maxDelay: max(source.retryBackoff, 30))
        transport = RetryingTransport(base: base, policy: policy, sleep: sleep, onRetry: onRetry)
        switch source.auth {
        case .none: authenticator = NoAuthenticator()
        case .zjIRS(let config):
            authenticator = ZJIRSAuthenticator(config: config, source: source.name, baseURL: source.baseURL, transport: transport)
        }
        envelope = EnvelopeChecker(source.envelope)
        limiter = RateLimiter(perSecond: source.rateLimit)
        self.sleep = sleep
    }

    /// Fetches `path` with `params`, handling the envelope's error actions, and selects records.
    public func fetch(path: String, params: [(String, String)], recordsPath: [String], totalPath: [String]?) throws -> FetchedPage {
        if let quotaMessage { throw QuotaExceeded(source: source.name, message: quotaMessage) }
        let started = Date()
        var requests = 0
        var envelopeRetries = 0, signRetries = 0, refreshRetries = 0, bodyRetries = 0
        while true {
            var query = params
            var headers = source.headers.map { HTTPHeader(name: $0.0, value: $0.1) }
            try authenticator.authorize(query: &query, headers: &headers)
            let url = source.baseURL + path + (query.isEmpty ? "" : "?" + QueryString.build(query))
            limiter.wait()
            let response = try transport.send(HTTPRequest(url: url, headers: headers))
            requests += 1
            if response.status == 401 || response.status == 403 {
                throw GatewayError(source: source.name, path: path, code: nil,
                                   message: "HTTP \(response.status) (not authorized): \(ResponseText.snippet(response.body))")
            }
            guard (200..<300).contains(response.status) else {
                throw GatewayError(source: source.name, path: path, code: nil,
                                   message: "HTTP \(response.status) after \(source.retries) retries: \(ResponseText.snippet(response.body))")
            }
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
                guard let list = body.value(at: recordsPath) else {
                    throw GatewayError(source: source.name, path: path, code: nil,
                                       message: "no records at '\(recordsPath.joined(separator: "."))' in the response: \(ResponseText.snippet(response.body))")
                }
                let records: [JSONValue]
                switch list {
                case .array(let items): records = items
                case .null: records = []
                default:
                    throw GatewayError(source: source.name, path: path, code: nil,
                                       message: "'\(recordsPath.joined(separator: "."))' is a JSON \(list.kindName), expected a list of records")
                }
                let total = totalPath.flatMap { body.value(at: $0)?.text }.flatMap { Int($0) }
                return FetchedPage(records: records, total: total, requests: requests, seconds: Date().timeIntervalSince(started))
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
            }
        }
    }

    private func backoff(_ attempt: Int) -> Double {
        min(30, source.retryBackoff * pow(2, Double(attempt - 1))) * Double.random(in: 0.5...1)
    }
}
