import ArgumentParser
import DataflowCore
import DataflowHTTP
import Foundation

/// `dataflow-bench`: the floors and fixtures `make bench` measures the real commands against.
@main
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataflow-bench",
        abstract: "Floors and fixtures for `make bench` (scripts/bench.sh).",
        subcommands: [FetchFloor.self, InsertFloor.self, GrowWarehouse.self]
    )
}

/// Fetches the licence pages the way a sync does (same transport, signing and JSON parser) and
/// writes nothing: the fetch-and-parse floor, or with `--no-parse` the sandbox's serving rate.
struct FetchFloor: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "fetch")

    @Option var baseURL: String
    @Option var path = "/gateway/api/001003001/dataSharing/licenses.htm"
    @Option var pageSize = 500
    @Option var appKey = "sandbox-app"
    @Option var appSecret = "sandbox-secret"
    @Flag var noParse = false

    func run() throws {
        let transport = try CurlTransport(options: TransportOptions())
        let secret = Secret(appSecret)
        let auth = ZJIRSAuthenticator(config: ZJIRSAuthConfig(appKey: appKey, appSecret: secret), source: "bench",
                                      baseURL: baseURL, transport: transport, redactor: Redactor(secrets: [secret]))
        let started = Date()
        var page = 1, records = 0, bytes = 0
        while true {
            var request = OutgoingRequest(path: path, query: [("pageNum", String(page)), ("pageSize", String(pageSize))])
            try auth.authorize(&request)
            let response = try transport.send(HTTPRequest(url: baseURL + path + "?" + QueryString.build(request.query), headers: request.headers))
            bytes += response.body.count
            var count = 0
            if noParse {
                // Count records without parsing: the sandbox writes one object per record.
                count = response.body.reduce(0) { $0 + ($1 == UInt8(ascii: "{") ? 1 : 0) } - 2
            } else {
                let body = try JSONParser.parse(response.body)
                guard case .array(let list)? = body.value(at: ["datas", "list"]) else { throw ValidationError("no datas.list on page \(page)") }
                count = list.count
            }
            records += max(0, count)
            if count < pageSize { break }
            page += 1
        }
        let seconds = Date().timeIntervalSince(started)
        print(String(format: "{\"seconds\": %.3f, \"pages\": %d, \"records\": %d, \"bytes\": %d}", seconds, page, records, bytes))
    }
}

