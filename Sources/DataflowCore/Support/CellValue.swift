/// A typed value in a warehouse cell.
public enum CellValue: Sendable, Equatable {
    case null
    case text(String)
    case integer(Int64)

    /// The value as text (integers in decimal), nil for null.
    public var text: String? {
        switch self {
        case .null: return nil
        case .text(let s): return s
        case .integer(let n): return String(n)
        }
    }
}
