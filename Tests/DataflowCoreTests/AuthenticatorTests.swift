import Testing
import DataflowHTTP
@testable import DataflowCore

/// Known-vector tests for every authenticator (vectors from the RFCs, or computed independently
/// with Python's hashlib/hmac for the gateway styles).
@Suite("Authenticators")
struct AuthenticatorTests {
    func header(_ r: OutgoingRequest, _ name: String) -> String? { r.headers.first { $0.name == name }?.value }

    @Test func hmacPrimitivesMatchRFC4231AndPython() {
        // RFC 4231 test case 2.
        #expect(HMACAuthenticator.sign("what do ya want for nothing?", secret: Secret("Jefe"), algorithm: .hmacSHA256, encoding: .hex)
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(HMACAuthenticator.sign("abc", secret: Secret("sandbox-secret"), algorithm: .hmacSM3, encoding: .hex)
                == "56b737ce70be7f255b680d8a6cd9b21ce353ac35d41dfd55f309f91071f2d823")
    }

    @Test func rfc1123DatesAreGMT() {
        // RFC 7231's own example.
        #expect(HMACAuthConfig.Timestamp.rfc1123.render(epochSeconds: 784_111_777) == "Sun, 06 Nov 1994 08:49:37 GMT")
        #expect(HMACAuthConfig.Timestamp.rfc1123.render(epochSeconds: 1_795_953_600) == "Sun, 29 Nov 2026 12:00:00 GMT")
        #expect(HMACAuthConfig.Timestamp.epochMilliseconds.render(epochSeconds: 1_795_953_600) == "1795953600000")
    }

    @Test func bcdsgSignsMethodPathSortedQueryKeyAndDate() throws {
        let auth = HMACAuthenticator(config: .bcdsg(accessKey: "ak-1", secret: Secret("sandbox-secret")), redactor: Redactor(), clock: { 1_795_953_600 }, nonce: { "unused" })
        var r = OutgoingRequest(path: "/api/v2/licenses", query: [("startTime", "2026-01-01 00:00:00"), ("pageSize", "100"), ("pageNum", "1")])
        try auth.authorize(&r)
        #expect(header(r, "X-BG-HMAC-ACCESS-KEY") == "ak-1")
        #expect(header(r, "X-BG-HMAC-ALGORITHM") == "hmac-sha256")
        #expect(header(r, "X-BG-DATE-TIME") == "Sun, 29 Nov 2026 12:00:00 GMT")
        #expect(header(r, "X-BG-HMAC-SIGNATURE") == "XAcw2Sk3+ohQDzKXU8NzDdljMK8p1c7CkOGg1Ll9GEo=")
        #expect(r.query.count == 3)
    }

    @Test func queryValuesEncodedOrDecodedInTheStringToSign() {
        let query = [("updatedSince", "2026-01-01 08:00:00"), ("area", "义乌"), ("pageNum", "1")]
        let encoded = HMACAuthenticator.stringToSign("{query}", method: "GET", path: "/x", query: query, queryValues: .encoded,
                                                     accessKey: "ak", date: "d", nonce: "")
        let decoded = HMACAuthenticator.stringToSign("{query}", method: "GET", path: "/x", query: query, queryValues: .decoded,
                                                     accessKey: "ak", date: "d", nonce: "")
        #expect(encoded == "area=%E4%B9%89%E4%B9%8C&pageNum=1&updatedSince=2026-01-01%2008%3A00%3A00")
        #expect(decoded == "area=义乌&pageNum=1&updatedSince=2026-01-01 08:00:00")
        #expect(HMACAuthConfig.bcdsg(accessKey: "ak", secret: Secret("s")).queryValues == .encoded, "bcdsg's manual signs the encoded query")
    }

