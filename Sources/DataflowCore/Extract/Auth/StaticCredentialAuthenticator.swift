import Foundation
import DataflowHTTP

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
