import Foundation
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
    /// Keys with open rejects (small: rejects are the exception), so resolving costs nothing per row
    /// unless the key really has one.
    private var openRejectKeys: Set<String> = []

    static let systemColumns = ["_key", "_hash", "_deleted", "_first_seen", "_last_seen", "_run_id", "_matter", "_matter_code"]

    /// Compares stored UTF-8 bytes with a string without building a String.
    static func equals(_ bytes: UnsafeBufferPointer<UInt8>, _ text: String) -> Bool {
        var text = text
        return text.withUTF8 { t in t.count == bytes.count && (t.count == 0 || memcmp(t.baseAddress!, bytes.baseAddress!, t.count) == 0) }
    }

    static func sqlType(_ type: FieldType) -> String {
        switch type {
        case .int, .bool: return "INTEGER"
        case .text, .decimal, .date, .datetime, .json: return "TEXT"
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
        let open = try db.prepare("SELECT DISTINCT key FROM _dataflow_rejects WHERE dataset = ? AND resolved_at IS NULL AND key IS NOT NULL")
        try open.bind([.text(dataset.name)])
        while try open.step() { if let k = open.text(0) { openRejectKeys.insert(k) } }
    }

    /// Applies a replay of open rejects; the caller wraps this in one transaction.
    func applyReplay(_ replay: RejectReplay, now: String) throws -> PageCounts {
        let batch = PageBatch(runID: replay.runID, dataset: dataset, rows: replay.rows, rejects: [], unmappedFields: [],
                              watermark: nil, passMax: nil, fetched: 0, requests: 0)
        let counts = try apply(batch, now: now)
        let run = CellValue.integer(replay.runID)
        let resolve = try db.prepare("UPDATE _dataflow_rejects SET resolved_at = ?, resolved_run_id = ? WHERE id = ? AND resolved_at IS NULL")
        for id in replay.resolved { try resolve.run([.text(now), run, .integer(id)]) }
        // Still failing: the reasons now say why under the current mapping; the reject stays open.
        let update = try db.prepare("UPDATE _dataflow_rejects SET reasons = ?, last_run_id = ?, resolved_at = NULL, resolved_run_id = NULL WHERE id = ?")
        for (id, reasons) in replay.stillRejected { try update.run([.text(reasons), run, .integer(id)]) }
        return counts
    }

    /// Applies a page; the caller wraps this in the page's transaction.
    func apply(_ batch: PageBatch, now: String) throws -> PageCounts {
        var counts = PageCounts()
        var liveDelta = 0, deletedDelta = 0
        var matterDeltas: [String: Int] = [:]
        var unresolvedCodes: Set<String> = []
        let run = CellValue.integer(batch.runID)
        let datasetName = CellValue.text(dataset.name)
        let nowText = CellValue.text(now)
        let fieldCount = dataset.fields.count
        for row in batch.rows {
            let key = CellValue.text(row.key)
            try select.bind([key])
            let op: String?
            if try select.step() {
                let oldDeleted = select.int(1) != 0
                // Same content and same liveness: a key tombstoned because it went missing (snapshot or
                // reconcile) that comes back with unchanged content is live again, not unchanged.
                let sameHash = oldDeleted == row.deleted && select.withBytes(0) { bytes in bytes.map { Self.equals($0, row.hash) } ?? false }
                let oldMatter = sameHash ? nil : select.text(2)
                select.reset()
                if sameHash {
                    counts.unchanged += 1
                    op = nil
                    if batch.markSeen { try markSeen(key: key, run: run) }
                } else {
                    // Bound in place, no per-row arrays: values, then the system columns, then the key.
                    try update.clear()
                    for (i, value) in row.values.enumerated() { try update.bind(value, at: Int32(i + 1)) }
                    try update.bind(.text(row.hash), at: Int32(fieldCount + 1))
                    try update.bind(.integer(row.deleted ? 1 : 0), at: Int32(fieldCount + 2))
                    try update.bind(nowText, at: Int32(fieldCount + 3))
                    try update.bind(run, at: Int32(fieldCount + 4))
                    try update.bind(row.matter.map(CellValue.text) ?? .null, at: Int32(fieldCount + 5))
                    try update.bind(row.matterCode.map(CellValue.text) ?? .null, at: Int32(fieldCount + 6))
                    try update.bind(key, at: Int32(fieldCount + 7))
                    try update.execute()
                    if row.deleted && !oldDeleted { op = "D"; counts.deleted += 1 } else if !row.deleted && oldDeleted { op = "I"; counts.inserted += 1 } else { op = "U"; counts.updated += 1 }
                    if !oldDeleted { liveDelta -= 1; if let m = oldMatter { matterDeltas[m, default: 0] -= 1 } } else { deletedDelta -= 1 }
                    if !row.deleted { liveDelta += 1; if let m = row.matter { matterDeltas[m, default: 0] += 1 } } else { deletedDelta += 1 }
                }
            } else {
                select.reset()
                try insert.clear()
                for (i, value) in row.values.enumerated() { try insert.bind(value, at: Int32(i + 1)) }
                try insert.bind(key, at: Int32(fieldCount + 1))
                try insert.bind(.text(row.hash), at: Int32(fieldCount + 2))
                try insert.bind(.integer(row.deleted ? 1 : 0), at: Int32(fieldCount + 3))
                try insert.bind(nowText, at: Int32(fieldCount + 4))
                try insert.bind(nowText, at: Int32(fieldCount + 5))
                try insert.bind(run, at: Int32(fieldCount + 6))
                try insert.bind(row.matter.map(CellValue.text) ?? .null, at: Int32(fieldCount + 7))
                try insert.bind(row.matterCode.map(CellValue.text) ?? .null, at: Int32(fieldCount + 8))
                try insert.execute()
                if row.deleted { op = "D"; counts.deleted += 1; deletedDelta += 1 } else {
                    op = "I"; counts.inserted += 1; liveDelta += 1
                    if let m = row.matter { matterDeltas[m, default: 0] += 1 }
                }
            }
            if let op { try change.run([run, datasetName, key, .text(op), .text(row.hash), nowText]) }
            // A clean record of the key arrived after its rejects (changed or not): they are resolved.
            if openRejectKeys.contains(row.key) {
                try resolveRejects.run([nowText, run, datasetName, key])
                openRejectKeys.remove(row.key)
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
            if let k = r.key { openRejectKeys.insert(k) }
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