    @Test func aRefusedSignatureOverAnEncodableQueryNamesTheSetting() {
        let auth = HMACAuthenticator(config: .bcdsg(accessKey: "ak-1", secret: Secret("sandbox-secret")), redactor: Redactor())
        let plain = OutgoingRequest(path: "/x", query: [("pageNum", "1")])
        #expect(auth.refusalHint(for: plain) == nil, "nothing encodes: the query form cannot be the cause")
        let hint = auth.refusalHint(for: OutgoingRequest(path: "/x", query: [("updatedSince", "2026-01-01 08:00:00")]))
        #expect(hint?.contains("`query_values: decoded`") == true, "\(hint ?? "nil")")
        var decoded = HMACAuthConfig.bcdsg(accessKey: "ak-1", secret: Secret("sandbox-secret"))
        decoded.queryValues = .decoded
        #expect(HMACAuthenticator(config: decoded, redactor: Redactor()).refusalHint(for: OutgoingRequest(path: "/x", query: [("q", "a b")]))?.contains("`query_values: encoded`") == true)
        #expect(HMACAuthenticator(config: .shandong(accessKey: "c", secret: Secret("s")), redactor: Redactor()).refusalHint(for: OutgoingRequest(path: "/x", query: [("q", "a b")])) == nil,
                "a style that does not sign the query has no such hint")
    }

    @Test func shandongSignsClientTimestampNonce() throws {
        let auth = HMACAuthenticator(config: .shandong(accessKey: "client-1", secret: Secret("sandbox-secret")), redactor: Redactor(), clock: { 1_795_953_600 }, nonce: { "n0nce" })
        var r = OutgoingRequest(path: "/x")
        try auth.authorize(&r)
        #expect(header(r, "X-Client-Id") == "client-1")
        #expect(header(r, "X-Timestamp") == "1795953600000")
        #expect(header(r, "X-Nonce") == "n0nce")
        #expect(header(r, "X-Signature") == "cEGnTTBkVtvcvh5z26AcO3Xtdif0UCkRZ/5VGP/Gjik=")
    }

    @Test func customHMACWithSM3AndHex() throws {
        var config = HMACAuthConfig.bcdsg(accessKey: "ak-1", secret: Secret("sandbox-secret"))
        config.algorithm = .hmacSM3
        config.encoding = .hex
        config.timestamp = .epochSeconds
        config.stringToSign = "{access_key}|{date}"
        config.headers = .init(accessKey: "X-Key", algorithm: nil, date: "X-Time", nonce: nil, signature: "X-Sign")
        var r = OutgoingRequest(path: "/x")
        try HMACAuthenticator(config: config, redactor: Redactor(), clock: { 1_795_953_600 }).authorize(&r)
        #expect(header(r, "X-Sign") == "219aebe6eb991cb6182a101a25e2c8e4865b4c44d39a071d18851f17267ec8c9")
        #expect(header(r, "X-Time") == "1795953600")
        #expect(r.headers.count == 3)
    }

    @Test func tifSignature() throws {
        var r = OutgoingRequest(path: "/x")
        try TIFAuthenticator(paasID: "paas-1", token: Secret("tif-token"), redactor: Redactor(), clock: { 1_795_953_600 }, nonce: { "n0nce" }).authorize(&r)
        #expect(header(r, "x-tif-paasid") == "paas-1")
        #expect(header(r, "x-tif-timestamp") == "1795953600")
        #expect(header(r, "x-tif-signature") == "923afb7f0e7b63dd39f57b0c91c104412affa5f5c097877387f5b7eaadbd03f1")
    }

    @Test func staticCredentials() throws {
        // RFC 7617's example.
        #expect(StaticCredentialAuthenticator.basicValue(user: "Aladdin", password: Secret("open sesame")) == "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==")
        var r = OutgoingRequest(path: "/x")
        try StaticCredentialAuthenticator(.bearer(Secret("t0k"))).authorize(&r)
        #expect(header(r, "Authorization") == "Bearer t0k")
        var q = OutgoingRequest(path: "/x")
        try StaticCredentialAuthenticator(.apiKey(name: "api_key", value: Secret("k"), inQuery: true)).authorize(&q)
        #expect(q.query.first?.0 == "api_key" && q.query.first?.1 == "k" && q.headers.isEmpty)
        var h = OutgoingRequest(path: "/x")
        try StaticCredentialAuthenticator(.apiKey(name: "X-App-Token", value: Secret("k"), inQuery: false)).authorize(&h)
        #expect(header(h, "X-App-Token") == "k" && h.query.isEmpty)
    }

    @Test func zjIRSSignatureInHeadersWithLowerCaseNames() throws {
        var config = ZJIRSAuthConfig(appKey: "app", appSecret: Secret("s"))
        config.appKeyParam = "appkey"
        config.signInHeaders = true
        let transport = ScriptedTransport([#"{"code":"00","datas":{"requestSecret":"rs","requestSecretEndTime":9999999999999}}"#])
        let auth = ZJIRSAuthenticator(config: config, source: "p", baseURL: "http://127.0.0.1:1", transport: transport, redactor: Redactor(), clock: { 1_000 })
        var r = OutgoingRequest(path: "/x")
        try auth.authorize(&r)
        #expect(r.query.isEmpty)
        #expect(header(r, "appkey") == "app")
        #expect(header(r, "sign") == Digest.md5Hex("app" + "rs" + "1000"))
        #expect(transport.urls.first?.contains("appkey=app") == true)
    }

    /// A token answer with an error code refuses the sign-in (the source does not ask again this
    /// run, `SharedAuthenticator`); one with no code at all (a maintenance page answered 200) does
    /// not, and the next dataset tries again.
    @Test func onlyACodeFromTheTokenEndpointRefusesTheSignIn() {
        func refusal(_ body: String) -> Bool? {
            let auth = ZJIRSAuthenticator(config: ZJIRSAuthConfig(appKey: "app", appSecret: Secret("s")), source: "p", baseURL: "http://127.0.0.1:1",
                                          transport: ScriptedTransport([body]), redactor: Redactor(), clock: { 1_000 })
            var r = OutgoingRequest(path: "/x")
            do { try auth.authorize(&r); return nil } catch let error as GatewayError { return error.signInRefused } catch { return nil }
        }
        #expect(refusal(#"{"code":"14","msg":"签名错误"}"#) == true)
        #expect(refusal(#"{"status":"maintenance"}"#) == false)
    }

    @Test func oauth2CachesRenewsBeforeExpiryAndOnRefresh() throws {
        let transport = ScriptedTransport([
            #"{"access_token":"t1","expires_in":600}"#, #"{"access_token":"t2","expires_in":600}"#, #"{"access_token":"t3","expires_in":600}"#,
        ])
        var now = 1_000.0
        let auth = OAuth2ClientCredentialsAuthenticator(
            config: OAuth2AuthConfig(tokenURL: "/oauth/token", clientID: "c", clientSecret: Secret("cs")),
            source: "p", baseURL: "http://127.0.0.1:9/base", transport: transport, redactor: Redactor(), clock: { now })
        func bearer() throws -> String? { var r = OutgoingRequest(path: "/x"); try auth.authorize(&r); return header(r, "Authorization") }
        #expect(try bearer() == "Bearer t1")
        now += 500
        #expect(try bearer() == "Bearer t1")   // cached: 100 s left, renewal margin is 60 s
        now += 50
        #expect(try bearer() == "Bearer t2")   // 50 s left: renewed before expiry
        try auth.refresh()                      // what an HTTP 401 triggers
        #expect(try bearer() == "Bearer t3")
        #expect(auth.tokenRequests == 3 && auth.renewsOnUnauthorized)
        #expect(transport.urls.first == "http://127.0.0.1:9/oauth/token")
        #expect(transport.bodies.first == "grant_type=client_credentials&client_id=c&client_secret=cs")
    }

    @Test func secretsNeverPrint() {
        let config = HMACAuthConfig.bcdsg(accessKey: "ak", secret: Secret("top-secret"))
        #expect(!String(describing: config).contains("top-secret"))
        #expect(!String(describing: AuthConfig(BearerAuth(token: Secret("top-secret")))).contains("top-secret"))
    }
}

/// Answers each request with the next scripted body (HTTP 200) and records what was sent.
final class ScriptedTransport: HTTPTransport, @unchecked Sendable {
    var bodies: [String] = []
    var urls: [String] = []
    private var answers: [String]

    init(_ answers: [String]) { self.answers = answers }

    func send(_ request: HTTPRequest) throws -> HTTPResponse {
        urls.append(request.url)
        bodies.append(String(decoding: request.body ?? [], as: UTF8.self))
        let body = answers.isEmpty ? "{}" : answers.removeFirst()
        return HTTPResponse(status: 200, body: Array(body.utf8))
    }
}
