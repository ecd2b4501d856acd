import Foundation
import Testing
import DataflowHTTP
@testable import DataflowCore

/// The one redactor: configured secrets, runtime tokens, credential-like parameters, control characters.
@Suite("Redactor")
struct RedactorTests {
    static let secret = "s3cr3t/value+with&odd=chars"

    @Test func configuredSecretsGoInEveryEchoedForm() {
        let r = Redactor(secrets: [Secret(Self.secret)])
        let echoes = [
            "WAF blocked: X-Custom: \(Self.secret) end",
            "GET /x?q=\(QueryString.encode(Self.secret)) HTTP/1.1",
            "{\"echo\":\"\(Self.secret.replacingOccurrences(of: "/", with: "\\/"))\"}",
            "<td>\(Self.secret.replacingOccurrences(of: "&", with: "&amp;"))</td>",
        ]
        for echo in echoes {
            let out = r.redact(echo)
            #expect(!out.contains("s3cr3t"), "\(out)")
            #expect(out.contains(Redactor.mask), "\(out)")
        }
    }

    /// A dataset whose name holds a credential word (`auth`, `token`, `key`) starts our own
    /// messages; its error must stay readable, while an echoed header line is still masked.
    @Test func ownDatasetMessagesAreNotTakenForHeaderLines() {
        let r = Redactor(ownNames: ["licenses_auth_bearer", "tokens"])
        let ours = "licenses_auth_bearer: FAILED — the same page twice\ntokens: FAILED — HTTP 500"
        #expect(r.redact(ours) == ours)
        #expect(Redactor().redact("licenses_auth_bearer: FAILED — x") == "licenses_auth_bearer: FAILED — x", "an underscore is no header name")
        let echoed = r.redact("WAF page\nX-Auth-Token: abc\nAuthorization: Basic Zm9v")
        #expect(!echoed.contains("abc") && !echoed.contains("Zm9v"), "\(echoed)")
        #expect(r.redact("access_token=abc&page=2").contains("access_token=***"), "name=value pairs keep their masking")
    }

    @Test func projectSecretsAreKnownFromTheConfig() throws {
        let config = TestProject.defaultConfig.replacingOccurrences(
            of: "auth: { type: zj-irs, app_key: ${APP_KEY:-key}, app_secret: ${APP_SECRET:-secret} }",
            with: "auth: { type: basic, user: county, password: ${PW} }\n    headers: { X-Gateway-Token: ${HT}, Accept: application/json }")
        let project = try TestProject(config: config).load(environment: ["PW": "basic-password-1", "HT": "header-token-22"])
        let r = Redactor(project: project)
        let basic = StaticCredentialAuthenticator.basicValue(user: "county", password: Secret("basic-password-1")).dropFirst("Basic ".count)
        let out = r.redact("echo: pw basic-password-1 header header-token-22 wire \(basic) accept application/json")
        #expect(!out.contains("basic-password-1") && !out.contains("header-token-22") && !out.contains(basic), "\(out)")
        #expect(out.contains("application/json"), "a header that is not credential-like is not a secret")
    }

    @Test func tokensObtainedAtRunTimeAreRedactedFromThenOn() {
        let r = Redactor()
        #expect(r.redact("token rt-123456789") == "token rt-123456789")
        r.register(Secret("rt-123456789"))
        #expect(r.redact("token rt-123456789") == "token ***")
    }

