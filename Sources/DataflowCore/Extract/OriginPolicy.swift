import DataflowHTTP

/// Who may receive a source's credentials, and which other hosts it may ask without them.
///
/// Credentials (the authenticator's query keys, headers, signatures and tokens, and the source's
/// own `headers:`) go only to the origins of its `base_url` and, for OAuth, its `token_url`. A
/// host listed under `follow_hosts:` may be asked — with no credentials at all — when a redirect
/// or a next link points there; any other host is refused.
///
/// ```swift
/// let policy = OriginPolicy(source: source)
/// switch policy.classify("https://cdn.example.org/page2") {
/// case .own: /* sign and send */
/// case .credentialFree: /* send bare */
/// case .refused(let origin): throw ForeignOriginRefused(...)
/// }
/// ```
public struct OriginPolicy: Sendable {
    /// What a URL's origin allows.
    public enum Verdict: Equatable, Sendable {
        /// The source's own origin: credentials go with the request.
        case own
        /// A `follow_hosts:` host: asked with no credentials; its answers never prove a pass complete.
        case credentialFree
        /// Any other origin (or no usable origin at all): not asked.
        case refused(String)
    }

    /// The origins that receive credentials.
    public let own: [Origin]
    /// `follow_hosts:` entries, lower case: `host` (any port) or `host:port`.
    public let followHosts: [String]

    public init(own: [Origin], followHosts: [String]) {
        self.own = own
        self.followHosts = followHosts.map { $0.lowercased() }
    }

    /// The policy of a configured source: `base_url` and the URLs its auth style sends
    /// credentials to (an absolute OAuth `token_url`) are its own.
    public init(source: SourceConfig) {
        var own: [Origin] = []
        for url in [source.baseURL] + source.auth.style.otherCredentialURLs {
            if let origin = Origin(url: url), !own.contains(origin) { own.append(origin) }
        }
        self.init(own: own, followHosts: source.followHosts)
    }

    public func classify(_ url: String) -> Verdict {
        guard let origin = Origin(url: url) else { return .refused(URLRedaction.redact(url)) }
        if own.contains(origin) { return .own }
        let host = origin.host.contains(":") ? "[\(origin.host)]" : origin.host
        if followHosts.contains(host) || followHosts.contains("\(host):\(origin.port)") { return .credentialFree }
        return .refused(origin.hostAndPort)
    }
}

/// A redirect or a next link pointed at a host that is neither the source's own origin nor listed
/// under `follow_hosts:`; nothing was sent there.
public struct ForeignOriginRefused: Error, Sendable, CustomStringConvertible {
    /// How the gateway pointed away: a redirect (with its status) or a next link.
    public enum Via: Sendable, Equatable {
        case redirect(status: Int)
        case nextLink
    }
    public var source: String
    /// The path that was asked (no query).
    public var path: String
    /// The other host, as `host[:port]`.
    public var host: String
    public var via: Via
    /// The source's own origin, for the message.
    public var own: String

    public var description: String {
        let what: String
        switch via {
        case .redirect(let status): what = "redirected (HTTP \(status)) to another host, \(host)"
        case .nextLink: what = "sent a next link to another host, \(host)"
        }
        return "source '\(source)' \(path): the gateway \(what); refused, so no credential leaves \(own). "
            + "If \(host) really serves this data, list it under follow_hosts: in dataflow.yml (it is then asked with no credentials at all)"
    }
}
