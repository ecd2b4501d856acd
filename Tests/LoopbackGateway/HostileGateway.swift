import DataflowCore
import DataflowHTTP
import Foundation

/// A gateway that misbehaves on purpose, for the security tests: two loopback listeners, the
/// gateway (`127.0.0.1:P1`, the source's own origin) and a second host (`127.0.0.1:P2`, another
/// origin) that records everything it is sent and answers an empty page.
///
/// The gateway serves token endpoints for every auth style that has one (zj-irs
/// `/gateway/app/refreshTokenByKey.htm` and `…BySec.htm`, OAuth `/oauth/token`) and, on any other
/// path, answers according to ``mode``:
///
/// | mode | the data path answers |
/// |---|---|
/// | `honest` | a page of ``records`` (`data.list`, `data.total`), no next link |
/// | `nextLink` | the page, with `data.next` = the second host's `/api/items?page=2` |
/// | `linkHeader` | the page, with `Link: <second host…>; rel="next"` |
/// | `redirect(status)` | `status` (e.g. 302) with `Location:` the second host's `/api/items?page=1` |
/// | `echo` | 403, a WAF-style page that echoes the request line (with its query) and every header |
/// | `controlText` | an envelope failure whose message holds ANSI escapes, CR/LF and a forged log line |
///
/// ```swift
/// let gateway = try HostileGateway(mode: .redirect(302))
/// // sync a source with base_url: gateway.baseURL …
/// #expect(gateway.foreignRequests.isEmpty)   // refused: nothing reached the second host
/// ```
public final class HostileGateway: @unchecked Sendable {
    /// How the gateway's data path misbehaves.
    public enum Mode: Sendable, Equatable {
        case honest
        case nextLink
        case linkHeader
        case redirect(Int)
        case echo
        case controlText
    }

    /// The gateway (the source's own origin).
    public let gateway: LoopbackHTTPServer
    /// The second host (another origin).
    public let other: LoopbackHTTPServer
    private let lock = NSLock()
    private var _mode: Mode
    private var _records: [[String: String]]

    /// The zj-irs requestSecret and refreshSecret, and the OAuth access token, this gateway hands out.
    public static let zjRequestSecret = "ZJ-REQUEST-SECRET-7f3a"
    public static let zjRefreshSecret = "ZJ-REFRESH-SECRET-91c2"
    public static let oauthAccessToken = "OAUTH-ACCESS-TOKEN-5d8e"
    /// The forged line the `controlText` mode hides in its message.
    public static let forgedLine = "items_q: ok 500 rows"

