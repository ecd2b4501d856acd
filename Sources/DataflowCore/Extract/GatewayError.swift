/// A gateway refused or failed a request in a way retries did not fix. Never holds a secret.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var path: String
    public var code: String?
    public var message: String
    /// A token request the gateway refused (HTTP 4xx other than 408 and 429, or an error code):
    /// the credentials are wrong, and asking again in this run would only add failed sign-ins
    /// (`SharedAuthenticator` remembers it for the source).
    public var signInRefused = false

    public init(source: String, path: String, code: String?, message: String, signInRefused: Bool = false) {
        self.source = source
        self.path = path
        self.code = code
        self.message = message
        self.signInRefused = signInRefused
    }

    /// Whether an HTTP status answering a token request refuses the credentials (4xx), rather
    /// than failing for now (408, 429, 5xx).
    static func refusesSignIn(status: Int) -> Bool { (400..<500).contains(status) && status != 408 && status != 429 }

    public var description: String {
        if let code { return "source '\(source)' \(path): gateway answered code \(code): \(message)" }
        return "source '\(source)' \(path): \(message)"
    }
}

/// The gateway said the quota is used up: stop this source for this run.
public struct QuotaExceeded: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var message: String
    public var description: String { "source '\(source)' is over its quota for now (gateway: \(message)); its remaining datasets are skipped this run" }
}
