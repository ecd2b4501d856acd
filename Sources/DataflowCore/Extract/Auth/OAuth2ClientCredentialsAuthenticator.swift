import Foundation
import DataflowHTTP

/// OAuth 2.0 client credentials (`type: oauth2-client-credentials`).
public struct OAuth2AuthConfig: Sendable {
    /// Absolute URL, or a path on the source's host.
    public var tokenURL: String
    public var clientID: String
    public var clientSecret: Secret
    public var scope: String?
    /// Renew this long before the token expires (at most a quarter of its lifetime).
    public var renewBefore: Double = 60
}

extension OAuth2AuthConfig: AuthStyle {
    public static let type = "oauth2-client-credentials"

    public static func parse(_ a: inout MappingReader) throws(ConfigError) -> OAuth2AuthConfig {
        var c = OAuth2AuthConfig(tokenURL: try a.requiredString("token_url"), clientID: try a.requiredString("client_id"),
                                 clientSecret: try a.requiredSecret("client_secret"))
        c.scope = try a.string("scope")
        if let v = try a.duration("renew_before", range: AuthConfig.renewBeforeRange) { c.renewBefore = v }
        return c
    }

    public var secretValues: [Secret] { [clientSecret] }
    public var otherCredentialURLs: [String] { tokenURL.contains("://") ? [tokenURL] : [] }

    public func makeAuthenticator(_ context: AuthContext) -> Authenticator {
        OAuth2ClientCredentialsAuthenticator(config: self, source: context.source, baseURL: context.baseURL, transport: context.transport,
                                             redactor: context.redactor)
    }
}

/// OAuth 2.0 client credentials (RFC 6749 §4.4): POSTs `grant_type=client_credentials` with the
/// client id and secret to the token URL, caches the access token, renews it before `expires_in`
/// runs out and whenever the API answers HTTP 401, and sends `Authorization: Bearer TOKEN`.
public final class OAuth2ClientCredentialsAuthenticator: Authenticator {
    let config: OAuth2AuthConfig
    let source: String
    let baseURL: String
    let transport: HTTPTransport
    let clock: () -> Double
    let redactor: Redactor
    private var token: Secret?
    private var expires: Double = 0
    private var lifetime: Double = 0
    /// Token calls made.
    public private(set) var tokenRequests = 0

    /// - Parameters:
    ///   - redactor: learns every access token obtained.
    ///   - clock: epoch seconds now.
    public init(config: OAuth2AuthConfig, source: String, baseURL: String, transport: HTTPTransport, redactor: Redactor,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 }) {
        self.config = config
        self.source = source
        self.baseURL = baseURL
        self.transport = transport
        self.clock = clock
        self.redactor = redactor
    }

    public var renewsOnUnauthorized: Bool { true }

    public func authorize(_ request: inout OutgoingRequest) throws {
        let margin = min(config.renewBefore, lifetime / 4)
        if token == nil || clock() >= expires - margin { try fetchToken() }
        guard let token else { return }
        request.headers.append(HTTPHeader(name: "Authorization", value: "Bearer " + token.revealed))
    }

    public func refresh() throws { token = nil; try fetchToken() }

    public func invalidate() { token = nil }

    private var tokenURL: String {
        URLResolver.resolve(config.tokenURL, against: baseURL)
    }

    private func fetchToken() throws {
        var form = [("grant_type", "client_credentials"), ("client_id", config.clientID), ("client_secret", config.clientSecret.revealed)]
        if let scope = config.scope { form.append(("scope", scope)) }
        let started = clock()
        let response = try transport.send(HTTPRequest(method: "POST", url: tokenURL,
                                                      headers: [HTTPHeader(name: "Content-Type", value: "application/x-www-form-urlencoded"),
                                                                HTTPHeader(name: "Accept", value: "application/json")],
                                                      body: Array(QueryString.build(form).utf8)))
        tokenRequests += 1
        guard response.status == 200 else {
            throw GatewayError(source: source, path: config.tokenURL, code: nil,
                               message: "token request answered HTTP \(response.status): \(ResponseText.snippet(response.body, redactor: redactor))",
                               signInRefused: GatewayError.refusesSignIn(status: response.status))
        }
        let body: JSONValue
        do { body = try JSONParser.parse(response.body) } catch {
            throw GatewayError(source: source, path: config.tokenURL, code: nil, message: "token response is not JSON (\(error)): \(ResponseText.snippet(response.body, redactor: redactor))")
        }
        guard let text = body["access_token"]?.text, !text.isEmpty else {
            throw GatewayError(source: source, path: config.tokenURL, code: nil, message: "token response has no access_token")
        }
        token = Secret(text)
        redactor.register(text)
        lifetime = body["expires_in"]?.text.flatMap(Double.init) ?? 3600
        expires = started + lifetime
    }
}
