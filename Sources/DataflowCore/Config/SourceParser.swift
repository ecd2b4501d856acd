import Foundation
import DataflowHTTP

/// Parses one entry of `sources:` in dataflow.yml.
struct SourceParser {
    let interpolator: Interpolator
    /// The project folder: a relative `ca_bundle` is found from here.
    var root: String?
    /// Problems that do not stop a run (credentials over plain http), in file order.
    private(set) var warnings: [ConfigError] = []

    init(interpolator: Interpolator, root: String? = nil) {
        self.interpolator = interpolator
        self.root = root
    }

    mutating func parse(name: String, node: YAMLNode) throws(ConfigError) -> SourceConfig {
        var m = try MappingReader(node, what: "source '\(name)'", interpolator: interpolator)
        if try m.choice("type", ["http", "sql"]) == "sql" { return try parseSQL(name: name, &m) }
        let baseURL = try SourceParser.checkedBaseURL(try m.requiredString("base_url"), at: m.keyPosition("base_url"))
        let auth = try AuthRegistry.parse(&m)
        let envelope = try parseEnvelope(&m)
        var rateLimit: Double?
        if let text = try m.string("rate_limit") {
            guard let rate = SourceParser.parseRate(text) else {
                throw ConfigError("rate_limit must look like 5/s or 300/m, found '\(text)'", at: m.keyPosition("rate_limit"))
            }
            guard SourceConfig.rateLimitRange.contains(rate) else {
                throw ConfigError("rate_limit must be between 1/h and 1000/s (leave it out for no limit), found '\(text)'", at: m.keyPosition("rate_limit"))
            }
            rateLimit = rate
        }
        let timeout = try m.duration("timeout", range: SourceConfig.timeoutRange) ?? 30
        let retries = try m.int("retries", range: 0...20) ?? 5
        let backoff = try m.duration("retry_backoff", range: SourceConfig.retryBackoffRange) ?? 0.5
        let caBundle = try caBundle(&m)
        let headers = try m.stringMap("headers") ?? []
        let proxy = try m.string("proxy").map { text throws(ConfigError) in try SourceParser.checkedProxy(text, at: m.keyPosition("proxy")) }
        let concurrency = try m.int("concurrency", range: 1...64) ?? 1
        let maxTombstones = try m.tombstoneLimit("max_tombstones")
        let preset = try m.choice("preset", Preset.allCases.map(\.rawValue)).flatMap(Preset.init(rawValue:))
        let followHosts = try parseFollowHosts(&m)
        let maxDownload = try m.byteSize("max_download", range: 1024...Int.max) ?? SourceConfig.defaultMaxDownload
        try m.finish()
        var source = SourceConfig(name: name, baseURL: String(baseURL.hasSuffix("/") ? baseURL.dropLast() : baseURL[...]),
                                  auth: auth, envelope: envelope, rateLimit: rateLimit, timeout: timeout, retries: retries,
                                  retryBackoff: backoff, caBundle: caBundle, headers: headers, position: m.position)
        source.proxy = proxy
        source.concurrency = concurrency
        source.maxTombstones = maxTombstones
        source.preset = preset
        source.followHosts = followHosts
        source.maxDownload = maxDownload
        if let warning = SourceParser.plainHTTPCredentials(source, at: m.keyPosition("base_url") ?? m.position) { warnings.append(warning) }
        if let warning = SourceParser.shortSecret(source, at: m.keyPosition("auth") ?? m.position) { warnings.append(warning) }
        return source
    }

