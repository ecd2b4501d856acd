/// RFC 4180 CSV reading: a header row, then records; quoted fields may hold commas, doubled
/// quotes and line breaks; CRLF, LF or CR line ends. Each record becomes a JSON object of strings
/// keyed by the header, so the mapping treats CSV and JSON sources alike.
///
/// `CSVReader.Parser` takes the bytes in chunks of any size (a chunk may end inside a field, a
/// quote pair or a CRLF), so a download is parsed with bounded memory.
public enum CSVReader {
    /// Malformed CSV, with the line it was found on.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "CSV line \(line): \(message)" }
    }

    /// An incremental RFC 4180 parser over UTF-8 bytes.
    public struct Parser {
        private var row: [String] = []
        private var field: [UInt8] = []
        private var inQuotes = false
        private var quotedField = false
        /// A quote seen inside quotes: either the end of the field or the first of a doubled pair.
        private var pendingQuote = false
        /// A CR just ended a row: a following LF belongs to it.
        private var skipLF = false
        /// Line number where the current row started / currently at.
        public private(set) var line = 1
        private var rowLine = 1
        /// Rows carry, per field, "" for an empty one and "x" for any other instead of its text:
        /// for a pass that only needs the file's shape (`RecordFileReader`'s check of a download's end).
        private let shapeOnly: Bool

        public init(shapeOnly: Bool = false) { self.shapeOnly = shapeOnly }

        private mutating func endField() {
            row.append(shapeOnly ? (field.isEmpty ? "" : "x") : String(decoding: field, as: UTF8.self))
            field.removeAll(keepingCapacity: true)
            quotedField = false
        }

        /// Feeds bytes; calls `emit` with each complete row and the line it started on.
        public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>, emit: ([String], Int) throws -> Void) throws {
            for b in bytes {
                if skipLF {
                    skipLF = false
                    if b == 0x0A { continue }
                }
                if pendingQuote {
                    pendingQuote = false
                    if b == 0x22 { field.append(0x22); continue }
                    inQuotes = false
                }
                if inQuotes {
                    if b == 0x22 { pendingQuote = true; continue }
                    if b == 0x0A { line += 1 }
                    field.append(b)
                    continue
                }
                switch b {
                case 0x22:
                    guard field.isEmpty && !quotedField else {
                        throw SyntaxError(line: line, message: "a quote inside an unquoted field (quote the whole field and double the quote)")
                    }
                    inQuotes = true
                    quotedField = true
                case 0x2C:
                    endField()
                case 0x0A, 0x0D:
                    endField()
                    try emit(row, rowLine)
                    row.removeAll(keepingCapacity: true)
                    line += 1
                    rowLine = line
                    skipLF = b == 0x0D
                default:
                    if quotedField { throw SyntaxError(line: line, message: "text after a closing quote") }
                    field.append(b)
                }
            }
        }

        /// Ends the input: emits a last row without a line end; throws ``TruncatedBody`` on an
        /// open quote (the body ends inside a field).
        public mutating func finish(emit: ([String], Int) throws -> Void) throws {
            if pendingQuote { pendingQuote = false; inQuotes = false }
            if inQuotes { throw TruncatedBody("CSV line \(line): a quoted field is not closed before the end of the file") }
            if !field.isEmpty || !row.isEmpty || quotedField {
                endField()
                try emit(row, rowLine)
                row.removeAll()
            }
        }
    }

    /// Turns rows into records keyed by the header row; blank lines are skipped.
    public struct RecordBuilder {
        private var header: [String]?
        /// Header names given more than once: every record carries them (`duplicateKeys`), so a
        /// mapping that reads such a column quarantines the record instead of taking the first.
        private var repeated: [String] = []

        public init() {}

        /// The record for `row`, or nil for the header row and blank lines. `last` marks the row
        /// that ended with the input rather than a line break: fewer fields there means the body
        /// was cut inside the record (``TruncatedBody``).
        public mutating func record(_ row: [String], line: Int, last: Bool = false) throws -> JSONValue? {
            guard let header else {
                header = row
                repeated = JSONObject.repeatedNames(row)
                return nil
            }
            if row.count == 1 && row[0].isEmpty { return nil }
            if last, row.count < header.count {
                throw TruncatedBody("CSV line \(line): the last record has \(row.count) of the header's \(header.count) fields and no line end")
            }
            guard row.count == header.count else {
                throw SyntaxError(line: line, message: "record has \(row.count) fields, the header has \(header.count)")
            }
            var object = JSONObject(zip(header, row).map { (key: $0.0, value: JSONValue.string($0.1)) })
            // With no name repeated, records may be looked up by position hints.
            object.namesAreUnique = repeated.isEmpty
            object.duplicateKeys = repeated
            return .object(object)
        }
    }

    /// Rows of fields from UTF-8 bytes.
    public static func rows(_ bytes: [UInt8]) throws -> [[String]] {
        var parser = Parser()
        var rows: [[String]] = []
        try bytes.withUnsafeBufferPointer { try parser.feed($0) { row, _ in rows.append(row) } }
        try parser.finish { row, _ in rows.append(row) }
        return rows
    }

    /// Records as JSON objects keyed by the header row; blank lines are skipped.
    public static func records(_ bytes: [UInt8]) throws -> [JSONValue] {
        var parser = Parser()
        var builder = RecordBuilder()
        var records: [JSONValue] = []
        try bytes.withUnsafeBufferPointer {
            try parser.feed($0) { row, line in if let r = try builder.record(row, line: line) { records.append(r) } }
        }
        try parser.finish { row, line in if let r = try builder.record(row, line: line, last: true) { records.append(r) } }
        return records
    }
}
