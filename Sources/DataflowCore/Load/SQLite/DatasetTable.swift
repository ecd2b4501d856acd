/// One dataset's warehouse table and the prepared statements that keep it in step.
final class DatasetTable {
    let db: SQLiteDatabase
    let dataset: DatasetConfig
    let name: String
    private let select: SQLiteStatement
    private let insert: SQLiteStatement
    private let update: SQLiteStatement
    private let change: SQLiteStatement
    private let reject: SQLiteStatement
    private let resolveRejects: SQLiteStatement
    private let drift: SQLiteStatement
    private let unresolved: SQLiteStatement
    private let matterCount: SQLiteStatement
    private let stateUpdate: SQLiteStatement
    private let counters: SQLiteStatement
    /// Whether any open reject exists (so the per-row resolve lookup can be skipped).
    private var hasOpenRejects: Bool

    static let systemColumns = ["_key", "_hash", "_deleted", "_first_seen", "_last_seen", "_run_id", "_matter", "_matter_code"]

    static func sqlType(_ type: FieldType) -> String {
        switch type {
        case .int, .bool: return "INTEGER"
        case .text, .decimal, .date, .datetime: return "TEXT"
        }
    }

    init(db: SQLiteDatabase, dataset: DatasetConfig) throws {
        self.db = db
        self.dataset = dataset
        name = Identifier.quoted(dataset.name)
        if try !db.tableExists(dataset.name) {
            let columns = dataset.fields.map { "\(Identifier.quoted($0.column)) \(DatasetTable.sqlType($0.type))" }
            try db.exec("""
                CREATE TABLE \(name) (
                    \(columns.joined(separator: ",\n    ")),
                    _key TEXT NOT NULL UNIQUE,
                    _hash TEXT NOT NULL,
                    _deleted INTEGER NOT NULL DEFAULT 0,
                    _first_seen TEXT NOT NULL,
                    _last_seen TEXT NOT NULL,
                    _run_id INTEGER NOT NULL,
                    _matter TEXT,
                    _matter_code TEXT
                )
                """)
        } else {
            // A mapping that gained fields adds columns; existing rows keep NULL there until they change.
            let existing = Set(try db.columns(of: dataset.name))
            for field in dataset.fields where !existing.contains(field.column) {
                try db.exec("ALTER TABLE \(name) ADD COLUMN \(Identifier.quoted(field.column)) \(DatasetTable.sqlType(field.type))")
            }
        }
        let cols = dataset.fields.map { Identifier.quoted($0.column) }
        select = try db.prepare("SELECT _hash, _deleted, _matter FROM \(name) WHERE _key = ?")
        let insertColumns = cols + DatasetTable.systemColumns
        insert = try db.prepare("INSERT INTO \(name) (\(insertColumns.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: insertColumns.count).joined(separator: ", ")))")
        let sets = cols.map { "\($0) = ?" } + ["_hash = ?", "_deleted = ?", "_last_seen = ?", "_run_id = ?", "_matter = ?", "_matter_code = ?"]
        update = try db.prepare("UPDATE \(name) SET \(sets.joined(separator: ", ")) WHERE _key = ?")
        change = try db.prepare("INSERT INTO _dataflow_changes (run_id, dataset, key, op, hash, at) VALUES (?, ?, ?, ?, ?, ?)")
        reject = try db.prepare("""
            INSERT INTO _dataflow_rejects (dataset, key, record, record_hash, reasons, first_run_id, last_run_id, first_seen, last_seen)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (dataset, record_hash) DO UPDATE SET last_run_id = excluded.last_run_id, last_seen = excluded.last_seen, reasons = excluded.reasons
            """)
        resolveRejects = try db.prepare("UPDATE _dataflow_rejects SET resolved_at = ?, resolved_run_id = ? WHERE dataset = ? AND key = ? AND resolved_at IS NULL")
        drift = try db.prepare("""
            INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES (?, ?, 0, ?, ?)
            ON CONFLICT (dataset, field) DO UPDATE SET last_seen = excluded.last_seen
            """)
        unresolved = try db.prepare("""
            INSERT INTO _dataflow_unresolved_matters (dataset, code, first_seen, last_seen) VALUES (?, ?, ?, ?)
            ON CONFLICT (dataset, code) DO UPDATE SET last_seen = excluded.last_seen
            """)
        matterCount = try db.prepare("""
            INSERT INTO _dataflow_dataset_matters (dataset, matter, rows) VALUES (?, ?, ?)
            ON CONFLICT (dataset, matter) DO UPDATE SET rows = rows + excluded.rows
            """)
        stateUpdate = try db.prepare("""
            UPDATE _dataflow_state SET rows = rows + ?, deleted_rows = deleted_rows + ?,
                watermark = coalesce(?, watermark), watermark_text = coalesce(?, watermark_text),
                pass_max = coalesce(?, pass_max), updated_at = ? WHERE dataset = ?
            """)
        counters = try db.prepare("""
            UPDATE _dataflow_run_datasets SET fetched = fetched + ?, inserted = inserted + ?, updated = updated + ?,
                unchanged = unchanged + ?, deleted = deleted + ?, rejected = rejected + ?, pages = pages + 1, requests = requests + ?
            WHERE run_id = ? AND dataset = ?
            """)
        hasOpenRejects = (try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = ? AND resolved_at IS NULL", [.text(dataset.name)]) ?? 0) > 0
    }

    /// Applies a page; the caller wraps this in the page's transaction.
    func apply(_ batch: PageBatch, now: String) throws -> PageCounts {
        var counts = PageCounts()
        var liveDelta = 0, deletedDelta = 0
        var matterDeltas: [String: Int] = [:]
        var unresolvedCodes: Set<String> = []
        let run = CellValue.integer(batch.runID)
        let datasetName = CellValue.text(dataset.name)
        for row in batch.rows {
            let key = CellValue.text(row.key)
            try select.bind([key])
            let op: String?
            if try select.step() {
                let oldHash = select.text(0)
                let oldDeleted = select.int(1) != 0
                let oldMatter = select.text(2)
                select.reset()
                if oldHash == row.hash {
                    counts.unchanged += 1
                    op = nil
                    if batch.markSeen { try markSeen(key: key, run: run) }
                } else {
                    try update.run(row.values + [.text(row.hash), .integer(row.deleted ? 1 : 0), .text(now), run,
                                                 row.matter.map(CellValue.text) ?? .null, row.matterCode.map(CellValue.text) ?? .null, key])
                    if row.deleted && !oldDeleted { op = "D"; counts.deleted += 1 } else if !row.deleted && oldDeleted { op = "I"; counts.inserted += 1 } else { op = "U"; counts.updated += 1 }
                    if !oldDeleted { liveDelta -= 1; if let m = oldMatter { matterDeltas[m, default: 0] -= 1 } } else { deletedDelta -= 1 }
                    if !row.deleted { liveDelta += 1; if let m = row.matter { matterDeltas[m, default: 0] += 1 } } else { deletedDelta += 1 }
                }
            } else {
                select.reset()
                try insert.run(row.values + [key, .text(row.hash), .integer(row.deleted ? 1 : 0), .text(now), .text(now), run,
                                             row.matter.map(CellValue.text) ?? .null, row.matterCode.map(CellValue.text) ?? .null])
                if row.deleted { op = "D"; counts.deleted += 1; deletedDelta += 1 } else {
                    op = "I"; counts.inserted += 1; liveDelta += 1
                    if let m = row.matter { matterDeltas[m, default: 0] += 1 }
                }
            }
            if let op {
                try change.run([run, datasetName, key, .text(op), .text(row.hash), .text(now)])
                if hasOpenRejects { try resolveRejects.run([.text(now), run, datasetName, key]) }
            }
            if row.matter == nil, let code = row.matterCode { unresolvedCodes.insert(code) }
        }
        for r in batch.rejects {
            if batch.markSeen, let k = r.key { try markSeen(key: .text(k), run: run) }
            let record = r.record.serialized()
            let recordHash = Digest.hex(Digest.hash(.sha256, Array(record.utf8)).prefix(16))
            try reject.run([datasetName, r.key.map(CellValue.text) ?? .null, .text(record), .text(recordHash), .text(r.reasonsJSON),
                            run, run, .text(now), .text(now)])
            counts.rejected += 1
            hasOpenRejects = true
        }
        for field in batch.unmappedFields.sorted() { try drift.run([datasetName, .text(field), .text(now), .text(now)]) }
        for code in unresolvedCodes.sorted() { try unresolved.run([datasetName, .text(code), .text(now), .text(now)]) }
        for (matter, delta) in matterDeltas where delta != 0 { try matterCount.run([datasetName, .text(matter), .integer(Int64(delta))]) }
        try stateUpdate.run([.integer(Int64(liveDelta)), .integer(Int64(deletedDelta)),
                             batch.watermark.map { .integer(Int64($0.epoch)) } ?? .null, batch.watermark.map { .text($0.text) } ?? .null,
                             batch.passMax.map { .integer(Int64($0)) } ?? .null, .text(now), datasetName])
        try counters.run([.integer(Int64(batch.fetched)), .integer(Int64(counts.inserted)), .integer(Int64(counts.updated)),
                          .integer(Int64(counts.unchanged)), .integer(Int64(counts.deleted)), .integer(Int64(counts.rejected)),
                          .integer(Int64(batch.requests)), run, datasetName])
        return counts
    }
}
