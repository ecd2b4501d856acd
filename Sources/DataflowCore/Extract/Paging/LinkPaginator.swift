import DataflowHTTP
/// Decides the next request of a cursor-token, next-url or link-header walk (or none).
///
/// - `cursor`: the token at a body path or in a response header, sent back as a parameter with
///   the first request's parameters.
/// - `next-url`: a URL at a body path (CKAN `result._links.next`, OData `@odata.nextLink`),
///   relative or absolute, resolved against the page's URL.
/// - `link-header`: the RFC 8288 `rel="next"` target.
///
/// No token / no link ends the walk. A token or link seen before throws `RepeatedLink`, so a
/// gateway that keeps answering "next: the same page" cannot make the walk loop.
public struct LinkPaginator: Sendable {
    /// A next token or link that was already followed.
    public struct RepeatedLink: Error, Sendable, CustomStringConvertible {
        public var link: String
        /// The link without its query (which may repeat an API key); a token is shown by its length only.
        public var description: String { "the gateway sent the same next link twice (\(LinkPaginator.printable(link)))" }
    }

    /// A next link as it may be printed: query values whose names suggest a credential (key,
    /// token, secret, sign, password, auth) become `***`, as does a bare token's value.
    static func printable(_ link: String) -> String {
        if !link.contains("://") && !link.hasPrefix("/") {
            if let eq = link.firstIndex(of: "=") { return String(link[..<eq]) + "=<token of \(link.distance(from: eq, to: link.endIndex) - 1) characters>" }
            return "<token>"
        }
        return URLRedaction.maskingCredentials(link)
    }

    let pagination: PaginationConfig
    let firstParams: [PageTarget.Parameter]
    let path: String
    private var seen: Set<String> = []

    public init(pagination: PaginationConfig, firstParams: [(String, String)], path: String) {
        self.pagination = pagination
        self.firstParams = firstParams.map { PageTarget.Parameter($0.0, $0.1) }
        self.path = path
    }

    /// A URL without origin, with its parameters re-encoded: two spellings of one link agree.
    static func canonical(_ url: String) -> String {
        let (base, query) = URLResolver.split(url)
        return URLResolver.afterAuthority(base) + "?" + QueryString.build(query)
    }

    /// The next request after `page`, or nil when the walk is complete.
    public mutating func next(after page: FetchedPage) throws -> PageTarget? {
        if seen.isEmpty { seen.insert(Self.canonical(page.url)) }
        switch pagination {
        case .none, .page, .offset:
            return nil
        case .cursor(let c):
            let token: String?
            if let header = c.tokenHeader { token = page.headers(named: header).first } else {
                token = c.tokenPath.flatMap { page.body?.value(at: $0)?.text }
            }
            guard let token, !token.isEmpty else { return nil }
            let params = firstParams.filter { $0.name != c.param } + [PageTarget.Parameter(c.param, token)]
            guard seen.insert("token:" + token).inserted else { throw RepeatedLink(link: "\(c.param)=\(token)") }
            return .path(path, params)
        case .nextURL(let bodyPath):
            guard let link = page.body?.value(at: bodyPath)?.text, !link.isEmpty else { return nil }
            return try follow(URLResolver.resolve(link, against: page.finalURL ?? page.url), page: page)
        case .linkHeader:
            guard let link = LinkHeader.target(rel: "next", in: page.headers(named: "Link")) else { return nil }
            return try follow(URLResolver.resolve(link, against: page.finalURL ?? page.url), page: page)
        }
    }

    private mutating func follow(_ url: String, page: FetchedPage) throws -> PageTarget {
        guard seen.insert(Self.canonical(url)).inserted else { throw RepeatedLink(link: url) }
        return .url(url)
    }
}
