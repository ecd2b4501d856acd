import DataflowHTTP
import Foundation
import LoopbackGateway
import Testing
@testable import DataflowCore

/// A source client over a real CurlTransport (injected, no proxy) against loopback servers, with
/// its sleeps and retry events recorded instead of waited.
final class ClientHarness: @unchecked Sendable {
    let project: TestProject
    let client: SourceClient
    let request: RequestConfig
    let downloads: DownloadFolder
    private let lock = NSLock()
    private var _events: [RetryEvent] = []
    private var _sleeps: [Double] = []
    var events: [RetryEvent] { lock.withLock { _events } }
    var causes: [String] { events.map(\.cause) }
    var sleeps: [Double] { lock.withLock { _sleeps } }

    /// - Parameters:
    ///   - sourceLines: extra lines under the source (4-space indent).
    ///   - requestLines: the dataset's `request:` body (4-space indent).
    init(baseURL: String, auth: String = "{ type: none }", sourceLines: String = "", retries: Int = 3, timeout: String = "10s",
         requestLines: String = "    path: /api/items\n    records: data.list\n    pagination: { type: next-url, path: data.next }") throws {
        let config = HostileProjectYAML.config(baseURL: baseURL, auth: auth, envelopeErrors: #"{ "96": retry, "18": quota }"#,
                                               timeout: timeout, retries: retries, sourceLines: sourceLines)
        let dataset = HostileProjectYAML.items(request: requestLines)
        project = try TestProject(config: config, datasets: ["items.yml": dataset])
        let loaded = try project.load(environment: HostileAuthStyle.environment)
        let source = try #require(loaded.source(named: "hostile"))
        request = try #require(loaded.dataset(named: "items")).request
        downloads = DownloadFolder(project: loaded)
        let transport = try CurlTransport(options: SourceClient.transportOptions(for: source))
        var recordEvent: (RetryEvent) -> Void = { _ in }
        var recordSleep: (Double) -> Void = { _ in }
        client = try SourceClient(source: source, redactor: Redactor(project: loaded), downloads: downloads, transport: transport,
                                  onRetry: { recordEvent($0) }, sleep: { recordSleep($0) })
        recordEvent = { [unowned self] event in lock.withLock { _events.append(event) } }
        recordSleep = { [unowned self] seconds in lock.withLock { _sleeps.append(seconds) } }
    }

    func fetch(_ target: PageTarget = .path("/api/items", params: [("page", "1")])) throws -> FetchedPage {
        try client.fetch(target, request: request, totalPath: ["data", "total"])
    }

    /// Streams a download; returns the page and every record handed on.
    func stream(_ target: PageTarget = .path("/export", params: [])) throws -> (page: FetchedPage, records: [JSONValue]) {
        var records: [JSONValue] = []
        let page = try client.fetchStreaming(target, request: request, batch: 2) { records += $0 }
        return (page, records)
    }
}

func jsonAction(_ body: String, status: Int = 200, headers: [(String, String)] = []) -> ServerAction {
    .response(status: status, headers: [("Content-Type", "application/json")] + headers, body: body)
}

let onePage = #"{"code":"00","msg":"ok","data":{"list":[{"id":"K1","name":"one"}],"total":1}}"#

