/// What one dataset reads from an exchange database, walked by keyset on (watermark, key):
/// `WHERE (wm, k) > (last wm, last k) ORDER BY wm, k LIMIT n` — never OFFSET, so rows the
/// province adds while we page can neither shift a page nor be skipped.
///
/// ```yaml
/// exchange:
///   table: T_TAX_REG            # or query: "SELECT … FROM … JOIN …" (wrapped as a subquery)
///   watermark: UPDATE_TIME      # a column that grows whenever the province writes the row
///   key: [REG_ID]               # optional: the unique source columns (default: the from: of key:)
///   page_size: 1000
/// ```
public struct ExchangeQueryConfig: Sendable {
    /// A table (optionally `schema.table`) or a whole query.
    public enum Origin: Sendable {
        case table(String)
        case query(String)
    }

    public var origin: Origin
    /// The watermark column.
    public var watermark: String
    /// Source columns that make a row unique within one watermark value.
    public var key: [String]
    public var pageSize: Int

    /// Source column names: letters, digits and `_`, used exactly as written (quoted).
    public static func isColumnName(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, !("0"..."9").contains(first) else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }
}
