import DataflowHTTP
import Foundation
import LoopbackGateway
import Testing
@testable import DataflowCore

/// Headers any client sends on its own; everything else a foreign host sees would be ours.
private let neutralHeaders: Set<String> = ["host", "user-agent", "accept", "accept-encoding"]

/// Asserts that `request` carries nothing of the source's: only neutral headers, exactly the
/// query the gateway's link or Location named, and no secret value anywhere.
private func expectBare(_ request: RecordedRequest, target: String, _ style: String, sourceLocation: SourceLocation = #_sourceLocation) {
    let extra = request.headers.filter { !neutralHeaders.contains($0.name.lowercased()) }
    #expect(extra.isEmpty, "\(style): the foreign host received \(extra)", sourceLocation: sourceLocation)
    #expect(request.target == target, "\(style): the foreign host was asked \(request.target)", sourceLocation: sourceLocation)
    #expect(request.body.isEmpty, sourceLocation: sourceLocation)
    let raw = request.target + request.headers.map(\.description).joined(separator: "\n")
    for secret in HostileAuthStyle.secrets {
        #expect(!raw.contains(secret), "\(style): \(secret) reached the foreign host", sourceLocation: sourceLocation)
    }
}

@Suite("Credentials stay with their origin")
struct CredentialOriginTests {
    static func followLines(_ gateway: HostileGateway) -> String { "    follow_hosts: [\"\(gateway.otherHost)\"]" }

    @Test func aSameOriginRedirectIsFollowedAndSignedAfresh() throws {
        let server = try LoopbackHTTPServer { request, _ in
            request.target.hasPrefix("/old")
                ? .response(status: 302, reason: "Found", headers: [("Location", "/api/items?page=1")])
                : jsonAction(onePage)
        }
        let h = try ClientHarness(baseURL: server.url(""), auth: HostileAuthStyle.hmacBcdsg.yaml)
        let page = try h.fetch(.path("/old", params: []))
        #expect(page.records.count == 1)
        let hops = server.requests
        #expect(hops.map { String($0.target.prefix(4)) } == ["/old", "/api"])
        // The second hop is signed for its own path: the signature headers differ.
        let signature = { (r: RecordedRequest) in r.headers.first { $0.name.lowercased().hasPrefix("x-bg-hmac-signature") }?.value }
        #expect(signature(hops[0]) != nil && signature(hops[1]) != nil && signature(hops[0]) != signature(hops[1]))
        #expect(hops[1].header("X-Custom-Auth") == HostileAuthStyle.environment["HG_CUSTOM_HEADER"])
        #expect(page.finalURL?.hasSuffix("/api/items?page=1") == true, "the page says where the answer came from")
    }

    @Test(arguments: [302, 301, 303, 307, 308])
    func aRedirectToAnotherHostIsRefusedNamingIt(status: Int) throws {
        let gateway = try HostileGateway(mode: .redirect(status))
        let h = try ClientHarness(baseURL: gateway.baseURL, auth: HostileAuthStyle.apiKeyHeader.yaml)
        let error = try #require(throws: ForeignOriginRefused.self) { try h.fetch() }
        #expect(error.host == gateway.otherHost)
        #expect(error.description.contains("redirected (HTTP \(status)) to another host, \(gateway.otherHost)"))
        #expect(error.description.contains("follow_hosts"))
        #expect(gateway.foreignRequests.isEmpty)
        #expect(h.events.isEmpty, "a refusal is not retried")
    }

    @Test func localhostAndLoopbackAddressAreDifferentOrigins() throws {
        let server = try LoopbackHTTPServer { _, _ in .close }
        let target = try LoopbackHTTPServer { request, _ in
            request.target.hasPrefix("/old")
                ? .response(status: 302, reason: "Found", headers: [("Location", "http://localhost:\(server.port)/api/items")])
                : jsonAction(onePage)
        }
        let h = try ClientHarness(baseURL: target.url(""), auth: HostileAuthStyle.bearer.yaml)
        let error = try #require(throws: ForeignOriginRefused.self) { try h.fetch(.path("/old", params: [])) }
        #expect(error.host == "localhost:\(server.port)")
        #expect(server.requests.isEmpty)
    }

    @Test(arguments: [HostileGateway.Mode.nextLink, .linkHeader])
    func aNextLinkToAnotherHostIsRefusedNamingIt(mode: HostileGateway.Mode) throws {
        let gateway = try HostileGateway(mode: mode)
        let h = try ClientHarness(baseURL: gateway.baseURL, auth: HostileAuthStyle.apiKeyQuery.yaml)
        let first = try h.fetch()
        var paginator = LinkPaginator(pagination: mode == .nextLink ? .nextURL(path: ["data", "next"]) : .linkHeader,
                                      firstParams: [("page", "1")], path: "/api/items")
        let next = try #require(try paginator.next(after: first))
        let error = try #require(throws: ForeignOriginRefused.self) { try h.fetch(next) }
        #expect(error.via == .nextLink && error.host == gateway.otherHost)
        #expect(error.description.contains("sent a next link to another host, \(gateway.otherHost)"))
        #expect(gateway.foreignRequests.isEmpty)
    }

