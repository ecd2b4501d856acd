/// One gateway the county pulls from: where it is, how requests are signed and how responses
/// are wrapped.
public struct SourceConfig: Sendable {
    public var name: String
    public var baseURL: String
    public var auth: AuthConfig
    public var envelope: EnvelopeConfig?
    /// Requests per second; nil = unlimited.
    public var rateLimit: Double?
    public var timeout: Double
    public var retries: Int
    /// First retry delay; doubles each attempt (with jitter).
    public var retryBackoff: Double
    public var caBundle: String?
    public var headers: [(String, String)]
    public var position: SourcePosition
}

/// How a source authenticates its requests.
public enum AuthConfig: Sendable {
    case none
    case zjIRS(ZJIRSAuthConfig)
}

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

    public init(appKey: String, appSecret: Secret) {
        self.appKey = appKey
        self.appSecret = appSecret
    }
}

/// What an error code in the envelope means for the run.
public enum EnvelopeAction: String, Sendable, CaseIterable {
    case resign
    case refreshToken = "refresh-token"
    case retry
    case quota
    case fail
}

/// A gateway's response wrapper: which field says success and which codes mean what.
public struct EnvelopeConfig: Sendable {
    public var successPath: [String]
    public var successValues: [String]
    public var messagePath: [String]?
    public var errors: [String: EnvelopeAction]
}
