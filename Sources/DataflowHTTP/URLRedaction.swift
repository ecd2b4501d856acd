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
        var result = text
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
