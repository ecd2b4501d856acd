import CLibPQ
import DataflowCore
import Foundation

/// One blocking libpq connection: statements with bound text parameters, transactions, COPY FROM
/// STDIN for bulk rows, and row-by-row streaming for exports.
///
/// The sync engine is synchronous, and so is libpq: no event loop, no bridging. A connection
/// belongs to the one thread that uses it (it is not `Sendable`).
///
/// ```swift
/// let pg = try PostgresConnection(location: location, applicationName: "dataflow sync")
/// try pg.execute("CREATE TABLE t (a bigint)")
/// let n = try pg.scalarInt("SELECT count(*) FROM t WHERE a > $1", [.integer(5)])
/// ```
public final class PostgresConnection {
    let handle: OpaquePointer
    public let location: PostgresLocation

    /// Connects; the password comes from the location, else from `PGPASSWORD` or `~/.pgpass` (libpq).
    public init(location: PostgresLocation, applicationName: String = "dataflow") throws {
        self.location = location
        var pairs: [(String, String)] = [("host", location.host), ("port", String(location.port)), ("dbname", location.database),
                                         ("application_name", applicationName), ("connect_timeout", "10"),
                                         ("client_encoding", "UTF8")]
        if let user = location.user { pairs.append(("user", user)) }
        if let password = location.password { pairs.append(("password", password.revealed)) }
        if let ssl = location.sslMode { pairs.append(("sslmode", ssl)) }
        let keywords = pairs.map { strdup($0.0) }, values = pairs.map { strdup($0.1) }
        defer { (keywords + values).forEach { free($0) } }
        let k: [UnsafePointer<CChar>?] = keywords.map { UnsafePointer($0) } + [nil]
        let v: [UnsafePointer<CChar>?] = values.map { UnsafePointer($0) } + [nil]
        guard let conn = PQconnectdbParams(k, v, 0) else {
            throw PostgresError(message: "cannot connect to \(location): out of memory")
        }
        guard PQstatus(conn) == CONNECTION_OK else {
            let message = String(cString: PQerrorMessage(conn))
            PQfinish(conn)
            throw PostgresError(message: "cannot connect to \(location): \(message)")
        }
        handle = conn
        // Server notices go to the log, not raw to stderr (libpq's default printer).
        PQsetNoticeProcessor(conn, { _, message in
            if let message { WarehouseNotice.report(String(cString: message)) }
        }, nil)
        try execute("SET client_min_messages = warning")
    }

    deinit { PQfinish(handle) }

    /// Runs one or more statements without parameters (migrations, DDL).
    public func execute(_ sql: String) throws {
        let result = PQexec(handle, sql)
        defer { PQclear(result) }
        try check(result, sql: sql)
    }

    /// Runs one statement with `$1…$n` parameters and returns its rows.
    @discardableResult
    public func query(_ sql: String, _ parameters: [CellValue]) throws -> PostgresRows {
        let result = withParameters(parameters) { values in
            PQexecParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        do { try check(result, sql: sql) } catch { PQclear(result); throw error }
        return PostgresRows(result: result)
    }

    /// Runs `body` inside `BEGIN … COMMIT`, rolling back on any error.
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try beginTransaction()
        do {
            let result = try body()
            try commitTransaction()
            return result
        } catch {
            rollbackTransaction()
            throw error
        }
    }

    public func beginTransaction() throws { try execute("BEGIN") }
    public func commitTransaction() throws { try execute("COMMIT") }
    public func rollbackTransaction() { _ = PQexec(handle, "ROLLBACK").map { PQclear($0) } }

    /// Streams rows one at a time (libpq single-row mode), so a large table never sits in memory.
    public func stream(_ sql: String, _ parameters: [CellValue], _ body: (PostgresRows) throws -> Void) throws {
        let sent = withParameters(parameters) { values in
            PQsendQueryParams(handle, sql, Int32(values.count), nil, values, nil, nil, 0)
        }
        guard sent == 1 else { throw PostgresError(message: String(cString: PQerrorMessage(handle)), sql: sql) }
        PQsetSingleRowMode(handle)
        var failure: Error?
        while let result = PQgetResult(handle) {
            let status = PQresultStatus(result)
            if status == PGRES_SINGLE_TUPLE, failure == nil {
                let rows = PostgresRows(result: result)
                do { try body(rows) } catch { failure = error }
                // Draining the rest keeps the connection usable; libpq has no cheap cancel here.
                continue
            }
            if status != PGRES_TUPLES_OK, status != PGRES_SINGLE_TUPLE, failure == nil {
                failure = error(from: result, sql: sql)
            }
            PQclear(result)
        }
        if let failure { throw failure }
    }

