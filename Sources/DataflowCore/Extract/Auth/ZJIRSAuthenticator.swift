import Foundation
import DataflowHTTP

/// Zhejiang IRS v1 two-stage signing (appKey → refreshSecret → requestSecret).
public struct ZJIRSAuthConfig: Sendable {
    public var appKey: String
    public var appSecret: Secret
    public var tokenPath: String = "/gateway/app/refreshTokenByKey.htm"
    public var refreshPath: String = "/gateway/app/refreshTokenBySec.htm"
    public var appKeyParam: String = "appKey"
    public var signParam: String = "sign"
    public var timeParam: String = "requestTime"
    /// Renew the requestSecret this long before its end time.
    public var renewBefore: Double = 60
    /// Send appKey, requestTime and sign as headers instead of query parameters.
    public var signInHeaders = false

    public init(appKey: String, appSecret: Secret) {
        self.appKey = appKey
        self.appSecret = appSecret
    }
}

extension ZJIRSAuthConfig: AuthStyle {
    public static let type = "zj-irs"

    public static func parse(_ a: inout MappingReader) throws(ConfigError) -> ZJIRSAuthConfig {
        var c = ZJIRSAuthConfig(appKey: try a.requiredString("app_key"), appSecret: try a.requiredSecret("app_secret"))
        if let v = try a.string("token_path") { c.tokenPath = v }
        if let v = try a.string("refresh_path") { c.refreshPath = v }
        if let v = try a.string("app_key_param") { c.appKeyParam = v }
        if let v = try a.string("sign_param") { c.signParam = v }
        if let v = try a.string("time_param") { c.timeParam = v }
        if let v = try a.duration("renew_before", range: AuthConfig.renewBeforeRange) { c.renewBefore = v }
        if let v = try a.choice("sign_in", ["query", "headers"]) { c.signInHeaders = v == "headers" }
        return c
    }

    public var secretValues: [Secret] { [appSecret] }
    public var summary: String { "zj-irs (\(appKeyParam), signature in \(signInHeaders ? "headers" : "query"))" }

    public func makeAuthenticator(_ context: AuthContext) -> Authenticator {
        ZJIRSAuthenticator(config: self, source: context.source, baseURL: context.baseURL, transport: context.transport, redactor: context.redactor)
    }
}

/// Zhejiang IRS v1 signing: `appKey + appSecret` buys a refreshSecret and a short-lived
/// requestSecret (`refreshTokenByKey`), the refreshSecret renews the requestSecret
/// (`refreshTokenBySec`), and every data call carries `sign = md5(appKey + requestSecret + requestTime)`.
/// The requestSecret is renewed before its end time and whenever the gateway says it expired.
/// Parameter names are configurable (`appKey` vs `appkey`), and the three signature values go
/// in the query string (default) or in headers of the same names (`sign_in: headers`).
public final class ZJIRSAuthenticator: Authenticator {
    let config: ZJIRSAuthConfig
    let source: String
    let baseURL: String
    let transport: HTTPTransport
    let clock: () -> Double
    let redactor: Redactor
    private var requestSecret: Secret?
    private var requestSecretEnd: Double = 0
    private var requestSecretIssued: Double = 0
    private var refreshSecret: Secret?
    private var refreshSecretEnd: Double = 0
    /// Token calls made (for request counts).
    public private(set) var tokenRequests = 0

    /// - Parameters:
    ///   - redactor: learns every requestSecret, refreshSecret and sign obtained.
    ///   - clock: epoch milliseconds now.
    public init(config: ZJIRSAuthConfig, source: String, baseURL: String, transport: HTTPTransport, redactor: Redactor,
                clock: @escaping () -> Double = { Date().timeIntervalSince1970 * 1000 }) {
        self.config = config
        self.source = source
        self.baseURL = baseURL
        self.transport = transport
        self.clock = clock
        self.redactor = redactor
    }

    /// `md5_hex_lower(appKey + secret + requestTime)`.
    public static func sign(appKey: String, secret: Secret, requestTime: String) -> String {
        Digest.md5Hex(appKey + secret.revealed + requestTime)
    }

