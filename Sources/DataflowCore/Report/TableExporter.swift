import Foundation

/// Streams a dataset table to CSV: one prepared statement stepped row by row into a buffered
/// writer, so memory stays flat whatever the table size. PII columns are masked unless revealed.
public struct TableExporter {
    /// What to export.
    public struct Options: Sendable {
        public var columns: [String]?
        public var includeDeleted = false
        public var revealPII = false
        public var encoding: CSVWriter.Encoding = .utf8
        public var target = "stdout"
        public init() {}
    }

    /// A problem with the request (unknown column…): a usage error.
    public struct UsageError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    public let db: SQLiteDatabase
    public let dataset: DatasetConfig

    public init(db: SQLiteDatabase, dataset: DatasetConfig) {
        self.db = db
        self.dataset = dataset
    }

    /// Columns a user may export.
    public var availableColumns: [String] {
        dataset.fields.map(\.column) + ["_key", "_matter", "_matter_code", "_deleted", "_first_seen", "_last_seen", "_run_id", "_hash"]
    }

    /// Writes the CSV to `fd`; returns the number of data rows.
    @discardableResult
    public func export(to fd: Int32, options: Options) throws -> Int {
        guard try db.tableExists(dataset.name) else {
            throw UsageError(message: "dataset '\(dataset.name)' has no table yet (run `dataflow sync \(dataset.name)` first)")
        }
        var columns = options.columns ?? (dataset.fields.map(\.column) + ["_matter"])
        if options.columns == nil && options.includeDeleted { columns.append("_deleted") }
        for c in columns where !availableColumns.contains(c) {
            throw UsageError(message: "unknown column '\(c)'\(MappingReader.suggestion(c, availableColumns)) (columns: \(availableColumns.joined(separator: ", ")))")
        }
        let piiColumns = Set(dataset.fields.filter(\.pii).map(\.column))
        let masked = columns.map { !options.revealPII && piiColumns.contains($0) }
        let sql = "SELECT \(columns.map(Identifier.quoted).joined(separator: ", ")) FROM \(Identifier.quoted(dataset.name))"
            + (options.includeDeleted ? "" : " WHERE _deleted = 0") + " ORDER BY rowid"
        let writer = try CSVWriter(fd: fd, encoding: options.encoding)
        try writer.writeRow(columns)
        let st = try db.prepare(sql)
        var rows = 0
        while try st.step() {
            for i in 0..<columns.count {
                if i > 0 { writer.appendSeparator() }
                if masked[i] {
                    if let text = st.text(i) { writer.appendField(PIIMask.mask(text)) }
                } else {
                    st.withBytes(i) { bytes in if let bytes { writer.appendField(bytes: bytes) } }
                }
            }
            try writer.endRow()
            rows += 1
        }
        try writer.flush()
        try db.prepare("INSERT INTO _dataflow_exports (at, user, dataset, rows, columns, masked, target) VALUES (?, ?, ?, ?, ?, ?, ?)")
            .run([.text(Timestamp.now()), .text(ProcessInfo.processInfo.environment["USER"] ?? NSUserName()), .text(dataset.name),
                  .integer(Int64(rows)), .text(columns.joined(separator: ",")), .integer(masked.contains(true) ? 1 : 0), .text(options.target)])
        return rows
    }
}

/// Masks personal data for exports: `330782199001011234` → `330782********1234`.
public enum PIIMask {
    public static func mask(_ value: String) -> String {
        let chars = Array(value)
        switch chars.count {
        case 0: return ""
        case 1...2: return String(chars[0]) + String(repeating: "*", count: chars.count - 1)
        case 3...10: return String(chars[0]) + String(repeating: "*", count: chars.count - 2) + String(chars[chars.count - 1])
        default: return String(chars[0..<6]) + String(repeating: "*", count: chars.count - 10) + String(chars[(chars.count - 4)...])
        }
    }
}