    @Test(arguments: HostileAuthStyle.allCases)
    func aFollowHostReceivesNoCredentialOfAnyStyle(style: HostileAuthStyle) throws {
        let gateway = try HostileGateway(mode: .redirect(307))
        let h = try ClientHarness(baseURL: gateway.baseURL, auth: style.yaml, sourceLines: Self.followLines(gateway))

        // A redirect to the listed host: followed, bare.
        let redirected = try h.fetch()
        #expect(redirected.finalURL?.contains(gateway.otherHost) == true && redirected.records.isEmpty)
        // Next links (body and Link header) to the listed host: followed, bare.
        gateway.mode = .nextLink
        let own = try h.fetch()
        #expect(own.finalURL == nil && own.records.count == 3)
        let viaBody = try h.fetch(.url(try #require(own.body?.value(at: ["data", "next"])?.text)))
        gateway.mode = .linkHeader
        let ownAgain = try h.fetch()
        let link = try #require(LinkHeader.target(rel: "next", in: ownAgain.headers(named: "Link")))
        let viaHeader = try h.fetch(.url(link))
        #expect(viaBody.url.contains(gateway.otherHost) && viaHeader.url.contains(gateway.otherHost))

        let foreign = gateway.foreignRequests
        #expect(foreign.count == 3)
        guard foreign.count == 3 else { return }
        expectBare(foreign[0], target: "/api/items?page=1", style.rawValue)
        expectBare(foreign[1], target: "/api/items?page=2", style.rawValue)
        expectBare(foreign[2], target: "/api/items?page=2", style.rawValue)
        // The same style did sign the gateway's own requests (so the check above means something).
        let dataRequests = gateway.gatewayRequests.filter { $0.target.hasPrefix("/api/items") }
        #expect(dataRequests.allSatisfy { $0.header("X-Custom-Auth") != nil })
        #expect(dataRequests.allSatisfy { $0.headers.count > 5 || $0.target.count > "/api/items?page=1".count },
                "\(style.rawValue) added no credential on its own origin")
    }

    @Test func aChainOfRedirectsIsBounded() throws {
        let server = try LoopbackHTTPServer { _, index in
            .response(status: 302, reason: "Found", headers: [("Location", "/loop/\(index + 1)")])
        }
        let h = try ClientHarness(baseURL: server.url(""))
        let error = try #require(throws: GatewayError.self) { try h.fetch() }
        #expect(error.message.contains("more than \(SourceRequestPath.maxRedirects) redirects"))
        #expect(server.requests.count == SourceRequestPath.maxRedirects + 1)
    }

    @Test func followHostsAreValidatedWithFileLineAndColumn() throws {
        for bad in ["https://cdn.example.org", "cdn.example.org/path", "*.example.org", "cdn.example.org:99999"] {
            let error = try #require(throws: ConfigError.self) {
                _ = try ClientHarness(baseURL: "http://127.0.0.1:9", sourceLines: "    follow_hosts: [\"\(bad)\"]")
            }
            #expect(error.description.contains("follow_hosts entries are host names"), "\(bad): \(error)")
            #expect(error.position?.line != nil)
        }
        _ = try ClientHarness(baseURL: "http://127.0.0.1:9", sourceLines: "    follow_hosts: [cdn.example.org, \"CDN2.example.org:8443\", \"[::1]:8080\"]")
    }

    /// `user:password@` is a credential: no origin holds it, so no message can show it; only
    /// resolving a link keeps it (RFC 3986), since the next page goes where the first went.
    @Test func anOriginNeverHoldsUserInfo() throws {
        #expect(URLResolver.origin(of: "https://user:pa55@GW.example.gov.cn:443/api?x=1") == "https://gw.example.gov.cn")
        #expect(URLResolver.origin(of: "http://user:pa55@127.0.0.1:8080") == "http://127.0.0.1:8080")
        #expect(!URLResolver.origin(of: "ftp://user:pa55@files.example.org/x").contains("pa55"))
        #expect(URLResolver.resolve("/next?p=2", against: "https://u:pa55@gw.example.gov.cn/api/x") == "https://u:pa55@gw.example.gov.cn/next?p=2")
        var ledger = PassLedger(dataset: "d", ownOrigin: URLResolver.origin(of: "https://user:pa55@gw.example.gov.cn/api"))
        try ledger.record(records: 1, total: nil, url: "https://user:pa55@gw.example.gov.cn/api?p=1", finalURL: nil, fingerprint: 1,
                          maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        try ledger.record(records: 1, total: nil, url: "https://user:pa55@gw.example.gov.cn/api?p=2", finalURL: "https://user:pa55@cdn.example.org/p2",
                          fingerprint: 2, maxCursor: nil, withoutCursor: 0, keylessRejects: [])
        ledger.end(.emptyPage, total: nil)
        guard case .uncertain(let why) = ledger.verdict(distinctKeys: 2) else { Issue.record("a foreign answer made the pass complete"); return }
        #expect(why == "answers came from https://cdn.example.org, not the source's own origin https://gw.example.gov.cn; they do not count towards a complete pass", "\(why)")
    }

    @Test func originsCompareSchemeHostAndPort() {
        let own = Origin(url: "https://GW.example.gov.cn/api")
        #expect(own == Origin(url: "https://gw.example.gov.cn:443/next?x=1"))
        #expect(own != Origin(url: "http://gw.example.gov.cn/api"))
        #expect(own != Origin(url: "https://gw.example.gov.cn:8443/api"))
        #expect(Origin(url: "https://user:pw@gw.example.gov.cn/x") == own)
        #expect(Origin(url: "http://[::1]:8080/x")?.hostAndPort == "[::1]:8080")
        #expect(Origin(url: "/relative") == nil && Origin(url: "ftp://x/y") == nil)
        let policy = OriginPolicy(own: [own].compactMap { $0 }, followHosts: ["cdn.example.org", "files.example.org:8443"])
        #expect(policy.classify("https://gw.example.gov.cn/a") == .own)
        #expect(policy.classify("https://cdn.example.org:444/a") != .refused("cdn.example.org:444"))
        #expect(policy.classify("https://files.example.org/a") == .refused("files.example.org"))
        #expect(policy.classify("https://evil.example.org/a") == .refused("evil.example.org"))
    }
}
