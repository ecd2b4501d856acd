import Foundation

/// Streams a dataset table, or its change feed, to CSV or NDJSON: one prepared statement stepped
/// row by row into a buffered writer, so memory stays flat whatever the table size. Filters are
/// bound parameters on validated columns; PII columns are masked unless revealed; every export is
/// recorded in `_dataflow_exports`.
///
/// ```swift
/// var options = TableExporter.Options()
/// options.format = .ndjson
/// options.filters = [.init(column: "division", value: "330782")]
/// let rows = try TableExporter(db: db, dataset: licences).export(to: STDOUT_FILENO, options: options)
/// ```
public struct TableExporter {
    /// Output formats.
    public enum Format: String, Sendable, CaseIterable { case csv, ndjson }

    /// `COLUMN=VALUE`: rows whose column equals the value (compared with the column's affinity).
    public struct Filter: Sendable, Equatable {
        public var column: String
        public var value: String
        public init(column: String, value: String) { self.column = column; self.value = value }

        /// Parses `COLUMN=VALUE` (the value may contain `=` and may be empty).
        public static func parse(_ text: String) throws -> Filter {
            guard let eq = text.firstIndex(of: "="), eq != text.startIndex else {
                throw UsageError(message: "--where '\(text)': expected COLUMN=VALUE")
            }
            return Filter(column: String(text[..<eq]).trimmingCharacters(in: .whitespaces), value: String(text[text.index(after: eq)...]))
        }
    }

    /// What to export.
    public struct Options: Sendable {
        public var format: Format = .csv
        public var columns: [String]?
        public var includeDeleted = false
        public var revealPII = false
        public var encoding: CSVWriter.Encoding = .utf8
        /// Write CSV cells raw: no `'` before cells a spreadsheet would evaluate (`=` `+` `-` `@` TAB CR).
        public var rawCells = false
        /// Filters; several on one column mean any of the values, on different columns all of them.
        public var filters: [Filter] = []
        /// Stream the change feed after this sequence number instead of the table.
        public var changesSince: Int64?
        public var target = "stdout"
        /// Who exported (recorded); defaults to the login name of the process.
        public var user: String?
        public init() {}
    }

    /// What an export wrote.
    public struct Result: Sendable {
        public var rows: Int
        /// With `changesSince`: the last sequence number written (the next run's `--changes-since`).
        public var lastSeq: Int64?
        /// Why a masked export could not be logged (nil when it was).
        public var logError: String?
    }

    /// A problem with the request (unknown column…): a usage error.
    public struct UsageError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    /// Columns the change feed puts before the row.
    public static let changeColumns = ["_seq", "_op", "_key", "_changed_at", "_change_run_id"]

    public let db: WarehouseReader
    public let dataset: DatasetConfig

    public init(db: WarehouseReader, dataset: DatasetConfig) {
        self.db = db
        self.dataset = dataset
    }

    /// Columns a user may export or filter on.
    public var availableColumns: [String] {
        dataset.fields.map(\.column) + ["_key", "_matter", "_matter_code", "_deleted", "_first_seen", "_last_seen", "_run_id", "_hash"]
    }

    /// Writes the export to `fd`; returns the number of data rows.
    @discardableResult
    public func export(to fd: Int32, options: Options) throws -> Int {
        try run(to: fd, options: options).rows
    }

