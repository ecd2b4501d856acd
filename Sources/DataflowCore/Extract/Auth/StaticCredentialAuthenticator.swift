import Foundation
import DataflowHTTP

/// `type: bearer` — `Authorization: Bearer TOKEN`.
public struct BearerAuth: AuthStyle {
    public static let type = "bearer"
    public var token: Secret

    public static func parse(_ a: inout MappingReader) throws(ConfigError) -> BearerAuth { BearerAuth(token: try a.requiredSecret("token")) }
    public var secretValues: [Secret] { [token] }
    public func makeAuthenticator(_ context: AuthContext) -> Authenticator { StaticCredentialAuthenticator(.bearer(token)) }
}

/// `type: basic` — `Authorization: Basic base64(user:password)`.
public struct BasicAuth: AuthStyle {
    public static let type = "basic"
    public var user: String
    public var password: Secret

    public static func parse(_ a: inout MappingReader) throws(ConfigError) -> BasicAuth {
        BasicAuth(user: try a.requiredString("user"), password: try a.requiredSecret("password"))
    }
    /// The password, and the header value built from it (what an echoed request shows).
    public var secretValues: [Secret] {
        [password, Secret(String(StaticCredentialAuthenticator.basicValue(user: user, password: password).dropFirst("Basic ".count)))]
    }
    public func makeAuthenticator(_ context: AuthContext) -> Authenticator { StaticCredentialAuthenticator(.basic(user: user, password: password)) }
}

/// `type: api-key` — a key as a header (default) or a query parameter.
public struct APIKeyAuth: AuthStyle {
    public static let type = "api-key"
    public var name: String
    public var key: Secret
    public var inQuery: Bool

    public static func parse(_ a: inout MappingReader) throws(ConfigError) -> APIKeyAuth {
        let name = try a.requiredString("name")
        let inQuery = (try a.choice("in", ["header", "query"]) ?? "header") == "query"
        return APIKeyAuth(name: name, key: try a.requiredSecret("key"), inQuery: inQuery)
    }
    public var secretValues: [Secret] { [key] }
    public var summary: String { "api-key (\(name) in \(inQuery ? "query" : "header"))" }
    public func makeAuthenticator(_ context: AuthContext) -> Authenticator {
        StaticCredentialAuthenticator(.apiKey(name: name, value: key, inQuery: inQuery))
    }
}

/// Fixed credentials on every request: `bearer` (Authorization: Bearer TOKEN), `basic`
/// (Authorization: Basic base64(user:password)) and `api-key` (a header or a query parameter).
///
/// ```swift
/// let auth = StaticCredentialAuthenticator(.apiKey(name: "X-App-Token", value: Secret(k), inQuery: false))
/// ```
public final class StaticCredentialAuthenticator: Authenticator {
    /// Which fixed credential is sent.
    public enum Kind: Sendable {
        case bearer(Secret)
        case basic(user: String, password: Secret)
        case apiKey(name: String, value: Secret, inQuery: Bool)
    }

    let kind: Kind

    public init(_ kind: Kind) { self.kind = kind }

    public func authorize(_ request: inout OutgoingRequest) throws {
        switch kind {
        case .bearer(let token):
            request.headers.append(HTTPHeader(name: "Authorization", value: "Bearer " + token.revealed))
        case .basic(let user, let password):
            request.headers.append(HTTPHeader(name: "Authorization", value: Self.basicValue(user: user, password: password)))
        case .apiKey(let name, let value, let inQuery):
            if inQuery { request.query.append((name, value.revealed)) } else {
                request.headers.append(HTTPHeader(name: name, value: value.revealed))
            }
        }
    }

    /// `Basic base64(user:password)` (RFC 7617, UTF-8).
    public static func basicValue(user: String, password: Secret) -> String {
        "Basic " + Data((user + ":" + password.revealed).utf8).base64EncodedString()
    }
}
