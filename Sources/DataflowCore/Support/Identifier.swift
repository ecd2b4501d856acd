/// Names that become SQL identifiers: lower-case ASCII letters, digits and `_`, not starting with
/// a digit or `_` (the underscore prefix is reserved for dataflow's own columns and tables).
public enum Identifier {
    public static func isSafe(_ name: String) -> Bool {
        guard let first = name.unicodeScalars.first, ("a"..."z").contains(first), name.count <= 63 else { return false }
        return name.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
    }

    /// SQL keywords (SQLite and PostgreSQL) that make confusing or invalid column and table names.
    public static let reservedWords: Set<String> = [
        "abort", "add", "all", "alter", "analyze", "and", "as", "asc", "between", "by", "case", "cast", "check", "collate",
        "column", "commit", "constraint", "create", "cross", "current_date", "current_time", "current_timestamp", "default",
        "delete", "desc", "distinct", "drop", "else", "end", "escape", "except", "exists", "false", "fetch", "for", "foreign",
        "from", "full", "grant", "group", "having", "in", "index", "inner", "insert", "intersect", "into", "is", "join",
        "key", "left", "like", "limit", "natural", "not", "null", "offset", "on", "or", "order", "outer", "primary",
        "references", "returning", "right", "rowid", "select", "set", "table", "then", "to", "transaction", "true", "union",
        "unique", "update", "user", "using", "values", "view", "when", "where", "window", "with",
    ]

    /// Why `name` cannot be a table or column name, or nil when it can.
    public static func problem(_ name: String, what: String) -> String? {
        if name.hasPrefix("_") {
            return "\(what) '\(name)' starts with _ (names starting with _ are reserved for dataflow's own columns and tables)"
        }
        if !isSafe(name) {
            return "\(what) '\(name)' is not a safe SQL name (lower-case ASCII letters, digits and _, starting with a letter, at most 63 characters)"
        }
        if reservedWords.contains(name) {
            return "\(what) '\(name)' is an SQL keyword (rename it, e.g. '\(name)_value')"
        }
        return nil
    }

    /// The name double-quoted for SQL (only ever called on names that passed `isSafe` or are ours).
    public static func quoted(_ name: String) -> String { "\"" + name.replacingOccurrences(of: "\"", with: "\"\"") + "\"" }
}
