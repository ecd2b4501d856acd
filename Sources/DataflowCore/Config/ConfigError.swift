/// A place in a configuration file: `file:line:column`.
public struct SourcePosition: Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String { "\(file):\(line):\(column)" }
}

/// A configuration problem: where it is and what was expected. Never carries a secret value.
public struct ConfigError: Error, Sendable, CustomStringConvertible {
    public var position: SourcePosition?
    public var file: String?
    public var message: String

    public init(_ message: String, at position: SourcePosition?) {
        self.message = message
        self.position = position
        self.file = position?.file
    }

    public init(_ message: String, file: String) {
        self.message = message
        self.position = nil
        self.file = file
    }

    public var description: String {
        if let position { return "\(position): \(message)" }
        if let file { return "\(file): \(message)" }
        return message
    }
}

/// Several configuration problems found in one pass, reported together.
public struct ConfigErrors: Error, Sendable, CustomStringConvertible {
    public var errors: [ConfigError]
    public var description: String { errors.map(\.description).joined(separator: "\n") }
}
