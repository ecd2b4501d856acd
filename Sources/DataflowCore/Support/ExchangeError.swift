/// An exchange-database read that cannot go on.
public struct ExchangeError: Error, Sendable, CustomStringConvertible {
    public var dataset: String
    public var message: String

    public init(dataset: String, message: String) {
        self.dataset = dataset
        self.message = message
    }

    public var description: String { "\(dataset): \(message)" }
}
