import Foundation

/// The audit log of views of warehouse data, `_dataflow_exports`: every `export`, and every
/// `rejects` or `check` that shows personal data in clear (`--reveal-pii`). One row per view:
/// who, which command, what (dataset, filter, format, `--changes-since`), where it went and
/// whether personal data was masked.
///
/// ```swift
/// var entry = ExportLog.Entry(command: "rejects", dataset: "service_cases", masked: false, target: "stdout")
/// entry.format = "json"
/// try ExportLog.record(entry, in: reader)
/// ```
public enum ExportLog {
    /// One view.
    public struct Entry: Sendable {
        /// `export`, `rejects` or `check`.
        public var command: String
        /// The dataset, or `*` for a view over every dataset.
        public var dataset: String
        public var rows = 0
        public var columns: [String] = []
        /// False for a clear view (`--reveal-pii`).
        public var masked: Bool
        /// The file written, or `stdout`; for `check`, the source or dataset named on the command line.
        public var target: String
        /// The `--where` filters as given (`COLUMN=VALUE`), or the `rejects` options.
        public var filters: [String] = []
        public var format: String?
        public var changesSince: Int64?
        /// Who viewed; defaults to the login name of the process.
        public var user: String?

        public init(command: String, dataset: String, masked: Bool, target: String) {
            self.command = command
            self.dataset = dataset
            self.masked = masked
            self.target = target
        }
    }

    /// Records `entry` and returns its id; throws when the log cannot be written (a clear view
    /// must then not happen, so callers record before any data leaves).
    @discardableResult
    public static func record(_ entry: Entry, in db: WarehouseReader) throws -> Int64 {
        let filter = entry.filters.isEmpty ? CellValue.null : .text("[" + entry.filters.map(JSONValue.quoted).joined(separator: ",") + "]")
        let sql = """
            INSERT INTO _dataflow_exports (at, "user", command, dataset, rows, columns, masked, target, filter, format, changes_since)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id
            """
        var id: Int64?
        try db.forEachRow(sql, [.text(Timestamp.now()), .text(entry.user ?? NSUserName()), .text(entry.command), .text(entry.dataset),
                  .integer(Int64(entry.rows)), .text(entry.columns.joined(separator: ",")), .integer(entry.masked ? 1 : 0),
                  .text(entry.target), filter, entry.format.map(CellValue.text) ?? .null, entry.changesSince.map(CellValue.integer) ?? .null]) { id = $0.int(0) }
        guard let id else { throw LogError(message: "the export log returned no id") }
        return id
    }

    /// Sets the row count of a view recorded before it streamed.
    public static func finish(_ id: Int64, rows: Int, in db: WarehouseReader) throws {
        try db.execute("UPDATE _dataflow_exports SET rows = ? WHERE id = ?", [.integer(Int64(rows)), .integer(id)])
    }

    /// The log could not be written.
    public struct LogError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
        public init(message: String) { self.message = message }
    }
}