    @Test func sharedAcrossThreads() {
        let r = Redactor()
        DispatchQueue.concurrentPerform(iterations: 200) { i in
            r.register("token-\(i)-abcdef")
            _ = r.redact("page \(i): token-\(i)-abcdef")
            r.registerEphemeral("signature-\(i)-xyz")
        }
        for i in 0..<200 { #expect(r.redact("x token-\(i)-abcdef y") == "x *** y") }
    }

    @Test func signaturesAreRememberedBoundedly() {
        let r = Redactor()
        for i in 0..<(Redactor.ephemeralLimit + 10) { r.registerEphemeral("sig-\(i)-000000") }
        #expect(r.redact("sig-\(Redactor.ephemeralLimit + 9)-000000") == Redactor.mask, "the latest signature is known")
        #expect(r.redact("sig-0-000000") == "sig-0-000000", "the oldest are forgotten: the set does not grow with the run")
    }

    @Test func shortSecretsAreMaskedOnlyWhereTheirNameSaysSo() {
        let r = Redactor(secrets: [Secret("ab1")])
        #expect(r.redact("tab1e lab1 ab1") == "tab1e lab1 ab1", "a secret under \(Redactor.minimumLength) characters is not a substring search")
        #expect(r.redact("GET /api?appKey=ab1&page=2") == "GET /api?appKey=***&page=2")
        #expect(r.redact("{\"access_token\": \"ab1\", \"n\": \"ab1\"}") == "{\"access_token\":\"***\", \"n\": \"ab1\"}")
        #expect(r.redact("<pre>X-API-Key: ab1\nAccept: */*</pre>") == "<pre>X-API-Key: ***\nAccept: */*</pre>")
        #expect(r.redact("Authorization: Bearer ab1") == "Authorization: ***")
    }

    @Test func credentialLikeParametersAreMaskedWithoutKnowingTheValue() {
        let out = Redactor().redact("blocked GET /a.htm?appKey=K1&requestTime=17&sign=0f0f&pageNum=2 from 10.0.0.1")
        #expect(out == "blocked GET /a.htm?appKey=***&requestTime=17&sign=***&pageNum=2 from 10.0.0.1")
    }

    @Test func recordsKeepFieldsNamedLikeCredentials() {
        let r = Redactor(secrets: [Secret("sandbox-secret")])
        let record = #"{"RECORD_KEY":"K0001","sign":"已签收","echo":"sandbox-secret"}"#
        #expect(r.redactingKnownValues(record) == #"{"RECORD_KEY":"K0001","sign":"已签收","echo":"***"}"#)
        #expect(r.redact(record) != r.redactingKnownValues(record), "free text masks them by name")
    }

    @Test func ourOwnMessagesStayReadable() {
        let r = Redactor(secrets: [Secret("sandbox-secret")])
        let message = "source 'province' /gateway/api/licenses.htm: HTTP 401 (not authorized): 签名错误; dataflow.yml:12:5: auth.type"
        #expect(r.redact(message) == message)
    }

    @Test func aSecretCutShortByAnExcerptIsStillMasked() {
        let r = Redactor(secrets: [Secret("abcdefghijklmnop")])
        #expect(r.redact("X-Thing: abcdefghij…") == "X-Thing: ***…")
        #expect(r.redact("echo abcdefgh") == "echo ***")
        #expect(r.redact("echo abcde") == "echo abcde", "shorter than the minimum: not recognisable")
    }

    @Test func controlCharactersAndLineBreaksAreEscapedForText() {
        let gateway = "\u{1B}[31mdenied\u{1B}[0m\nitems_q: ok — 999 fetched\r\u{202E}x\u{7}"
        let out = Redactor().printable(gateway)
        #expect(!out.unicodeScalars.contains { $0.value < 0x20 || $0 == "\u{202E}" }, "\(out)")
        #expect(out == "\\u{1B}[31mdenied\\u{1B}[0m\\nitems_q: ok — 999 fetched\\r\\u{202E}x\\u{7}")
        #expect(Redactor.escapingControls("签名错误 plain") == "签名错误 plain")
    }
}

@Suite("secrets in the forms an error page echoes them")
struct RedactorEchoFormTests {
    @Test func encodedAndEscapedFormsAreMasked() {
        let secret = "Ab/Cd+Ef=Gh/Ij+Kl=Mn"
        let redactor = Redactor(secrets: [Secret(secret)])
        let echoes = ["Ab%2fCd%2bEf%3dGh%2fIj%2bKl%3dMn",                       // lower-case percent-encoding
                      "Ab%252FCd%252BEf%253DGh%252FIj%252BKl%253DMn",             // encoded twice
                      "Ab&#x2F;Cd&#x2B;Ef&#x3D;Gh&#x2F;Ij&#x2B;Kl&#x3D;Mn",       // hexadecimal references
                      "Ab&#x2f;Cd&#x2b;Ef&#x3d;Gh&#x2f;Ij&#x2b;Kl&#x3d;Mn",
                      "Ab&#47;Cd&#43;Ef&#61;Gh&#47;Ij&#43;Kl&#61;Mn"]              // decimal references
        for echo in echoes {
            let out = redactor.redactingKnownValues("<p>your appcode " + echo + " is wrong</p>")
            #expect(!out.contains("Cd") && out.contains("***"), "\(echo) → \(out)")
        }
    }

    @Test func aURLsPasswordIsMaskedWhateverTheRedactorKnows() {
        let redactor = Redactor()
        #expect(redactor.redact("Unsupported proxy scheme for 'htp://pu:ProxySecret9@10.0.0.1:1'") == "Unsupported proxy scheme for 'htp://pu:***@10.0.0.1:1'")
        #expect(redactor.redact("see https://ghp_TOKEN123456@example.com/x") == "see https://***@example.com/x")
        #expect(redactor.redact("mail jose@example.com, https://gw.example.gov.cn/a@b") == "mail jose@example.com, https://gw.example.gov.cn/a@b")
        #expect(URLRedaction.scrub("Could not resolve proxy: http://u:pw99@proxy.local", url: "https://gw/x") == "Could not resolve proxy: http://u:***@proxy.local")
    }

    @Test func anEchoedKeyIsRedactedBeforePersonalDataIsMasked() {
        // A key that holds a run of digits shaped like a mobile number: masked as a phone number
        // first, the rest of the key stayed readable and unknown to the redactor.
        let key = "9f8e7d6c5b4a13812345678a9b8c7d6e"
        let body = Array("403 forbidden: appcode: \(key); sfzh 330782199001011234".utf8)
        let text = ResponseText.snippet(body, redactor: Redactor(secrets: [Secret(key)]))
        #expect(!text.contains("9f8e7d6c") && !text.contains("a9b8c7d6e"), "\(text)")
        #expect(text.contains("330782***********4"), "\(text)")
    }
}
