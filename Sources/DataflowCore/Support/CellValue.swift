/// A typed value in a warehouse cell.
public enum CellValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)

    /// True for `null` (a pattern match: `== .null` compares through the payloads' witnesses).
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// The value as text (integers in decimal), nil for null.
    public var text: String? {
        switch self {
        case .null: return nil
        case .text(let s): return s
        case .integer(let n): return String(n)
        }
    }
}