    /// Writes the export to `fd`.
    public func run(to fd: Int32, options: Options) throws -> Result {
        guard try db.tableExists(dataset.name) else {
            throw UsageError(message: "dataset '\(dataset.name)' has no table yet (run `dataflow sync \(dataset.name)` first)")
        }
        if options.format == .ndjson && options.encoding != .utf8 {
            throw UsageError(message: "--encoding \(options.encoding.rawValue) applies to CSV only; NDJSON is always UTF-8")
        }
        if options.format == .ndjson && options.rawCells {
            throw UsageError(message: "--raw-cells applies to CSV only; NDJSON values are JSON strings, never formulas")
        }
        let feed = options.changesSince != nil
        var rowColumns = options.columns ?? (dataset.fields.map(\.column) + ["_matter"])
        if options.columns == nil && (options.includeDeleted || feed) { rowColumns.append("_deleted") }
        for c in rowColumns + options.filters.map(\.column) where !availableColumns.contains(c) {
            throw UsageError(message: "unknown column '\(c)'\(MappingReader.suggestion(c, availableColumns)) (columns: \(availableColumns.joined(separator: ", ")))")
        }
        if let since = options.changesSince, since < 0 { throw UsageError(message: "--changes-since must be 0 or more (got \(since))") }
        // A column the mapping gained since the last sync is not in the table yet; SQLite would
        // read the quoted name as a string literal and export the name itself as every value.
        let tableColumns = Set(try db.columns(of: dataset.name))
        var missing: [String] = []
        for c in rowColumns + options.filters.map(\.column) where !tableColumns.contains(c) && !missing.contains(c) { missing.append(c) }
        if !missing.isEmpty {
            let names = missing.joined(separator: ", ")
            throw UsageError(message: "column\(missing.count == 1 ? "" : "s") \(names) \(missing.count == 1 ? "is" : "are") not in the warehouse yet"
                + " (the mapping has \(missing.count == 1 ? "it" : "them"), table \(dataset.name) does not): run `dataflow sync \(dataset.name)` first")
        }

        var masking = PIIMasking(dataset: dataset)
        // The feed keeps the keys of before a `sync --rekey`, and the table its rows while a changed
        // key waits for one: when an earlier key held personal data, such keys are masked too.
        try masking.readFormerKey(dataset: dataset.name, from: db)
        let storedKey = try db.metaText(SyncEngine.keyMetaName(dataset))
        let keyPending = masking.formerKeyWasPersonal && storedKey != nil && storedKey != SyncEngine.keyDefinition(dataset)
        if !options.revealPII {
            try refuseClearDerivations(rowColumns: rowColumns, filters: options.filters, masking: masking, keyPending: keyPending)
        }
        let boolColumns = Set(dataset.fields.filter { $0.type == .bool }.map(\.column)).union(["_deleted"])
        let headers = (feed ? Self.changeColumns : []) + rowColumns
        // What each output column hides: its field's kind; `_key` when a key column is personal.
        var maskers: [((String) -> String)?] = []
        for (i, h) in headers.enumerated() {
            if options.revealPII {
                maskers.append(nil)
            } else if h == "_key" && feed && i < Self.changeColumns.count {
                maskers.append(masking.keyIsPersonal || masking.formerKeyWasPersonal ? { masking.pastKey($0) } : nil)
            } else if h == "_key" && keyPending {
                maskers.append({ masking.pastKey($0) })
            } else if h == "_key" {
                maskers.append(masking.keyIsPersonal ? { masking.key($0) } : nil)
            } else if let kind = masking.columns[h], !(feed && i < Self.changeColumns.count) {
                maskers.append({ PIIMask.mask($0, as: kind) })
            } else {
                maskers.append(nil)
            }
        }
        let masked = maskers.map { $0 != nil }
        let booleans = headers.map { boolColumns.contains($0) && !Self.changeColumns.contains($0) }
        let jsonColumns = Set(dataset.fields.filter { $0.type == .json }.map(\.column))
        let nested = headers.enumerated().map { i, h in jsonColumns.contains(h) && !masked[i] && !(feed && i < Self.changeColumns.count) }

        // Filters grouped by column, in first-seen order: col IN (?, …) AND …
        var grouped: [(String, [String])] = []
        for f in options.filters {
            if let i = grouped.firstIndex(where: { $0.0 == f.column }) { grouped[i].1.append(f.value) } else { grouped.append((f.column, [f.value])) }
        }
        let table = Identifier.quoted(dataset.name)
        var conditions: [String] = []
        var bindings: [CellValue] = []
        let prefix = feed ? "t." : ""
        for (column, values) in grouped {
            conditions.append("\(prefix)\(Identifier.quoted(column)) IN (\(values.map { _ in "?" }.joined(separator: ", ")))")
            bindings += values.map(CellValue.text)
        }
        let sql: String
        if let since = options.changesSince {
            let select = ["c.seq", "c.op", "c.key", "c.at", "c.run_id"] + rowColumns.map { "t." + Identifier.quoted($0) }
            sql = "SELECT \(select.joined(separator: ", ")) FROM _dataflow_changes c LEFT JOIN \(table) t ON t._key = c.key"
                + " WHERE c.dataset = ? AND c.seq > ?" + conditions.map { " AND " + $0 }.joined() + " ORDER BY c.seq"
            bindings = [.text(dataset.name), .integer(since)] + bindings
        } else {
            if !options.includeDeleted { conditions.insert("_deleted = 0", at: 0) }
            sql = "SELECT \(rowColumns.map(Identifier.quoted).joined(separator: ", ")) FROM \(table)"
                + (conditions.isEmpty ? "" : " WHERE " + conditions.joined(separator: " AND ")) + " ORDER BY \(db.rowOrder)"
        }
        // Logged before any row leaves: a clear view that cannot be logged does not happen; a
        // masked one goes ahead and says the log could not be written.
        var entry = ExportLog.Entry(command: "export", dataset: dataset.name, masked: masked.contains(true), target: options.target)
        entry.columns = headers
        // A masked export never filters on personal data (refused above), so filters are logged as given.
        entry.filters = options.filters.map { "\($0.column)=\($0.value)" }
        entry.format = options.format.rawValue + (options.format == .csv && options.encoding != .utf8 ? " " + options.encoding.rawValue : "")
            + (options.rawCells ? " raw-cells" : "")
        entry.changesSince = options.changesSince
        entry.user = options.user
        var logID: Int64?
        var logError: String?
        do {
            logID = try ExportLog.record(entry, in: db)
        } catch {
            if options.revealPII { throw ExportLog.LogError(message: "--reveal-pii: the view cannot be logged in _dataflow_exports (\(error)), so nothing was exported") }
            logError = "this export could not be logged in _dataflow_exports: \(error)"
        }
        var rows = 0
        var lastSeq: Int64?
        switch options.format {
        case .csv:
            let writer = try CSVWriter(fd: fd, encoding: options.encoding)
            writer.neutralisesFormulas = !options.rawCells
            try writer.writeRow(headers)
            try db.forEachRow(sql, bindings) { st in
                for i in 0..<headers.count {
                    if i > 0 { writer.appendSeparator() }
                    if let mask = maskers[i] {
                        if let text = st.text(i) { writer.appendField(mask(text)) }
                    } else {
                        st.withBytes(i) { bytes in if let bytes { writer.appendField(bytes: bytes) } }
                    }
                }
                try writer.endRow()
                if feed { lastSeq = st.int(0) }
                rows += 1
            }
            // Once every row is read, before the last of them is written out and the export is
            // kept (`-o` renames it only after this returns).
            try db.confirmReadWhole()
            try writer.flush()
        case .ndjson:
            let writer = NDJSONWriter(fd: fd)
            try db.forEachRow(sql, bindings) { st in
                writer.beginObject()
                for i in 0..<headers.count {
                    writer.key(headers[i])
                    if st.isNull(i) {
                        writer.null()
                    } else if let mask = maskers[i] {
                        writer.string(mask(st.text(i) ?? ""))
                    } else if nested[i] {
                        // A json column nests as JSON; a stored value that does not parse stays a string.
                        st.withBytes(i) { bytes in
                            guard let bytes else { writer.null(); return }
                            if (try? JSONParser.parse(Array(bytes))) != nil { writer.json(bytes: bytes) } else { writer.string(bytes: bytes) }
                        }
                    } else if booleans[i] && st.isNumeric(i) {
                        writer.bool(st.int(i) != 0)
                    } else if st.isNumeric(i) {
                        st.withBytes(i) { bytes in if let bytes { writer.number(bytes: bytes) } }
                    } else {
                        st.withBytes(i) { bytes in if let bytes { writer.string(bytes: bytes) } }
                    }
                }
                try writer.endObject()
                if feed { lastSeq = st.int(0) }
                rows += 1
            }
            // Once every row is read, before the last of them is written out and the export is
            // kept (`-o` renames it only after this returns).
            try db.confirmReadWhole()
            try writer.flush()
        }
        if let logID { try ExportLog.finish(logID, rows: rows, in: db) }
        return Result(rows: rows, lastSeq: lastSeq, logError: logError)
    }