    /// `COPY table (columns) FROM STDIN` with rows in COPY text format; the caller is in a transaction.
    public func copy(into table: String, columns: [String], rows: some Sequence<[CellValue]>) throws {
        let sql = "COPY \(table) (\(columns.joined(separator: ", "))) FROM STDIN"
        let start = PQexec(handle, sql)
        let status = PQresultStatus(start)
        if status != PGRES_COPY_IN {
            defer { PQclear(start) }
            throw error(from: start, sql: sql)
        }
        PQclear(start)
        var buffer = CopyTextEncoder()
        var failed: String?
        for row in rows {
            buffer.append(row)
            if buffer.bytes.count >= 1 << 16 {
                if !send(&buffer) { failed = String(cString: PQerrorMessage(handle)); break }
            }
        }
        if failed == nil, !buffer.bytes.isEmpty, !send(&buffer) { failed = String(cString: PQerrorMessage(handle)) }
        _ = failed == nil ? PQputCopyEnd(handle, nil) : PQputCopyEnd(handle, "client failed while sending rows")
        var firstError: PostgresError?
        while let result = PQgetResult(handle) {
            if PQresultStatus(result) != PGRES_COMMAND_OK, firstError == nil { firstError = error(from: result, sql: sql) }
            PQclear(result)
        }
        if let failed { throw PostgresError(message: failed, sql: sql) }
        if let firstError { throw firstError }
    }

    private func send(_ buffer: inout CopyTextEncoder) -> Bool {
        let ok = buffer.bytes.withUnsafeBufferPointer { p in
            p.withMemoryRebound(to: CChar.self) { chars in chars.baseAddress.map { PQputCopyData(handle, $0, Int32(chars.count)) } ?? 1 }
        }
        buffer.bytes.removeAll(keepingCapacity: true)
        return ok == 1
    }

    private func withParameters<T>(_ parameters: [CellValue], _ body: ([UnsafePointer<CChar>?]) throws -> T) rethrows -> T {
        let owned: [UnsafeMutablePointer<CChar>?] = parameters.map { value in value.text.map { strdup($0) } ?? nil }
        defer { owned.forEach { free($0) } }
        return try body(owned.map { $0.map { UnsafePointer($0) } })
    }

    private func check(_ result: OpaquePointer?, sql: String) throws {
        let status = PQresultStatus(result)
        guard status == PGRES_COMMAND_OK || status == PGRES_TUPLES_OK else { throw error(from: result, sql: sql) }
    }

    private func error(from result: OpaquePointer?, sql: String) -> PostgresError {
        guard let result else { return PostgresError(message: String(cString: PQerrorMessage(handle)), sql: sql) }
        let message = String(cString: PQresultErrorMessage(result))
        let state = PQresultErrorField(result, Int32(UInt8(ascii: "C"))).map { String(cString: $0) }
        return PostgresError(message: message.isEmpty ? String(cString: PQerrorMessage(handle)) : message, sqlState: state, sql: sql)
    }
}

/// The rows of one result, read as text (libpq's text format) and converted on access.
public final class PostgresRows {
    let result: OpaquePointer?

    init(result: OpaquePointer?) { self.result = result }
    deinit { PQclear(result) }

    public var count: Int { Int(PQntuples(result)) }
    public var columnCount: Int { Int(PQnfields(result)) }
    public func columnName(_ column: Int) -> String { String(cString: PQfname(result, Int32(column))) }
    public func isNull(_ row: Int, _ column: Int) -> Bool { PQgetisnull(result, Int32(row), Int32(column)) == 1 }

    /// int2, int4, int8, float4, float8 and numeric (type OIDs from pg_type).
    public func isNumericColumn(_ column: Int) -> Bool { [20, 21, 23, 700, 701, 1700].contains(PQftype(result, Int32(column))) }

    public func text(_ row: Int, _ column: Int) -> String? {
        if isNull(row, column) { return nil }
        guard let p = PQgetvalue(result, Int32(row), Int32(column)) else { return nil }
        return String(cString: p)
    }

    public func int(_ row: Int, _ column: Int) -> Int64? { text(row, column).flatMap { Int64($0) } }

    /// Raw UTF-8 bytes without building a String (for streaming exports).
    public func withBytes<T>(_ row: Int, _ column: Int, _ body: (UnsafeBufferPointer<UInt8>?) throws -> T) rethrows -> T {
        if isNull(row, column) { return try body(nil) }
        guard let p = PQgetvalue(result, Int32(row), Int32(column)) else { return try body(nil) }
        let n = Int(PQgetlength(result, Int32(row), Int32(column)))
        return try p.withMemoryRebound(to: UInt8.self, capacity: n) { try body(UnsafeBufferPointer(start: $0, count: n)) }
    }
}

/// Rows in PostgreSQL's COPY text format: tab-separated, `\N` for NULL, backslash escapes.
struct CopyTextEncoder {
    var bytes: [UInt8] = []

    init() { bytes.reserveCapacity(1 << 17) }

    mutating func append(_ row: [CellValue]) {
        for (i, value) in row.enumerated() {
            if i > 0 { bytes.append(0x09) }
            switch value {
            case .null: bytes.append(contentsOf: [0x5C, 0x4E])
            case .integer(let n): bytes.append(contentsOf: String(n).utf8)
            case .text(let s):
                for b in s.utf8 {
                    switch b {
                    case 0x5C: bytes.append(contentsOf: [0x5C, 0x5C])
                    case 0x09: bytes.append(contentsOf: [0x5C, 0x74])
                    case 0x0A: bytes.append(contentsOf: [0x5C, 0x6E])
                    case 0x0D: bytes.append(contentsOf: [0x5C, 0x72])
                    default: bytes.append(b)
                    }
                }
            }
        }
        bytes.append(0x0A)
    }
}
