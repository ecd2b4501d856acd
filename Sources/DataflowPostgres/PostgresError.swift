import DataflowCore

/// A PostgreSQL failure: the server's message and SQLSTATE, with the statement that failed.
public struct PostgresError: Error, Sendable, CustomStringConvertible {
    public var message: String
    /// The five-character SQLSTATE, when the server sent one (e.g. `23505` unique violation).
    public var sqlState: String?
    public var sql: String?

    public init(message: String, sqlState: String? = nil, sql: String? = nil) {
        self.message = message
        self.sqlState = sqlState
        self.sql = sql
    }

    public var description: String {
        var s = "PostgreSQL error"
        if let sqlState { s += " \(sqlState)" }
        s += ": \(message.trimmingCharacters(in: .whitespacesAndNewlines))"
        if let sql { s += " (in: \(sql.prefix(300)))" }
        return s
    }
}