    /// The personal columns an output or filter column is computed from: the column itself when
    /// it is personal, the personal key columns for `_key`, every personal column for `_hash`
    /// (an unsalted SHA-256 of the clear values). Empty when the column shows no personal data.
    func personalSources(of column: String, masking: PIIMasking) -> [String] {
        let personal = dataset.fields.map(\.column).filter { masking.columns[$0] != nil }
        switch column {
        case "_hash": return personal
        case "_key": return dataset.key.filter { masking.columns[$0] != nil }
        default: return masking.columns[column] != nil ? [column] : []
        }
    }

    /// A masked export must not answer questions about clear values. `_hash` cannot be masked
    /// usefully — even a few hex digits let a script test guessed names against it — so it is
    /// refused; a filter on a personal column (or on `_key`/`_hash` built from one) would say
    /// whether a guessed value is in the table, and repeated values test thousands at once.
    func refuseClearDerivations(rowColumns: [String], filters: [Filter], masking: PIIMasking, keyPending: Bool = false) throws {
        if keyPending, let filter = filters.first(where: { $0.column == "_key" }) {
            throw UsageError(message: "--where \(filter.column)=…: the table's keys are still those of an earlier key that held personal data"
                + " (its key changed; run `dataflow sync --rekey \(dataset.name)`): a masked export cannot filter on them."
                + " Add --reveal-pii to filter on personal data (the clear view and its filter are logged in _dataflow_exports)")
        }
        if rowColumns.contains("_hash") {
            let sources = personalSources(of: "_hash", masking: masking)
            if !sources.isEmpty {
                throw UsageError(message: "column _hash is a hash of the clear values, personal data included (\(sources.joined(separator: ", "))):"
                    + " a masked export cannot show it, since guessed values can be tested against it."
                    + " Leave _hash out, or add --reveal-pii (the clear view is logged in _dataflow_exports)")
            }
        }
        var refused: [String] = []
        for f in filters where !refused.contains(f.column) && !personalSources(of: f.column, masking: masking).isEmpty { refused.append(f.column) }
        guard let first = refused.first else { return }
        let described = refused.map { column -> String in
            let sources = personalSources(of: column, masking: masking).joined(separator: ", ")
            switch column {
            case "_key": return "_key (it holds personal data: \(sources))"
            case "_hash": return "_hash (a hash of personal data: \(sources))"
            default: return "\(column) (personal data)"
            }
        }
        throw UsageError(message: "--where \(first)=…: a masked export cannot filter on \(described.joined(separator: ", ")):"
            + " the rows it returns would tell whether a guessed clear value is in the table."
            + " Add --reveal-pii to filter on personal data (the clear view and its filter are logged in _dataflow_exports)")
    }
}
