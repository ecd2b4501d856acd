/// Walks one dataset of an exchange database (前置库) by keyset and commits each page with its
/// state, the SQL counterpart of `PageWalker`.
///
/// Pages are `SELECT * FROM (origin) src WHERE (wm, k…) > (?, ?…) ORDER BY wm, k… LIMIT n` — never
/// OFFSET. A run starts at `wm >= stored watermark`, re-reading the rows of the last watermark value
/// (unchanged hashes are no-ops), so state stays one value per dataset and rows that share the last
/// watermark value are neither lost nor duplicated. The watermark moves with every committed page.
final class ExchangeWalker {
    let dataset: DatasetConfig
    let exchange: ExchangeQueryConfig
    let database: WarehouseReader
    let warehouse: Warehouse
    let runID: Int64
    let observer: SyncObserver
    private var committer: PageCommitter

    /// Runs once just before the first page is applied (`PageCommitter.beforeFirstCommit`).
    var beforeFirstCommit: OnceAction? {
        get { committer.beforeFirstCommit }
        set { committer.beforeFirstCommit = newValue }
    }

    init(dataset: DatasetConfig, exchange: ExchangeQueryConfig, database: WarehouseReader, project: ProjectConfig,
         warehouse: Warehouse, runID: Int64, observer: SyncObserver) {
        self.dataset = dataset
        self.exchange = exchange
        self.database = database
        self.warehouse = warehouse
        self.runID = runID
        self.observer = observer
        committer = PageCommitter(dataset: dataset, warehouse: warehouse, runID: runID, observer: observer,
                                  mapper: RecordMapper(dataset: dataset, dictionaries: project.dictionaries))
    }

    /// The SQL of one page; `after` = the last (watermark, key…) read, `from` = the stored watermark.
    static func pageSQL(_ exchange: ExchangeQueryConfig, after: Bool, from: Bool) -> String {
        let origin: String
        switch exchange.origin {
        case .table(let name): origin = name.split(separator: ".").map { Identifier.quoted(String($0)) }.joined(separator: ".")
        case .query(let sql): origin = "(\(sql))"
        }
        let order = ([exchange.watermark] + exchange.key).map { "src." + Identifier.quoted($0) }
        var sql = "SELECT * FROM \(origin) src"
        if after {
            sql += " WHERE (\(order.joined(separator: ", "))) > (\(Array(repeating: "?", count: order.count).joined(separator: ", ")))"
        } else if from {
            sql += " WHERE src.\(Identifier.quoted(exchange.watermark)) >= ?"
        }
        return sql + " ORDER BY \(order.joined(separator: ", ")) LIMIT \(exchange.pageSize)"
    }

    func walk(from state: DatasetState, summary: inout DatasetSummary) throws {
        var position: [CellValue]?
        var watermarkText = state.watermarkText
        var pageNumber = 0
        while true {
            var records: [JSONValue] = []
            var last: [CellValue]?
            let bindings: [CellValue]
            if let position { bindings = position } else if let w = watermarkText { bindings = [ExchangeWalker.bindable(w)] } else { bindings = [] }
            // Column names equal as Swift compares them (two Unicode forms of one name, which the
            // database keeps apart): a mapping that reads such a column quarantines the row.
            var repeated: [String]?
            try database.forEachRow(ExchangeWalker.pageSQL(exchange, after: position != nil, from: watermarkText != nil), bindings) { row in
                var members: [(key: String, value: JSONValue)] = []
                members.reserveCapacity(row.columnCount)
                for i in 0..<row.columnCount {
                    members.append((row.columnName(i), row.text(i).map(JSONValue.string) ?? .null))
                }
                var object = JSONObject(members)
                if repeated == nil { repeated = JSONObject.repeatedNames(members.map(\.key)) }
                object.duplicateKeys = repeated ?? []
                records.append(.object(object))
                last = ([exchange.watermark] + exchange.key).map { column in
                    object[column]?.text.map(ExchangeWalker.bindable) ?? .null
                }
            }
            if records.isEmpty { break }
            guard let last, let lastWatermark = last.first?.text else {
                throw ExchangeError(dataset: dataset.name, message: "a row has no value in the watermark column \(exchange.watermark) (or the query does not select it)")
            }
            pageNumber += 1
            watermarkText = lastWatermark
            try commit(records, pageNumber: pageNumber, watermark: lastWatermark, summary: &summary)
            position = last
            if records.count < exchange.pageSize { break }
        }
        summary.watermark = try warehouse.state(of: dataset.name).watermarkText
    }

    /// Integers bind as integers (so an INTEGER watermark compares numerically on SQLite), the rest as text.
    static func bindable(_ text: String) -> CellValue {
        if let n = Int64(text), String(n) == text { return .integer(n) }
        return .text(text)
    }

    private func commit(_ records: [JSONValue], pageNumber: Int, watermark: String, summary: inout DatasetSummary) throws {
        _ = try committer.commit(records, pageNumber: pageNumber, total: nil, requests: 1, summary: &summary) { mapped in
            // Exchange rows carry their cursor on mapped rows only (a rejected row's watermark value
            // is the page's). The integer watermark column keeps an epoch when one is known
            // (incremental: cursor) or the value itself when numeric.
            (mapped.rows.compactMap(\.cursor).max() ?? Int(watermark) ?? 0, watermark)
        }
    }
}
