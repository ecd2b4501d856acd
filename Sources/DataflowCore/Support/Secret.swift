/// A secret value (app secret, password, token). It never prints: its description, debug
/// description and any interpolation show `***`, so logs, errors and `--verbose` cannot leak it.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The value itself; read it only where it is used to sign or authenticate.
    public let revealed: String

    public init(_ value: String) { revealed = value }

    public var description: String { "***" }
    public var debugDescription: String { "Secret(***)" }
    public var isEmpty: Bool { revealed.isEmpty }
}
