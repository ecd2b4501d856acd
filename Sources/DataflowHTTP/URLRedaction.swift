/// Makes URLs safe to log: keeps `scheme://host[:port]/path`, drops user info, query and fragment.
///
/// Gateway URLs carry signatures, app keys and tokens in their query strings; every message
/// this module produces goes through here.
///
/// ```swift
/// URLRedaction.redact("https://u:p@gw.example.gov.cn/api/x.htm?appKey=K&sign=S")
/// // "https://gw.example.gov.cn/api/x.htm"
/// ```
public enum URLRedaction {
    /// The URL without user info, query string or fragment.
    public static func redact(_ url: String) -> String {
        // Cut at the first '?' or '#': nothing after either is ever shown.
        let cut = url.firstIndex { $0 == "?" || $0 == "#" } ?? url.endIndex
        let head = url[..<cut]
        guard let schemeEnd = head.firstRange(of: "://") else { return String(head) }
        let afterScheme = head[schemeEnd.upperBound...]
        let authorityEnd = afterScheme.firstIndex(of: "/") ?? afterScheme.endIndex
        var authority = afterScheme[..<authorityEnd]
        if let at = authority.lastIndex(of: "@") {
            authority = authority[authority.index(after: at)...]
        }
        return String(head[..<schemeEnd.upperBound]) + authority + afterScheme[authorityEnd...]
    }

    /// `text` with the password of every URL's user info masked (`https://u:***@host`), and a
    /// user info without a password (often a token: `https://TOKEN@host`) masked whole: for
    /// messages that may quote a URL dataflow did not build — a proxy from the environment in
    /// libcurl's text, a configuration value in an error.
    ///
    /// ```swift
    /// URLRedaction.maskingUserInfo("Unsupported proxy scheme for 'htp://pu:Secret9@10.0.0.1:1'")
    /// // "Unsupported proxy scheme for 'htp://pu:***@10.0.0.1:1'"
    /// ```
    public static func maskingUserInfo(_ text: String) -> String {
        guard text.contains("@"), text.contains("://") else { return text }
        return text.replacing(#/([A-Za-z][A-Za-z0-9+.\-]*://)([^\s/?#@'"<>]*)@/#) { match in
            let (scheme, info) = (match.output.1, match.output.2)
            guard info != "***", !info.hasSuffix(":***") else { return String(match.output.0) }
            if let colon = info.firstIndex(of: ":") { return scheme + info[..<colon] + ":***@" }
            return scheme + "***@"
        }
    }

    /// `text` with any occurrence of `url`'s query string, fragment or user info replaced,
    /// for messages from libraries that might echo the URL back.
    public static func scrub(_ text: String, url: String) -> String {
        var secrets: [Substring] = []
        if let q = url.firstIndex(where: { $0 == "?" || $0 == "#" }) {
            let tail = url[url.index(after: q)...]
            secrets.append(contentsOf: tail.split(whereSeparator: { $0 == "&" || $0 == "#" || $0 == "?" }))
            secrets.append(tail)
        }
        if let schemeEnd = url.firstRange(of: "://") {
            let rest = url[schemeEnd.upperBound...]
            let authority = rest[..<(rest.firstIndex { "/?#".contains($0) } ?? rest.endIndex)]
            if let at = authority.lastIndex(of: "@") { secrets.append(authority[..<at]) }
        }
        var result = maskingUserInfo(text)
        // Longest first, so a whole query string goes before its parts.
        for secret in secrets.sorted(by: { $0.count > $1.count }) where secret.count >= 3 {
            result = result.replacing(secret, with: "…")
        }
        return result
    }

    /// Words that make a parameter or header name credential-like (`appKey`, `sign`,
    /// `access_token`, `X-API-Key`, `Authorization`, `client_secret`, `password`, …).
    public static let credentialWords = ["key", "token", "secret", "sign", "password", "passwd", "auth", "credential", "cookie", "session"]

    /// Whether a parameter or header named `name` carries a credential (case-insensitive).
    public static func isCredentialName(_ name: String) -> Bool {
        let lower = name.lowercased()
        return credentialWords.contains { lower.contains($0) }
    }

    /// `url` with the values of credential-like query parameters replaced by `***`, the rest kept
    /// (for next links a user needs to see).
    public static func maskingCredentials(_ url: String) -> String {
        guard let q = url.firstIndex(of: "?") else { return url }
        let pairs = url[url.index(after: q)...].split(separator: "&", omittingEmptySubsequences: false).map { pair -> String in
            guard let eq = pair.firstIndex(of: "=") else { return String(pair) }
            return isCredentialName(String(pair[..<eq])) ? String(pair[..<eq]) + "=***" : String(pair)
        }
        return String(url[..<q]) + "?" + pairs.joined(separator: "&")
    }
}
