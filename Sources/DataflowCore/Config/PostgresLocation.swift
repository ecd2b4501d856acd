import Foundation

/// A PostgreSQL warehouse: `postgres://user[:password]@host[:port]/database[?sslmode=…]` plus the
/// schema that holds this county's tables (one database can hold many counties).
///
/// The password may come from `${ENV}` inside the URL; without one, libpq's own conventions apply
/// (`PGPASSWORD`, `~/.pgpass`). The description never shows the password.
public struct PostgresLocation: Sendable, CustomStringConvertible, Equatable {
    public var host: String
    public var port: Int
    public var database: String
    public var user: String?
    public var password: Secret?
    /// libpq `sslmode` (disable, allow, prefer, require, verify-ca, verify-full); nil = libpq's default.
    public var sslMode: String?
    public var schema: String

    public static let sslModes = ["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]

    public init(host: String, port: Int = 5432, database: String, user: String? = nil, password: Secret? = nil,
                sslMode: String? = nil, schema: String = "public") {
        self.host = host
        self.port = port
        self.database = database
        self.user = user
        self.password = password
        self.sslMode = sslMode
        self.schema = schema
    }

    /// Parses a `postgres://` or `postgresql://` URL; `what` names the place for errors.
    ///
    /// The URL is split into its parts *before* `resolve` fills in `${ENV}` references, so a
    /// password from the environment may hold any character (`@`, `/`, `:`) without encoding.
    /// Literal parts are percent-decoded.
    public static func parse(_ text: String, schema: String?, what: String,
                             resolve: (String) throws -> String = { $0 }) throws -> PostgresLocation {
        func fail(_ message: String) -> PostgresURLError { PostgresURLError(message: "\(what): \(message)") }
        let shown = redacted(text)
        guard let scheme = text.range(of: "://"), ["postgres", "postgresql"].contains(String(text[..<scheme.lowerBound])) else {
            throw fail("expected postgres://user@host:port/database, found '\(shown)'")
        }
        var rest = text[scheme.upperBound...]
        var query = ""
        if let q = rest.firstIndex(of: "?") { query = String(rest[rest.index(after: q)...]); rest = rest[..<q] }
        guard let slash = rest.firstIndex(of: "/") else {
            throw fail("the URL names no database (postgres://user@host:5432/DATABASE): '\(shown)'")
        }
        let authority = rest[..<slash]
        let database = try resolve(decode(String(rest[rest.index(after: slash)...])))
        guard !database.isEmpty, !database.contains("/") else {
            throw fail("the URL names no database (postgres://user@host:5432/DATABASE): '\(shown)'")
        }
        var user: String?, password: Secret?
        var hostPort = authority
        if let at = authority.lastIndex(of: "@") {
            let info = authority[..<at]
            hostPort = authority[authority.index(after: at)...]
            if let colon = info.firstIndex(of: ":") {
                user = try resolve(decode(String(info[..<colon])))
                password = Secret(try resolve(decode(String(info[info.index(after: colon)...]))))
            } else {
                user = try resolve(decode(String(info)))
            }
            if user?.isEmpty == true { user = nil }
        }
        var host = String(hostPort), port = 5432
        if hostPort.hasPrefix("["), let close = hostPort.firstIndex(of: "]") {   // [::1]:5432
            host = String(hostPort[hostPort.index(after: hostPort.startIndex)..<close])
            let after = hostPort[hostPort.index(after: close)...]
            if after.hasPrefix(":") { guard let p = Int(after.dropFirst()) else { throw fail("bad port in '\(shown)'") }; port = p }
        } else if let colon = hostPort.lastIndex(of: ":") {
            host = String(hostPort[..<colon])
            guard let p = Int(hostPort[hostPort.index(after: colon)...]), (1...65535).contains(p) else {
                throw fail("bad port '\(hostPort[hostPort.index(after: colon)...])' in '\(shown)'")
            }
            port = p
        }
        host = try resolve(host)
        guard !host.isEmpty else { throw fail("the URL has no host: '\(shown)'") }
        var location = PostgresLocation(host: host, port: port, database: database, user: user, password: password)
        for item in query.split(separator: "&") where !item.isEmpty {
            let pair = item.split(separator: "=", maxSplits: 1).map(String.init)
            let name = pair[0], value = try resolve(decode(pair.count > 1 ? pair[1] : ""))
            switch name {
            case "sslmode":
                guard sslModes.contains(value) else {
                    throw fail("sslmode '\(value)' is not one of \(sslModes.joined(separator: ", "))")
                }
                location.sslMode = value
            case "schema":
                location.schema = value
            default:
                throw fail("unknown URL parameter '\(name)' (expected sslmode or schema)")
            }
        }
        if let schema { location.schema = schema }
        guard Identifier.isSafe(location.schema) || location.schema == "public" else {
            throw fail("schema '\(location.schema)' must be lower-case letters, digits and _ (starting with a letter)")
        }
        return location
    }

    static func decode(_ text: String) -> String { text.removingPercentEncoding ?? text }

    /// The URL with any password replaced by `***`.
    public static func redacted(_ text: String) -> String {
        guard let at = text.lastIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else { return text }
        let userInfo = text[scheme.upperBound..<at]
        guard let colon = userInfo.firstIndex(of: ":") else { return text }
        return String(text[..<colon]) + ":***" + String(text[at...])
    }

    public var description: String {
        var s = "postgres://"
        if let user { s += user + (password == nil ? "" : ":***") + "@" }
        s += "\(host):\(port)/\(database)"
        if let sslMode { s += "?sslmode=\(sslMode)" }
        return s + " schema \(schema)"
    }
}

/// A `warehouse:` PostgreSQL URL that cannot be used.
public struct PostgresURLError: Error, Sendable, CustomStringConvertible {
    public var message: String
    public var description: String { message }
}
