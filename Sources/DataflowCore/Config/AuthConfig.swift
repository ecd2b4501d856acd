import DataflowHTTP

/// How a source authenticates its requests.
public enum AuthConfig: Sendable {
    case none
    case zjIRS(ZJIRSAuthConfig)
    case bearer(Secret)
    case basic(user: String, password: Secret)
    case apiKey(name: String, value: Secret, inQuery: Bool)
    case hmac(HMACAuthConfig)
    case tif(paasID: String, token: Secret)
    case oauth2(OAuth2AuthConfig)

    /// The secret values this auth holds, with the forms they take on the wire (for `Redactor`).
    public var secretValues: [Secret] {
        switch self {
        case .none: return []
        case .zjIRS(let c): return [c.appSecret]
        case .bearer(let token): return [token]
        case .basic(let user, let password):
            return [password, Secret(String(StaticCredentialAuthenticator.basicValue(user: user, password: password).dropFirst("Basic ".count)))]
        case .apiKey(_, let value, _): return [value]
        case .hmac(let c): return [c.secret]
        case .tif(_, let token): return [token]
        case .oauth2(let c): return [c.clientSecret]
        }
    }
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
    /// Send appKey, requestTime and sign as headers instead of query parameters.
    public var signInHeaders = false

    public init(appKey: String, appSecret: Secret) {
        self.appKey = appKey
        self.appSecret = appSecret
    }
}

/// HMAC signing (`type: hmac`): headers, template, digest and encoding, or a built-in style.
public struct HMACAuthConfig: Sendable {
    /// The MAC digest.
    public enum Algorithm: String, Sendable, CaseIterable {
        case hmacSHA256 = "hmac-sha256"
        case hmacSM3 = "hmac-sm3"
    }

    /// How the MAC is written.
    public enum Encoding: String, Sendable, CaseIterable { case base64, hex }

    /// How the time header is written.
    public enum Timestamp: String, Sendable, CaseIterable {
        case rfc1123, epochMilliseconds = "epoch-ms", epochSeconds = "epoch-s"

        /// `Sun, 06 Nov 1994 08:49:37 GMT`, or epoch digits.
        public func render(epochSeconds: Double) -> String {
            switch self {
            case .epochMilliseconds: return String(Int64(epochSeconds * 1000))
            case .epochSeconds: return String(Int64(epochSeconds))
            case .rfc1123:
                let t = CivilTime(epochSeconds: Int(epochSeconds), offset: 0)
                let days = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"]
                let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
                let dayNumber = Int(epochSeconds) >= 0 ? Int(epochSeconds) / 86400 : (Int(epochSeconds) - 86399) / 86400
                let weekday = days[((dayNumber % 7) + 7) % 7]
                func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
                return "\(weekday), \(two(t.day)) \(months[t.month - 1]) \(t.year) \(two(t.hour)):\(two(t.minute)):\(two(t.second)) GMT"
            }
        }
    }

    /// How `{query}` writes parameter names and values in the string to sign.
    public enum QueryValues: String, Sendable, CaseIterable {
        /// RFC 3986 percent-encoded, as sent on the wire: `updatedSince=2026-01-01%2008%3A00%3A00`.
        case encoded
        /// As the values are, before encoding: `updatedSince=2026-01-01 08:00:00`.
        case decoded
    }

    /// Header names; nil = not sent.
    public struct Headers: Sendable {
        public var accessKey: String
        public var algorithm: String?
        public var date: String
        public var nonce: String?
        public var signature: String
    }

    public var accessKey: String
    public var secret: Secret
    public var algorithm: Algorithm
    public var encoding: Encoding
    public var timestamp: Timestamp
    public var stringToSign: String
    public var headers: Headers
    /// How `{query}` is written (`query_values:`).
    public var queryValues: QueryValues = .encoded

    /// Zhejiang IRS v2 `bcdsg`.
    ///
    /// The query is signed *encoded* by default. Source: the IRS v2 gateway manual defines the
    /// signed QUERY_STREAM as the URL's query "进行编码后的结果" (after encoding), parameters sorted by
    /// key and joined with `&`; the Java signing helper circulated with it
    /// (github.com/zhusaidong/zjzwfw-spring-boot-starter,
    /// src/main/java/cn/zhusaidong/zjzwfw/starter/util/ZjzwfwAuthUtil.java, getCanonicalQueryString)
    /// percent-encodes each key and value with a space as `%20`. Some deployments sign the decoded
    /// values instead (`query_values: decoded`).
    public static func bcdsg(accessKey: String, secret: Secret) -> HMACAuthConfig {
        HMACAuthConfig(accessKey: accessKey, secret: secret, algorithm: .hmacSHA256, encoding: .base64, timestamp: .rfc1123,
                       stringToSign: "{method}\n{path}\n{query}\n{access_key}\n{date}\n",
                       headers: Headers(accessKey: "X-BG-HMAC-ACCESS-KEY", algorithm: "X-BG-HMAC-ALGORITHM",
                                        date: "X-BG-DATE-TIME", nonce: nil, signature: "X-BG-HMAC-SIGNATURE"),
                       queryValues: .encoded)
    }

    /// Shandong.
    public static func shandong(accessKey: String, secret: Secret) -> HMACAuthConfig {
        HMACAuthConfig(accessKey: accessKey, secret: secret, algorithm: .hmacSHA256, encoding: .base64, timestamp: .epochMilliseconds,
                       stringToSign: "{access_key}{date}{nonce}",
                       headers: Headers(accessKey: "X-Client-Id", algorithm: nil, date: "X-Timestamp", nonce: "X-Nonce", signature: "X-Signature"))
    }
}

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
