/// RFC 4180 CSV reading: a header row, then records; quoted fields may hold commas, doubled
/// quotes and line breaks; CRLF or LF line ends. Each record becomes a JSON object of strings
/// keyed by the header, so the mapping treats CSV and JSON sources alike.
public enum CSVReader {
    /// Malformed CSV, with the line it was found on.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var line: Int
        public var message: String
        public var description: String { "CSV line \(line): \(message)" }
    }

    /// Rows of fields from UTF-8 bytes.
    public static func rows(_ bytes: [UInt8]) throws -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var field: [UInt8] = []
        var i = 0, line = 1
        var inQuotes = false, quotedField = false
        let n = bytes.count
        func endField() { row.append(String(decoding: field, as: UTF8.self)); field.removeAll(keepingCapacity: true); quotedField = false }
        while i < n {
            let b = bytes[i]
            if inQuotes {
                if b == 0x22 {
                    if i + 1 < n && bytes[i + 1] == 0x22 { field.append(0x22); i += 2; continue }
                    inQuotes = false
                } else {
                    if b == 0x0A { line += 1 }
                    field.append(b)
                }
                i += 1
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
            case 0x0D where i + 1 < n && bytes[i + 1] == 0x0A:
                break
            case 0x0A, 0x0D:
                endField()
                rows.append(row)
                row.removeAll(keepingCapacity: true)
                line += 1
            default:
                if quotedField { throw SyntaxError(line: line, message: "text after a closing quote") }
                field.append(b)
            }
            i += 1
        }
        if inQuotes { throw SyntaxError(line: line, message: "a quoted field is not closed before the end of the file") }
        if !field.isEmpty || !row.isEmpty || quotedField { endField(); rows.append(row) }
        return rows
    }

    /// Records as JSON objects keyed by the header row; blank lines are skipped.
    public static func records(_ bytes: [UInt8]) throws -> [JSONValue] {
        let all = try rows(bytes)
        guard let header = all.first else { return [] }
        var records: [JSONValue] = []
        records.reserveCapacity(all.count - 1)
        for (index, row) in all.dropFirst().enumerated() {
            if row.count == 1 && row[0].isEmpty { continue }
            guard row.count == header.count else {
                throw SyntaxError(line: index + 2, message: "record has \(row.count) fields, the header has \(header.count)")
            }
            records.append(.object(JSONObject(zip(header, row).map { (key: $0.0, value: JSONValue.string($0.1)) })))
        }
        return records
    }
}
