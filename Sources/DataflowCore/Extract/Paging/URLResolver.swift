import DataflowHTTP

/// Resolves next links (RFC 3986 §5.2, the cases gateways use) and splits URLs for re-signing.
public enum URLResolver {
    /// The origin of an absolute URL as messages show and compare it, `scheme://host[:port]`
    /// (see `Origin`): never its user info, which is a credential. Anything that is not an
    /// absolute http(s) URL is shown redacted (`URLRedaction`).
    public static func origin(of url: String) -> String {
        Origin(url: url)?.description ?? URLRedaction.redact(url)
    }

    /// What follows an absolute URL's authority: `/path?query#fragment` (the whole text when it
    /// has no `://`).
    static func afterAuthority(_ url: String) -> Substring {
        guard let (_, authority) = Origin.authority(of: url) else { return url[...] }
        return url[authority.upperBound...]
    }

    /// `link` resolved against `base` (the URL of the page that carried it). A path keeps the
    /// base's whole authority, user info included, as RFC 3986 resolution does.
    public static func resolve(_ link: String, against base: String) -> String {
        if link.hasPrefix("http://") || link.hasPrefix("https://") { return link }
        if link.hasPrefix("//") { return (base.hasPrefix("https") ? "https:" : "http:") + link }
        if link.hasPrefix("/") { return base.dropLast(afterAuthority(base).count) + link }
        let baseNoQuery = String(base.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)[0])
        if link.hasPrefix("?") { return baseNoQuery + link }
        let directory = baseNoQuery.lastIndex(of: "/").map { String(baseNoQuery[...$0]) } ?? baseNoQuery + "/"
        return directory + link
    }

    /// Splits an absolute URL into `scheme://host/path` and its decoded query parameters.
    public static func split(_ url: String) -> (base: String, query: [(String, String)]) {
        let noFragment = String(url.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false)[0])
        let parts = noFragment.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        var query: [(String, String)] = []
        if parts.count > 1 {
            for pair in parts[1].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                query.append((QueryString.decode(kv[0]), kv.count > 1 ? QueryString.decode(kv[1]) : ""))
            }
        }
        return (String(parts[0]), query)
    }
}

extension QueryString {
    /// Decodes `%XX` escapes and `+` (as a space); malformed escapes stay literal.
    public static func decode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        func hex(_ b: UInt8) -> UInt8? {
            switch b {
            case 0x30...0x39: return b - 0x30
            case 0x41...0x46: return b - 0x41 + 10
            case 0x61...0x66: return b - 0x61 + 10
            default: return nil
            }
        }
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "+") { out.append(0x20) } else if bytes[i] == UInt8(ascii: "%"), i + 2 < bytes.count,
                      let h = hex(bytes[i + 1]), let l = hex(bytes[i + 2]) {
                out.append(h << 4 | l)
                i += 2
            } else { out.append(bytes[i]) }
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}
