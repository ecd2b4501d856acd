/// zj-irs v1 secrets: one registered appKey, expiring requestSecrets and refreshSecrets.
///
/// A data request proves its requestSecret by `sign = md5(appKey + requestSecret + requestTime)`;
/// the registry finds the secret whose signature matches, newest first.
///
/// ```swift
/// var tokens = TokenRegistry(appKey: "k", appSecret: "s", seed: 42, requestTTL: 900, refreshTTL: 172_800)
/// let grant = try tokens.issueByKey(appKey: "k", requestTime: "1", sign: md5("k" + "s" + "1"), nowMilliseconds: 0).get()
/// ```
struct TokenRegistry: Sendable {
    /// Secrets and their end times (epoch milliseconds), as the token endpoints return them.
    struct Grant: Sendable, Equatable {
        let requestSecret: String
        let requestSecretEndTime: Int64
        let refreshSecret: String
        let refreshSecretEndTime: Int64
    }

    /// Why a signed request was refused, with its gateway code.
    enum Refusal: Error, Equatable {
        /// `14`: unknown appKey, secret or wrong sign.
        case signature
        /// `11`: the secret matched but has expired.
        case expired
    }

    private struct IssuedSecret: Sendable {
        let secret: String
        let endTime: Int64
    }

    let appKey: String
    let appSecret: String
    /// Lifetime of newly issued requestSecrets, in seconds.
    var requestTTL: Int64
    /// Lifetime of newly issued refreshSecrets, in seconds.
    var refreshTTL: Int64
    private let hash: SeededHash
    private var issuedCount: UInt64 = 0
    /// Newest last; bounded so signature checks stay cheap.
    private var requestSecrets: [IssuedSecret] = []
    private var refreshSecrets: [IssuedSecret] = []
    private static let remembered = 256

    init(appKey: String, appSecret: String, seed: UInt64, requestTTL: Int64, refreshTTL: Int64) {
        self.appKey = appKey
        self.appSecret = appSecret
        self.requestTTL = requestTTL
        self.refreshTTL = refreshTTL
        // Secrets differ between runs, so a client's cached secret from an earlier run stays unknown.
        hash = SeededHash(seed: seed ^ UInt64.random(in: 0...UInt64.max))
    }

    /// `refreshTokenByKey`: sign = md5(appKey + appSecret + requestTime).
    mutating func issueByKey(appKey: String, requestTime: String, sign: String, nowMilliseconds: Int64) -> Result<Grant, Refusal> {
        guard appKey == self.appKey, MD5.hexLower(appKey + appSecret + requestTime) == sign else {
            return .failure(.signature)
        }
        let refresh = IssuedSecret(secret: newSecret(), endTime: nowMilliseconds + refreshTTL * 1_000)
        Self.remember(refresh, in: &refreshSecrets)
        let request = IssuedSecret(secret: newSecret(), endTime: nowMilliseconds + requestTTL * 1_000)
        Self.remember(request, in: &requestSecrets)
        return .success(Grant(
            requestSecret: request.secret, requestSecretEndTime: request.endTime,
            refreshSecret: refresh.secret, refreshSecretEndTime: refresh.endTime
        ))
    }

    /// `refreshTokenBySec`: sign = md5(appKey + refreshSecret + requestTime); the refreshSecret stays.
    mutating func issueBySecret(appKey: String, requestTime: String, sign: String, nowMilliseconds: Int64) -> Result<Grant, Refusal> {
        guard appKey == self.appKey else { return .failure(.signature) }
        guard let refresh = Self.match(refreshSecrets, appKey: appKey, requestTime: requestTime, sign: sign) else {
            return .failure(.signature)
        }
        guard refresh.endTime > nowMilliseconds else { return .failure(.expired) }
        let request = IssuedSecret(secret: newSecret(), endTime: nowMilliseconds + requestTTL * 1_000)
        Self.remember(request, in: &requestSecrets)
        return .success(Grant(
            requestSecret: request.secret, requestSecretEndTime: request.endTime,
            refreshSecret: refresh.secret, refreshSecretEndTime: refresh.endTime
        ))
    }

    /// Checks a data request's signature against the live and expired requestSecrets.
    func verify(appKey: String, requestTime: String, sign: String, nowMilliseconds: Int64) -> Refusal? {
        guard appKey == self.appKey else { return .signature }
        guard let request = Self.match(requestSecrets, appKey: appKey, requestTime: requestTime, sign: sign) else {
            return .signature
        }
        return request.endTime > nowMilliseconds ? nil : .expired
    }

    private static func match(_ secrets: [IssuedSecret], appKey: String, requestTime: String, sign: String) -> IssuedSecret? {
        guard sign.utf8.count == 32 else { return nil }
        for issued in secrets.reversed() where MD5.hexLower(appKey + issued.secret + requestTime) == sign {
            return issued
        }
        return nil
    }

    private static func remember(_ secret: IssuedSecret, in secrets: inout [IssuedSecret]) {
        secrets.append(secret)
        if secrets.count > remembered { secrets.removeFirst(secrets.count - remembered) }
    }

    private static func hex16(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }

    /// 32 lower-case hex characters.
    private mutating func newSecret() -> String {
        issuedCount += 1
        let high = hash.value(stream: 300, index: issuedCount)
        let low = hash.value(stream: 301, index: issuedCount)
        return Self.hex16(high) + Self.hex16(low)
    }
}