/// Inserts the sandbox's licence records (read from its truth first, not timed) through one
/// prepared statement in one transaction, in one of three table layouts:
///
/// - `warehouse`: shaped like `market_licenses` (rowid table, a separate UNIQUE index on `_key`,
///   the bookkeeping columns) — what dataflow's own design costs;
/// - `primary-key`: the mapped columns and a `TEXT PRIMARY KEY` (what Python's
///   `sqlite3.executemany` into a keyed table measures);
/// - `without-rowid`: the same as one B-tree keyed by the key (`WITHOUT ROWID`).
///
/// The bench's insert floor is the fastest of `primary-key` and `without-rowid`: the fastest known
/// way to store those rows with a unique key, not the warehouse's own layout. The truth comes
/// sorted by key, so by default the key index only ever grows at its end; `--order update-time`
/// inserts the rows in the order a cursor walk receives them (by update time), as a sync must.
struct InsertFloor: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "insert")

    enum Layout: String, ExpressibleByArgument, CaseIterable {
        case warehouse, primaryKey = "primary-key", withoutRowid = "without-rowid"
    }

    @Option var database: String
    @Option var baseURL: String
    @Option(help: "warehouse | primary-key | without-rowid") var layout: Layout = .warehouse
    @Option(help: "key (the truth's order) | update-time (a cursor walk's order)") var order: Order = .key

    enum Order: String, ExpressibleByArgument, CaseIterable { case key, updateTime = "update-time" }

    static let fields = ["TYSHXYDM", "QYMC", "FDDBR", "CLRQ", "ZCZB", "XZQHDM", "UPDATE_TIME", "SXBM"]

    func run() throws {
        let transport = try CurlTransport(options: TransportOptions(timeout: 600))
        let truth = try transport.send(HTTPRequest(url: baseURL + "/_control/truth?dataset=licenses"))
        var records = try JSONParser.parseLines(truth.body)
        if order == .updateTime {
            func sortKey(_ r: JSONValue) -> (String, String) { (r["UPDATE_TIME"]?.text ?? "", r["TYSHXYDM"]?.text ?? "") }
            records.sort { sortKey($0) < sortKey($1) }
        }
        try? FileManager.default.removeItem(atPath: database)
        let db = try SQLiteDatabase(path: database)
        // The warehouse's own settings (SQLiteBackend), so the floor is not slowed by a smaller cache.
        try db.exec(SQLiteDatabase.warehouseSettings)
        let mapped = "uscc TEXT, name TEXT, legal_rep TEXT, established TEXT, capital TEXT, division TEXT, updated_at TEXT, _matter TEXT"
        switch layout {
        case .warehouse:
            try db.exec("""
                CREATE TABLE market_licenses (uscc TEXT, name TEXT, legal_rep TEXT, established TEXT, capital TEXT, division TEXT, updated_at TEXT,
                  _key TEXT NOT NULL UNIQUE, _hash TEXT NOT NULL, _deleted INTEGER NOT NULL DEFAULT 0, _first_seen TEXT NOT NULL,
                  _last_seen TEXT NOT NULL, _run_id INTEGER NOT NULL, _matter TEXT, _matter_code TEXT)
                """)
        case .primaryKey: try db.exec("CREATE TABLE market_licenses (_key TEXT PRIMARY KEY, \(mapped))")
        case .withoutRowid: try db.exec("CREATE TABLE market_licenses (_key TEXT PRIMARY KEY, \(mapped)) WITHOUT ROWID")
        }
        let started = Date()
        try db.transaction {
            if layout == .warehouse {
                let st = try db.prepare("INSERT INTO market_licenses VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)")
                for record in records {
                    try st.clear()
                    for (i, field) in Self.fields.prefix(7).enumerated() { try st.bindInPlace(record[field]?.text.map(CellValue.text) ?? .null, at: Int32(i + 1)) }
                    try st.bindInPlace(.text(record["TYSHXYDM"]?.text ?? ""), at: 8)
                    try st.bindInPlace(.text("9f86d081884c7d659a2feaa0c55ad015"), at: 9)
                    try st.bindInPlace(.integer(0), at: 10)
                    try st.bindInPlace(.text("2026-11-29T00:00:00Z"), at: 11)
                    try st.bindInPlace(.text("2026-11-29T00:00:00Z"), at: 12)
                    try st.bindInPlace(.integer(1), at: 13)
                    try st.bindInPlace(record["SXBM"]?.text.map(CellValue.text) ?? .null, at: 14)
                    try st.bindInPlace(record["SXBM"]?.text.map(CellValue.text) ?? .null, at: 15)
                    try st.execute()
                }
            } else {
                let st = try db.prepare("INSERT INTO market_licenses VALUES (?,?,?,?,?,?,?,?,?)")
                for record in records {
                    try st.clear()
                    try st.bindInPlace(.text(record["TYSHXYDM"]?.text ?? ""), at: 1)
                    for (i, field) in Self.fields.enumerated() { try st.bindInPlace(record[field]?.text.map(CellValue.text) ?? .null, at: Int32(i + 2)) }
                    try st.execute()
                }
            }
        }
        print(String(format: "{\"seconds\": %.3f, \"rows\": %d}", Date().timeIntervalSince(started), records.count))
    }
}

/// Grows a synced warehouse's dataset table to N rows by copying its rows under new keys, and
/// keeps the metadata counters true, so `catalog` can be timed on a 10-million-row warehouse.
struct GrowWarehouse: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "grow")

    @Option var database: String
    @Option var dataset = "market_licenses"
    @Option var rows: Int

    func run() throws {
        let db = try SQLiteDatabase(path: database)
        let table = Identifier.quoted(dataset)
        let columns = try db.columns(of: dataset).filter { $0 != "_key" }.map(Identifier.quoted)
        var generation = 0
        while let current = try db.scalarInt("SELECT count(*) FROM \(table)"), current < rows {
            generation += 1
            let take = min(Int(current), rows - Int(current))
            try db.transaction {
                try db.exec("""
                    INSERT INTO \(table) (\(columns.joined(separator: ", ")), _key)
                    SELECT \(columns.joined(separator: ", ")), _key || '#\(generation)' FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) LIMIT \(take))
                    """)
                try db.prepare("UPDATE _dataflow_state SET rows = (SELECT count(*) FROM \(table) WHERE _deleted = 0), deleted_rows = (SELECT count(*) FROM \(table) WHERE _deleted = 1) WHERE dataset = ?")
                    .run([.text(dataset)])
                try db.prepare("DELETE FROM _dataflow_dataset_matters WHERE dataset = ?").run([.text(dataset)])
                try db.prepare("INSERT INTO _dataflow_dataset_matters (dataset, matter, rows) SELECT ?, _matter, count(*) FROM \(table) WHERE _deleted = 0 AND _matter IS NOT NULL GROUP BY _matter")
                    .run([.text(dataset)])
            }
        }
        print("{\"rows\": \(try db.scalarInt("SELECT count(*) FROM \(table)") ?? 0)}")
    }
}
