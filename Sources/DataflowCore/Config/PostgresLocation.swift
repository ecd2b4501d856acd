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
    public static func parse(_ text: String, schema: String?, what: String) throws -> PostgresLocation {
        func fail(_ message: String) -> PostgresURLError { PostgresURLError(message: "\(what): \(message)") }
        guard text.hasPrefix("postgres://") || text.hasPrefix("postgresql://") else {
            throw fail("expected postgres://user@host:port/database, found '\(redacted(text))'")
        }
        guard let components = URLComponents(string: text) else {
            throw fail("not a valid URL: '\(redacted(text))' (percent-encode special characters in the password, e.g. @ as %40)")
        }
        guard let host = components.host, !host.isEmpty else { throw fail("the URL has no host: '\(redacted(text))'") }
        let database = String(components.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty, !database.contains("/") else {
            throw fail("the URL names no database (postgres://user@\(host):5432/DATABASE): '\(redacted(text))'")
        }
        var location = PostgresLocation(host: host, port: components.port ?? 5432, database: database,
                                        user: components.user.flatMap { $0.isEmpty ? nil : $0 },
                                        password: components.password.map { Secret($0.removingPercentEncoding ?? $0) })
        for item in components.queryItems ?? [] {
            switch item.name {
            case "sslmode":
                guard let mode = item.value, sslModes.contains(mode) else {
                    throw fail("sslmode '\(item.value ?? "")' is not one of \(sslModes.joined(separator: ", "))")
                }
                location.sslMode = mode
            case "schema":
                location.schema = item.value ?? ""
            default:
                throw fail("unknown URL parameter '\(item.name)' (expected sslmode or schema)")
            }
        }
        if let schema { location.schema = schema }
        guard Identifier.isSafe(location.schema) || location.schema == "public" else {
            throw fail("schema '\(location.schema)' must be lower-case letters, digits and _ (starting with a letter)")
        }
        return location
    }

    /// The URL with any password replaced by `***`.
    static func redacted(_ text: String) -> String {
        guard let at = text.firstIndex(of: "@"), let scheme = text.range(of: "://"), scheme.upperBound < at else { return text }
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
