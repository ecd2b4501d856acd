/// The origin of a URL (RFC 6454): scheme, host and port — what decides who may see a credential.
///
/// Scheme and host compare case-insensitively; a missing port is the scheme's default, so
/// `https://GW.example.gov.cn` and `https://gw.example.gov.cn:443/api` are one origin, while
/// `http://127.0.0.1:8080` and `http://localhost:8080` are two.
///
/// ```swift
/// let own = Origin(url: "https://gw.example.gov.cn/gateway/api")
/// own == Origin(url: "https://gw.example.gov.cn:443/next?page=2")   // true
/// own == Origin(url: "https://cdn.example.org/next")                 // false
/// ```
public struct Origin: Hashable, Sendable, CustomStringConvertible {
    /// `http` or `https`, lower case.
    public var scheme: String
    /// The host name or address, lower case, without brackets.
    public var host: String
    /// The port, the scheme's default when the URL names none.
    public var port: Int

    /// The origin of an absolute `http(s)` URL; `nil` for anything else (relative, other schemes,
    /// an unparseable port).
    public init?(url: String) {
        guard let (schemeEnd, authorityRange) = Self.authority(of: url) else { return nil }
        let scheme = url[..<schemeEnd].lowercased()
        guard scheme == "http" || scheme == "https" else { return nil }
        var authority = url[authorityRange]
        // User info (`user:password@`) is a credential, never part of an origin.
        if let at = authority.lastIndex(of: "@") { authority = authority[authority.index(after: at)...] }
        var host = Substring(authority)
        var port = scheme == "https" ? 443 : 80
        if host.hasPrefix("[") {
            // IPv6 literal: [::1]:8080
            guard let close = host.firstIndex(of: "]") else { return nil }
            let after = host[host.index(after: close)...]
            host = host[host.index(after: host.startIndex)..<close]
            if after.hasPrefix(":") {
                guard let p = Int(after.dropFirst()), (0...65535).contains(p) else { return nil }
                port = p
            } else if !after.isEmpty { return nil }
        } else if let colon = host.lastIndex(of: ":") {
            let text = host[host.index(after: colon)...]
            if !text.isEmpty {
                guard let p = Int(text), (0...65535).contains(p) else { return nil }
                port = p
            }
            host = host[..<colon]
        }
        guard !host.isEmpty else { return nil }
        self.scheme = scheme
        self.host = host.lowercased()
        self.port = port
    }

    /// Where an absolute URL's scheme ends (before `://`) and where its authority
    /// (`user:password@host:port`) lies: up to the first `/`, `?` or `#`. Nil without `://`. The
    /// one place dataflow finds a URL's authority: `Origin` reads the host there, and resolving a
    /// link keeps what comes before its end.
    public static func authority(of url: String) -> (schemeEnd: String.Index, authority: Range<String.Index>)? {
        guard let separator = url.range(of: "://") else { return nil }
        let rest = url[separator.upperBound...]
        let end = rest.firstIndex { $0 == "/" || $0 == "?" || $0 == "#" } ?? rest.endIndex
        return (separator.lowerBound, separator.upperBound..<end)
    }

    /// `host` or `host:port` when the port is not the scheme's default — how errors name a host.
    public var hostAndPort: String {
        let shown = host.contains(":") ? "[\(host)]" : host
        return port == (scheme == "https" ? 443 : 80) ? shown : "\(shown):\(port)"
    }

    public var description: String { "\(scheme)://\(hostAndPort)" }
}
