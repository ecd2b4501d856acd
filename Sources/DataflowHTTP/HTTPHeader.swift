/// One HTTP header field, kept as sent or received (name case and order preserved).
///
/// ```swift
/// let header = HTTPHeader(name: "Accept", value: "application/json")
/// ```
public struct HTTPHeader: Sendable, Equatable {
    /// The field name, e.g. `Content-Type`. Compare case-insensitively.
    public var name: String
    /// The field value, without surrounding whitespace.
    public var value: String

    public init(name: String, value: String) {
        self.name = name
        self.value = value
    }
}

extension HTTPHeader: CustomStringConvertible {
    public var description: String { "\(name): \(value)" }
}