    /// `base_url` as every request of the source is built from it, credentials with it: an absolute
    /// `http(s)` URL with a host and a valid port (the scheme written in lower case), and nothing
    /// that would reach the gateway outside `auth:` and `request.params` — no user name or
    /// password (they would show in every message that names the URL), no query string (each
    /// path would be appended after it) and no fragment. Errors show the URL without user info,
    /// query or fragment.
    static func checkedBaseURL(_ url: String, at position: SourcePosition?) throws(ConfigError) -> String {
        let shown = url.contains("://") ? URLRedaction.redact(url)
            : url.contains("@") ? "(not shown: it holds an @, perhaps a password)" : url
        guard let schemeEnd = url.firstRange(of: "://"), ["http", "https"].contains(url[..<schemeEnd.lowerBound].lowercased()) else {
            throw ConfigError("base_url must start with http:// or https://, found '\(shown)'", at: position)
        }
        guard !Self.holdsSpaceOrControl(url) else {
            throw ConfigError("base_url '\(Redactor.escapingControls(shown))' holds a space or control character", at: position)
        }
        if let (_, authority) = Origin.authority(of: url), url[authority].contains("@") {
            throw ConfigError("base_url '\(shown)' holds a user name or password; give credentials under auth: (basic, api-key, …), "
                              + "where they are kept out of messages", at: position)
        }
        if url.contains("?") || url.contains("#") {
            throw ConfigError("base_url '\(shown)' holds a query string or fragment; put fixed parameters under each dataset's request.params", at: position)
        }
        guard Origin(url: url) != nil else {
            throw ConfigError("base_url '\(shown)' has no host, or a port that is not a number from 0 to 65535", at: position)
        }
        return url[..<schemeEnd.lowerBound].lowercased() + url[schemeEnd.lowerBound...]
    }

    /// `proxy:` as libcurl reads it: "" (no proxy, whatever the environment says), or
    /// `[scheme://][user:password@]host[:port]` with an `http`, `https`, `socks4`, `socks4a`,
    /// `socks5` or `socks5h` scheme (none is `http`). A proxy password is a secret
    /// (`ProjectConfig.secretValues`); errors show the value without it.
    static func checkedProxy(_ text: String, at position: SourcePosition?) throws(ConfigError) -> String {
        if text.isEmpty { return text }
        if !text.contains("://"), text.contains("@") {
            throw ConfigError("proxy holds a user name or password but no scheme; write it as http://user:password@host:port", at: position)
        }
        // Without a scheme libcurl takes http://.
        let url = text.contains("://") ? text : "http://" + text
        let shown = URLRedaction.maskingUserInfo(url)
        guard let (schemeEnd, authority) = Origin.authority(of: url) else { preconditionFailure("url holds ://") }
        let scheme = url[..<schemeEnd].lowercased()
        guard ["http", "https", "socks4", "socks4a", "socks5", "socks5h"].contains(scheme) else {
            throw ConfigError("proxy '\(shown)' has the scheme '\(Redactor.escapingControls(scheme))'; expected http://, https://, socks4://, socks4a://, socks5:// or socks5h://", at: position)
        }
        guard url[authority.upperBound...].allSatisfy({ $0 == "/" }), !Self.holdsSpaceOrControl(url),
              Origin(url: "http://" + url[authority]) != nil else {
            throw ConfigError("proxy '\(Redactor.escapingControls(shown))' is not a proxy URL: expected [scheme://][user:password@]host[:port]", at: position)
        }
        return text
    }

    /// Whether a URL holds a space, a line break or another control character.
    private static func holdsSpaceOrControl(_ url: String) -> Bool {
        url.unicodeScalars.contains { $0.properties.isWhitespace || $0.value < 0x20 || $0.value == 0x7F }
    }

    /// The password in a proxy URL's user info, percent-decoded as libcurl sends it, if any.
    static func proxyPassword(_ proxy: String) -> String? {
        guard let (_, range) = Origin.authority(of: proxy) else { return nil }
        let authority = proxy[range]
        guard let at = authority.lastIndex(of: "@"), let colon = authority[..<at].firstIndex(of: ":") else { return nil }
        let password = String(authority[authority.index(after: colon)..<at])
        return password.isEmpty ? nil : (password.removingPercentEncoding ?? password)
    }

