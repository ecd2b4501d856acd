import DataflowCore

/// One row of a single-row-mode result as a `WarehouseRow`.
struct PostgresRow: WarehouseRow {
    let rows: PostgresRows
    let index: Int

    var columnCount: Int { rows.columnCount }
    func columnName(_ i: Int) -> String { rows.columnName(i) }
    func isNull(_ i: Int) -> Bool { rows.isNull(index, i) }
    func isNumeric(_ i: Int) -> Bool { !isNull(i) && rows.isNumericColumn(i) }
    func text(_ i: Int) -> String? { rows.text(index, i) }
    func int(_ i: Int) -> Int64 { text(i).flatMap { Int64($0) ?? Double($0).map { Int64($0) } } ?? 0 }
    func double(_ i: Int) -> Double { text(i).flatMap { Double($0) } ?? 0 }
    func withBytes<T>(_ i: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        try rows.withBytes(index, i, body)
    }
}

extension PostgresConnection: WarehouseReader {
    public var backend: String { "postgres" }
    public var rowOrder: String { "_key" }

    public func stringAggregate(_ expression: String, separator: String) -> String {
        // Byte order (COLLATE "C"), as SQLite's BINARY, whatever the database's collation.
        "string_agg(\(expression), '\(separator.replacingOccurrences(of: "'", with: "''"))' ORDER BY \(expression) COLLATE \"C\")"
    }

    public func scalarInt(_ sql: String, _ bindings: [CellValue]) throws -> Int64? {
        let rows = try query(PlaceholderRewriter.numbered(sql), bindings)
        guard rows.count > 0, let text = rows.text(0, 0) else { return nil }
        return Int64(text) ?? Double(text).map { Int64($0) }
    }

    public func scalarText(_ sql: String, _ bindings: [CellValue]) throws -> String? {
        let rows = try query(PlaceholderRewriter.numbered(sql), bindings)
        return rows.count > 0 ? rows.text(0, 0) : nil
    }

    public func forEachRow(_ sql: String, _ bindings: [CellValue], _ body: (any WarehouseRow) throws -> Void) throws {
        try stream(PlaceholderRewriter.numbered(sql), bindings) { rows in
            for i in 0..<rows.count { try body(PostgresRow(rows: rows, index: i)) }
        }
    }

    public func execute(_ sql: String, _ bindings: [CellValue]) throws {
        try query(PlaceholderRewriter.numbered(sql), bindings)
    }

    public func tableExists(_ name: String) throws -> Bool {
        (try scalarInt("SELECT count(*) FROM information_schema.tables WHERE table_schema = current_schema() AND table_name = ?", [.text(name)]) ?? 0) > 0
    }

    public func columns(of table: String) throws -> [String] {
        var names: [String] = []
        try forEachRow("""
            SELECT column_name FROM information_schema.columns WHERE table_schema = current_schema() AND table_name = ? ORDER BY ordinal_position
            """, [.text(table)]) { names.append($0.text(0) ?? "") }
        return names
    }
}

/// Turns `?` placeholders into PostgreSQL's `$1…$n`, leaving quoted strings, quoted identifiers
/// and comments alone.
enum PlaceholderRewriter {
    static func numbered(_ sql: String) -> String {
        guard sql.contains("?") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count + 8)
        var n = 0
        var quote: Character?
        var lineComment = false
        var previous: Character = " "
        for c in sql {
            if lineComment {
                if c == "\n" { lineComment = false }
            } else if let q = quote {
                if c == q { quote = nil }
            } else if c == "'" || c == "\"" {
                quote = c
            } else if c == "-" && previous == "-" {
                lineComment = true
            } else if c == "?" {
                n += 1
                out += "$\(n)"
                previous = c
                continue
            }
            out.append(c)
            previous = c
        }
        return out
    }
}