@Suite("SourceClient: one request path over an injected transport")
struct SourceClientTests {
    @Test func anEnvelopeRetryCodeGoesThroughTheOneLoopAndEachRetryIsReported() throws {
        let server = try LoopbackHTTPServer { _, index in
            index < 2 ? jsonAction(#"{"code":"96","msg":"busy, try again"}"#) : jsonAction(onePage)
        }
        let h = try ClientHarness(baseURL: server.url(""))
        let page = try h.fetch()
        #expect(page.records.count == 1 && page.total == 1)
        #expect(server.requests.count == 3)
        #expect(h.causes == ["envelope-retry", "envelope-retry"])
        #expect(h.sleeps.count == 2, "one wait per retry, nothing stacked")
        #expect(h.events.first?.reason.contains("busy, try again") == true)
    }

    @Test func faultsOfEveryKindShareOneRetryBudget() throws {
        // A 503, a JSON body cut short (Content-Length matches, the JSON does not close), an
        // envelope retry: three different causes, and `retries: 2` allows two retries in all —
        // before, the transport and the client each had their own budget and backoff.
        let server = try LoopbackHTTPServer { _, index in
            switch index {
            case 0: return jsonAction("unavailable", status: 503)
            case 1: return jsonAction(#"{"code":"00","data":{"list":[{"id":"K1""#)
            default: return jsonAction(#"{"code":"96","msg":"busy"}"#)
            }
        }
        let h = try ClientHarness(baseURL: server.url(""), retries: 2)
        let error = try #require(throws: GatewayError.self) { try h.fetch() }
        #expect(error.code == "96")
        #expect(server.requests.count == 3)
        #expect(h.causes == ["http-503", "malformed-body"])
    }

    @Test func aTimeoutIsRetriedAndReportedWithItsCause() throws {
        let server = try LoopbackHTTPServer { _, index in index == 0 ? .hang : jsonAction(onePage) }
        let h = try ClientHarness(baseURL: server.url(""), timeout: "300ms")
        #expect(try h.fetch().records.count == 1)
        #expect(h.causes == ["timeout"])
        #expect(h.events.first?.reason.contains("?page") == false, "a retry reason never shows the query")
    }

    @Test func quotaStopsTheSourceAndLaterCallsSendNothing() throws {
        let server = try LoopbackHTTPServer { _, _ in jsonAction(#"{"code":"18","msg":"daily quota used"}"#) }
        let h = try ClientHarness(baseURL: server.url(""))
        #expect(throws: QuotaExceeded.self) { try h.fetch() }
        #expect(throws: QuotaExceeded.self) { try h.fetch() }
        #expect(server.requests.count == 1)
        #expect(h.events.isEmpty)
    }

    @Test func anHTTP401RenewsTheTokenOnceAndRepeatsTheRequest() throws {
        // The token endpoint hands out FIRST then SECOND (counted per server below).
        let counter = TokenCounter()
        let gateway = try LoopbackHTTPServer { request, _ in
            if request.target.hasPrefix("/oauth/token") {
                return jsonAction(#"{"access_token":"\#(counter.next())","expires_in":3600}"#)
            }
            return request.header("Authorization") == "Bearer SECOND-TOKEN" ? jsonAction(onePage) : jsonAction("expired", status: 401)
        }
        let h = try ClientHarness(baseURL: gateway.url(""), auth: HostileAuthStyle.oauth2.yaml)
        let page = try h.fetch()
        #expect(page.records.count == 1)
        #expect(page.requests == 2, "one 401, then the repeat with a new token")
        #expect(gateway.requests.filter { $0.target.hasPrefix("/oauth/token") }.count == 2)
        #expect(h.events.isEmpty, "a renewal is not a retry")
    }

    /// A cursor walk maps the page before while its next request is out (`WaitingWork`); the
    /// page must be handed on whatever the request does, so the work has run when `fetch`
    /// returns, throws on the gateway's answer, or throws before sending anything.
    @Test func theWorkGivenToAFetchHasRunWhenItReturnsOrThrows() throws {
        let server = try LoopbackHTTPServer { _, index in
            switch index {
            case 0: return jsonAction(onePage)
            case 1: return jsonAction("no", status: 403)
            default: return jsonAction(#"{"code":"18","msg":"daily quota used"}"#)
            }
        }
        let h = try ClientHarness(baseURL: server.url(""))
        var ran: [String] = []
        func fetch(_ name: String) throws {
            _ = try h.client.fetch(.path("/api/items", params: [("page", "1")]), request: h.request, totalPath: ["data", "total"],
                                   whileWaiting: WaitingWork { ran.append(name) })
        }
        try fetch("answered")
        #expect(throws: GatewayError.self) { try fetch("refused") }
        #expect(throws: QuotaExceeded.self) { try fetch("quota") }
        #expect(throws: QuotaExceeded.self) { try fetch("never sent") }
        #expect(ran == ["answered", "refused", "quota", "never sent"])
        #expect(server.requests.count == 3, "the last fetch sent nothing")
    }

    @Test func anHTTP403IsNotRetried() throws {
        let server = try LoopbackHTTPServer { _, _ in jsonAction("no", status: 403) }
        let h = try ClientHarness(baseURL: server.url(""))
        let error = try #require(throws: GatewayError.self) { try h.fetch() }
        #expect(error.message.contains("HTTP 403 (not authorized)"))
        #expect(server.requests.count == 1)
    }
}

/// Hands out FIRST-TOKEN, then SECOND-TOKEN for every later call.
final class TokenCounter: @unchecked Sendable {
    private let lock = NSLock()
    private var calls = 0
    func next() -> String { lock.withLock { calls += 1; return calls == 1 ? "FIRST-TOKEN" : "SECOND-TOKEN" } }
}