    public func authorize(_ request: inout OutgoingRequest) throws {
        let secret = try currentSecret()
        let time = String(Int64(clock()))
        let sign = ZJIRSAuthenticator.sign(appKey: config.appKey, secret: secret, requestTime: time)
        redactor.registerEphemeral(sign)
        if config.signInHeaders {
            request.headers.append(HTTPHeader(name: config.appKeyParam, value: config.appKey))
            request.headers.append(HTTPHeader(name: config.timeParam, value: time))
            request.headers.append(HTTPHeader(name: config.signParam, value: sign))
        } else {
            request.query.append((config.appKeyParam, config.appKey))
            request.query.append((config.timeParam, time))
            request.query.append((config.signParam, sign))
        }
    }

    public func refresh() throws {
        requestSecret = nil
        try renew()
    }

    public func invalidate() {
        requestSecret = nil
        refreshSecret = nil
    }

    private func currentSecret() throws -> Secret {
        let now = clock()
        let lifetime = requestSecretEnd - requestSecretIssued
        let margin = min(config.renewBefore * 1000, max(0, lifetime / 4))
        if let requestSecret, now < requestSecretEnd - margin { return requestSecret }
        try renew()
        guard let requestSecret else { throw GatewayError(source: source, path: config.tokenPath, code: nil, message: "token endpoint returned no requestSecret") }
        return requestSecret
    }

    private func renew() throws {
        if let refreshSecret, clock() < refreshSecretEnd - 60_000 {
            do {
                try fetchToken(path: config.refreshPath, secret: refreshSecret)
                return
            } catch let error as GatewayError where error.code != nil {
                // The refreshSecret was refused: fall back to the app secret below.
                self.refreshSecret = nil
            }
        }
        try fetchToken(path: config.tokenPath, secret: config.appSecret)
    }

    private func fetchToken(path: String, secret: Secret) throws {
        let time = String(Int64(clock()))
        let query = [(config.appKeyParam, config.appKey), (config.timeParam, time),
                     (config.signParam, ZJIRSAuthenticator.sign(appKey: config.appKey, secret: secret, requestTime: time))]
        let issued = clock()
        let response = try transport.send(HTTPRequest(url: baseURL + path + "?" + QueryString.build(query)))
        tokenRequests += 1
        guard response.status == 200 else {
            throw GatewayError(source: source, path: path, code: nil, message: "token request answered HTTP \(response.status): \(ResponseText.snippet(response.body, redactor: redactor))",
                               signInRefused: GatewayError.refusesSignIn(status: response.status))
        }
        let body: JSONValue
        do { body = try JSONParser.parse(response.body) } catch {
            throw GatewayError(source: source, path: path, code: nil, message: "token response is not JSON (\(error)): \(ResponseText.snippet(response.body, redactor: redactor))")
        }
        let code = body["code"]?.text ?? "(missing)"
        guard code == "00" || code == "0" else {
            // A code is the gateway refusing the sign-in; none at all (a maintenance page answered
            // 200) is not, and is tried again by the next dataset.
            throw GatewayError(source: source, path: path, code: code, message: body["msg"]?.text ?? "(no message)", signInRefused: body["code"] != nil)
        }
        guard let datas = body.value(at: ["datas"]), let secretText = datas["requestSecret"]?.text, !secretText.isEmpty else {
            throw GatewayError(source: source, path: path, code: code, message: "token response has no datas.requestSecret")
        }
        requestSecret = Secret(secretText)
        redactor.register(secretText)
        requestSecretIssued = issued
        requestSecretEnd = datas["requestSecretEndTime"]?.text.flatMap(Double.init) ?? (issued + 10 * 60_000)
        if let r = datas["refreshSecret"]?.text, !r.isEmpty {
            refreshSecret = Secret(r)
            redactor.register(r)
            refreshSecretEnd = datas["refreshSecretEndTime"]?.text.flatMap(Double.init) ?? (issued + 86_400_000)
        }
    }
}
