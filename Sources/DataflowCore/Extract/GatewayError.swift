/// A gateway refused or failed a request in a way retries did not fix. Never holds a secret.
public struct GatewayError: Error, Sendable, CustomStringConvertible {
    public var source: String
    public var path: String
    public var code: String?
    public var message: String

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