    public init(mode: Mode = .honest, records: [[String: String]] = HostileGateway.sampleRecords) throws {
        _mode = mode
        _records = records
        let other = try LoopbackHTTPServer { _, _ in
            .response(status: 200, headers: [("Content-Type", "application/json")],
                      body: #"{"code":"00","msg":"ok","data":{"list":[],"total":0}}"#)
        }
        self.other = other
        let holder = Holder()
        gateway = try LoopbackHTTPServer { request, _ in holder.gateway?.answer(request) ?? .close }
        holder.gateway = self
    }

    /// Breaks the reference cycle gateway → handler → gateway without an unowned capture.
    private final class Holder: @unchecked Sendable { weak var gateway: HostileGateway? }

    deinit { stop() }

    public func stop() {
        gateway.stop()
        other.stop()
    }

    /// What the data path does now; may change between runs.
    public var mode: Mode {
        get { lock.withLock { _mode } }
        set { lock.withLock { _mode = newValue } }
    }

    /// The records an honest page holds.
    public var records: [[String: String]] {
        get { lock.withLock { _records } }
        set { lock.withLock { _records = newValue } }
    }

    /// Three records with `id`, `name` and `updated`.
    public static let sampleRecords: [[String: String]] = [
        ["id": "K1", "name": "one", "updated": "2026-01-01 08:00:00"],
        ["id": "K2", "name": "two", "updated": "2026-01-02 08:00:00"],
        ["id": "K3", "name": "three", "updated": "2026-01-03 08:00:00"],
    ]

    /// `http://127.0.0.1:P1`, the source's `base_url`.
    public var baseURL: String { "http://127.0.0.1:\(gateway.port)" }
    /// `127.0.0.1:P2`, as a `follow_hosts:` entry and as error messages name it.
    public var otherHost: String { "127.0.0.1:\(other.port)" }
    /// Requests the gateway received (token calls included).
    public var gatewayRequests: [RecordedRequest] { gateway.requests }
    /// Requests the second host received.
    public var foreignRequests: [RecordedRequest] { other.requests }

    // MARK: - Answers

    private func answer(_ request: RecordedRequest) -> ServerAction {
        let path = String(request.target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        switch path {
        case "/gateway/app/refreshTokenByKey.htm", "/gateway/app/refreshTokenBySec.htm":
            let end = Int(Date().timeIntervalSince1970 * 1000) + 3_600_000
            return json(#"{"code":"00","msg":"ok","datas":{"requestSecret":"\#(Self.zjRequestSecret)","requestSecretEndTime":"\#(end)","refreshSecret":"\#(Self.zjRefreshSecret)","refreshSecretEndTime":"\#(end + 86_400_000)"}}"#)
        case "/oauth/token":
            return json(#"{"access_token":"\#(Self.oauthAccessToken)","token_type":"bearer","expires_in":3600}"#)
        default:
            break
        }
        let otherURL = "http://127.0.0.1:\(other.port)/api/items"
        switch mode {
        case .honest:
            return json(page(next: nil))
        case .nextLink:
            return json(page(next: otherURL + "?page=2"))
        case .linkHeader:
            return json(page(next: nil), headers: [("Link", "<\(otherURL)?page=2>; rel=\"next\"")])
        case .redirect(let status):
            return .response(status: status, reason: "Redirect", headers: [("Location", otherURL + "?page=1")], body: "moved")
        case .echo:
            var text = "<html><body><h1>Request blocked</h1><pre>\n\(request.method) \(request.target) HTTP/1.1\n"
            for header in request.headers { text += "\(header.name): \(header.value)\n" }
            text += String(decoding: request.body, as: UTF8.self) + "\n</pre></body></html>"
            return .response(status: 403, reason: "Forbidden", headers: [("Content-Type", "text/html")], body: text)
        case .controlText:
            let message = "\u{1B}[2J\u{1B}[31mdenied\u{1B}[0m\r\n\(Self.forgedLine)\n\u{07}"
            return json(#"{"code":"97","msg":\#(Self.quoted(message)),"data":null}"#)
        }
    }

    private func page(next: String?) -> String {
        let list = records.map { record in
            "{" + record.sorted { $0.key < $1.key }.map { "\(Self.quoted($0.key)):\(Self.quoted($0.value))" }.joined(separator: ",") + "}"
        }
        let nextMember = next.map { #","next":\#(Self.quoted($0))"# } ?? ""
        return #"{"code":"00","msg":"ok","data":{"list":[\#(list.joined(separator: ","))],"total":\#(list.count)\#(nextMember)}}"#
    }

    private func json(_ body: String, headers: [(String, String)] = []) -> ServerAction {
        .response(status: 200, headers: [("Content-Type", "application/json")] + headers, body: body)
    }

    /// A JSON string literal.
    static func quoted(_ text: String) -> String {
        var out = ""
        JSONValue.writeString(text, to: &out)
        return out
    }
}

/// Every auth style dataflow signs with, as `auth:` YAML whose secrets come from
/// ``environment``, and the secret values a foreign host must never see.
public enum HostileAuthStyle: String, CaseIterable, Sendable {
    case apiKeyQuery = "api-key-query"
    case apiKeyHeader = "api-key-header"
    case bearer
    case basic
    case hmacBcdsg = "hmac-bcdsg"
    case hmacShandong = "hmac-shandong"
    case tif
    case zjIRS = "zj-irs"
    case oauth2

    /// The `auth:` mapping, in flow style.
    public var yaml: String {
        switch self {
        case .apiKeyQuery: "{ type: api-key, name: appKey, in: query, key: ${HG_API_KEY} }"
        case .apiKeyHeader: "{ type: api-key, name: X-API-Key, key: ${HG_API_KEY} }"
        case .bearer: "{ type: bearer, token: ${HG_BEARER} }"
        case .basic: "{ type: basic, user: county, password: ${HG_BASIC_PASSWORD} }"
        case .hmacBcdsg: "{ type: hmac, style: bcdsg, access_key: hg-access, secret: ${HG_HMAC_SECRET} }"
        case .hmacShandong: "{ type: hmac, style: shandong, access_key: hg-client, secret: ${HG_HMAC_SECRET} }"
        case .tif: "{ type: tif, paas_id: hg-paas, token: ${HG_TIF_TOKEN} }"
        case .zjIRS: "{ type: zj-irs, app_key: hg-app, app_secret: ${HG_ZJ_APP_SECRET} }"
        case .oauth2: "{ type: oauth2-client-credentials, token_url: /oauth/token, client_id: hg-client, client_secret: ${HG_OAUTH_SECRET} }"
        }
    }

    /// The environment the YAML's `${…}` names resolve from.
    public static let environment: [String: String] = [
        "HG_API_KEY": "APIKEY-SECRET-4b1d",
        "HG_BEARER": "BEARER-SECRET-9e0f",
        "HG_BASIC_PASSWORD": "BASIC-SECRET-22aa",
        "HG_HMAC_SECRET": "HMAC-SECRET-71cc",
        "HG_TIF_TOKEN": "TIF-SECRET-0b3e",
        "HG_ZJ_APP_SECRET": "ZJ-APP-SECRET-c4d5",
        "HG_OAUTH_SECRET": "OAUTH-CLIENT-SECRET-8f6a",
        "HG_CUSTOM_HEADER": "CUSTOM-HEADER-SECRET-3d9b",
    ]

    /// Every secret value, configured or handed out at run time.
    public static let secrets: [String] = Array(environment.values)
        + [HostileGateway.zjRequestSecret, HostileGateway.zjRefreshSecret, HostileGateway.oauthAccessToken]
}
