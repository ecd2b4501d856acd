/// Reads a gateway envelope: success check, error code, message and the action it calls for.
public struct EnvelopeChecker: Sendable {
    /// The verdict on one response body.
    public enum Verdict: Equatable, Sendable {
        case success
        case failure(code: String, message: String, action: EnvelopeAction)
    }

    public let config: EnvelopeConfig?

    public init(_ config: EnvelopeConfig?) { self.config = config }

    public func check(_ body: JSONValue) -> Verdict {
        guard let config else { return .success }
        let value = body.value(at: config.successPath)
        let code = value?.text ?? "(missing)"
        if let text = value?.text, config.successValues.contains(text) { return .success }
        let message = config.messagePath.flatMap { body.value(at: $0)?.text } ?? "(no message)"
        return .failure(code: code, message: message, action: config.errors[code] ?? .fail)
    }
}