    /// `ca_bundle:` must name a readable file (relative to the project folder): a missing bundle
    /// would otherwise pass `validate` and fail every sync with a curl code.
    private func caBundle(_ m: inout MappingReader) throws(ConfigError) -> String? {
        let position = m.node("ca_bundle")?.position
        guard let text = try m.string("ca_bundle") else { return nil }
        let path = text.hasPrefix("/") || root == nil ? text : URL(fileURLWithPath: root ?? ".").appendingPathComponent(text).path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ConfigError("ca_bundle '\(text)' does not exist (expected a PEM file of the gateway's CA certificates\(text.hasPrefix("/") ? "" : ", relative to the project folder"))", at: position)
        }
        guard !isDirectory.boolValue, FileManager.default.isReadableFile(atPath: path) else {
            throw ConfigError("ca_bundle '\(text)' is \(isDirectory.boolValue ? "a folder" : "not readable"); expected a readable PEM file", at: position)
        }
        return path
    }

    /// Credentials sent over plain `http://` can be read on the way; loopback (the sandbox,
    /// a local tunnel) never leaves the machine, so it is not warned about.
    static func plainHTTPCredentials(_ source: SourceConfig, at position: SourcePosition) -> ConfigError? {
        if source.auth.style is NoAuth { return nil }
        let urls = [source.baseURL] + source.auth.style.otherCredentialURLs
        guard let plain = urls.first(where: { $0.lowercased().hasPrefix("http://") && !isLoopback($0) }) else { return nil }
        return ConfigError("source '\(source.name)' sends its credentials over plain http:// (\(Origin(url: plain)?.hostAndPort ?? URLRedaction.redact(plain))); anyone on the way can read them — use https://", at: position)
    }

    /// A secret too short for the redactor to look for wherever a gateway echoes it (docs/security.md).
    static func shortSecret(_ source: SourceConfig, at position: SourcePosition) -> ConfigError? {
        guard let short = source.auth.secretValues.first(where: { !$0.isEmpty && $0.revealed.count < Redactor.minimumLength }) else { return nil }
        return ConfigError("source '\(source.name)' has a \(source.auth.type) secret of \(short.revealed.count) characters: one shorter than "
                           + "\(Redactor.minimumLength) is masked in messages only where its name shows (key=…, Authorization: …), "
                           + "not wherever a gateway echoes it — use a longer one", at: position)
    }

    /// True for 127.0.0.0/8, ::1 and localhost.
    static func isLoopback(_ url: String) -> Bool {
        guard let host = URLComponents(string: url)?.host?.lowercased() else { return false }
        return host == "localhost" || host.hasSuffix(".localhost") || host == "::1" || host == "[::1]"
            || (host.hasPrefix("127.") && host.split(separator: ".").count == 4 && host.split(separator: ".").allSatisfy { UInt8($0) != nil })
    }

    /// `follow_hosts: [data.example.org, "cdn.example.org:8443"]` — bare host names (or IP
    /// addresses), each with an optional port; no scheme, path or wildcard.
    private func parseFollowHosts(_ m: inout MappingReader) throws(ConfigError) -> [String] {
        guard let hosts = try m.stringList("follow_hosts") else { return [] }
        let position = m.node("follow_hosts")?.position ?? m.position
        var out: [String] = []
        for entry in hosts {
            let host = entry.trimmingCharacters(in: .whitespaces).lowercased()
            guard SourceParser.isHostEntry(host) else {
                throw ConfigError("follow_hosts entries are host names such as data.example.org or cdn.example.org:8443 (no scheme, path or wildcard), found '\(entry)'", at: position)
            }
            out.append(host)
        }
        return out
    }

    /// `host`, `host:port`, `[v6]` or `[v6]:port`, with a host of letters, digits, dots and dashes.
    static func isHostEntry(_ text: String) -> Bool {
        var host = Substring(text)
        var port: Substring?
        if host.hasPrefix("[") {
            guard let close = host.firstIndex(of: "]") else { return false }
            let rest = host[host.index(after: close)...]
            if rest.hasPrefix(":") { port = rest.dropFirst() } else if !rest.isEmpty { return false }
            host = host[host.index(after: host.startIndex)..<close]
            guard !host.isEmpty, host.allSatisfy({ $0.isHexDigit || $0 == ":" || $0 == "." }) else { return false }
        } else {
            if let colon = host.firstIndex(of: ":") {
                port = host[host.index(after: colon)...]
                host = host[..<colon]
            }
            let allowed = Set("abcdefghijklmnopqrstuvwxyz0123456789.-")
            guard !host.isEmpty, host.allSatisfy({ allowed.contains($0) }), !host.hasPrefix("."), !host.hasPrefix("-") else { return false }
        }
        if let port {
            guard let number = Int(port), (1...65535).contains(number) else { return false }
        }
        return true
    }

    /// `type: sql` — an exchange database (前置库) read by keyset; see `SQLSourceConfig.swift`.
    private func parseSQL(name: String, _ m: inout MappingReader) throws(ConfigError) -> SourceConfig {
        let url = try m.requiredString("url")
        let location: DatabaseLocation
        if url.hasPrefix("sqlite:") {
            let path = String(url.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ConfigError("url 'sqlite:' needs a path, e.g. sqlite:/srv/exchange/province.db", at: m.keyPosition("url")) }
            location = .sqlite(path: path)
        } else {
            do {
                let position = m.keyPosition("url") ?? m.position
                location = .postgres(try PostgresLocation.parse(try m.rawString("url") ?? url, schema: try m.string("schema"), what: "source '\(name)' url",
                                                                resolve: { [interpolator] in try interpolator.resolve($0, at: position) }))
            } catch let error as PostgresURLError {
                throw ConfigError("\(error.message) (expected sqlite:PATH or postgres://user@host:port/database)", at: m.keyPosition("url"))
            } catch let error as ConfigError {
                throw error
            } catch {
                throw ConfigError("\(error)", at: m.keyPosition("url"))
            }
        }
        try m.finish()
        return SourceConfig(name: name, baseURL: "", auth: .none, envelope: nil, rateLimit: nil, timeout: 30, retries: 0,
                            retryBackoff: 0, caBundle: nil, headers: [], position: m.position, sql: location)
    }

    static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Double(parts[0].trimmingCharacters(in: .whitespaces)), n > 0 else { return nil }
        switch parts[1].trimmingCharacters(in: .whitespaces) {
        case "s", "sec", "second": return n
        case "m", "min", "minute": return n / 60
        case "h", "hour": return n / 3600
        default: return nil
        }
    }

    private func parseEnvelope(_ m: inout MappingReader) throws(ConfigError) -> EnvelopeConfig? {
        guard var e = try m.mapping("envelope", what: "'envelope'") else { return nil }
        guard var s = try e.mapping("success", what: "'envelope.success'") else { throw e.missing("success") }
        let path = try s.requiredString("path")
        guard let values = try s.stringList("equals") else { throw s.missing("equals") }
        try s.finish()
        let message = try e.string("message")
        var errors: [String: EnvelopeAction] = [:]
        if let errorsNode = e.node("errors") {
            guard case .mapping(let entries, _) = errorsNode else {
                throw ConfigError("'envelope.errors' must map error codes to actions", at: errorsNode.position)
            }
            for entry in entries {
                let text = try MappingReader.scalar(entry.value, key: entry.key, interpolator: interpolator)
                guard let action = EnvelopeAction(rawValue: text) else {
                    let options = EnvelopeAction.allCases.map(\.rawValue)
                    throw ConfigError("unknown action '\(text)' for error code \(entry.key)\(MappingReader.suggestion(text, options)) (expected one of: \(options.joined(separator: ", ")))", at: entry.value.position)
                }
                errors[entry.key] = action
            }
        }
        try e.finish()
        return EnvelopeConfig(successPath: SourceParser.path(path), successValues: values,
                              messagePath: message.map(SourceParser.path), errors: errors)
    }

    static func path(_ dotted: String) -> [String] { dotted.split(separator: ".").map(String.init) }
}
