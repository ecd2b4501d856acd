/// One dataset's page-apply logic, written once for every backend: which rows are new, changed,
/// unchanged, revived or deleted; the change-feed entries; rejects and their resolution; schema
/// drift; unresolved matters; per-matter counts; the dataset's state and the run's counters;
/// tombstones after a complete pass; reject replays. The backend's `DatasetTableWriter` does the
/// per-row I/O in batches. The caller (`SQLWarehouse`) holds the transaction.
final class DatasetApplier {
    let dialect: any WarehouseDialect
    let dataset: DatasetConfig
    let writer: DatasetTableWriter
    let table: String
    /// Keys with open rejects (small: rejects are the exception), so resolving costs nothing per row
    /// unless the key really has one.
    private var openRejectKeys: Set<String> = []
    /// Whether the next page's keys are expected to be new (the table was empty, or the last page
    /// was at least nine tenths new): then its rows are inserted where their key is absent first,
    /// and only the keys already there are read (`DatasetTableWriter.insertAbsent`). A first load
    /// then looks up no key twice; a page of known keys switches back to reading first.
    private var expectNew: Bool

    init(dialect: any WarehouseDialect, dataset: DatasetConfig) throws {
        self.dialect = dialect
        self.dataset = dataset
        table = Identifier.quoted(dataset.name)
        try Self.createOrExtendTable(dialect: dialect, dataset: dataset)
        writer = try dialect.tableWriter(for: dataset)
        expectNew = try dialect.scalarInt("SELECT count(*) FROM (SELECT 1 FROM \(table) LIMIT 1) AS anyRow", []) == 0
        try dialect.forEachRow("SELECT DISTINCT key FROM _dataflow_rejects WHERE dataset = ? AND resolved_at IS NULL AND key IS NOT NULL",
                               [.text(dataset.name)]) { row in
            if let k = row.text(0) { openRejectKeys.insert(k) }
        }
    }

    /// dataflow's columns after the mapped ones, in this order on every backend.
    static let systemColumns = ["_key", "_hash", "_deleted", "_first_seen", "_last_seen", "_run_id", "_matter", "_matter_code"]

    static func createOrExtendTable(dialect: any WarehouseDialect, dataset: DatasetConfig) throws {
        let name = Identifier.quoted(dataset.name)
        if try !dialect.tableExists(dataset.name) {
            let text = dialect.columnType(.text), integer = dialect.columnType(.int)
            let columns = dataset.fields.map { "\(Identifier.quoted($0.column)) \(dialect.columnType($0.type))" }
            try dialect.executeScript("""
                CREATE TABLE IF NOT EXISTS \(name) (
                    \(columns.joined(separator: ",\n    ")),
                    _key \(text) NOT NULL UNIQUE,
                    _hash \(text) NOT NULL,
                    _deleted \(integer) NOT NULL DEFAULT 0,
                    _first_seen \(text) NOT NULL,
                    _last_seen \(text) NOT NULL,
                    _run_id \(integer) NOT NULL,
                    _matter \(text),
                    _matter_code \(text)
                )
                """)
        } else {
            // A mapping that gained fields adds columns; existing rows keep NULL there until they change.
            let existing = Set(try dialect.columns(of: dataset.name))
            for field in dataset.fields where !existing.contains(field.column) {
                try dialect.executeScript("ALTER TABLE \(name) ADD COLUMN \(Identifier.quoted(field.column)) \(dialect.columnType(field.type))")
            }
        }
    }

    /// Applies a page.
    func apply(_ batch: PageBatch, now: String) throws -> PageCounts {
        var counts = PageCounts()
        var liveDelta = 0, deletedDelta = 0
        var matterDeltas: [String: Int] = [:]
        var unresolvedCodes: Set<String> = []
        let run = CellValue.integer(batch.runID)
        let datasetName = CellValue.text(dataset.name)
        let nowText = CellValue.text(now)

        // The rows already inserted (where their key was absent), or nil: then every key is read first.
        let inserted = expectNew && !batch.rows.isEmpty ? try writer.insertAbsent(batch.rows, now: now, runID: batch.runID) : nil
        var stored: [String: StoredRow]
        let known: [String]
        if let inserted {
            known = batch.rows.indices.compactMap { inserted[$0] ? nil : batch.rows[$0].key }
            stored = known.isEmpty ? [:] : try writer.storedRows(keys: known)
        } else {
            known = batch.rows.map(\.key)
            stored = known.isEmpty ? [:] : try writer.storedRows(keys: known)
        }
        // Every decided key that was not inserted goes in below: grown once, not by doubling through the page.
        if !known.isEmpty { stored.reserveCapacity(known.count) }
        var writes: [RowWrite] = []
        writes.reserveCapacity(batch.rows.count)
        var changes: [ChangeEntry] = []
        changes.reserveCapacity(batch.rows.count)
        var resolvedKeys: [String] = []
        var seenKeys: [String] = []
        var newKeys = 0
        // Rows are read where they are (through a pointer), not copied out of the page one by one:
        // a copy of a row retains and releases each of its strings.
        try batch.rows.withUnsafeBufferPointer { rows in
            for index in rows.indices {
                let op: String?
                let isInserted = inserted?[index] ?? false
                let row = rows.baseAddress! + index
                if !isInserted, let old = stored[row.pointee.key] {
                    // Same content and same liveness: a key tombstoned because it went missing (snapshot or
                    // reconcile) that comes back with unchanged content is live again, not unchanged.
                    if old.hash == row.pointee.hash && old.deleted == row.pointee.deleted {
                        counts.unchanged += 1
                        op = nil
                        if batch.markSeen { seenKeys.append(row.pointee.key) }
                    } else {
                        writes.append(RowWrite(index: index, isNew: false))
                        if row.pointee.deleted && !old.deleted { op = "D"; counts.deleted += 1 } else if !row.pointee.deleted && old.deleted { op = "I"; counts.inserted += 1 } else { op = "U"; counts.updated += 1 }
                        if !old.deleted { liveDelta -= 1; if let m = old.matter { matterDeltas[m, default: 0] -= 1 } } else { deletedDelta -= 1 }
                        if !row.pointee.deleted { liveDelta += 1; if let m = row.pointee.matter { matterDeltas[m, default: 0] += 1 } } else { deletedDelta += 1 }
                    }
                } else {
                    if inserted == nil {
                        writes.append(RowWrite(index: index, isNew: true))
                    } else if !isInserted {
                        throw WarehouseError("\(dataset.name): row \(index + 1) of a page was neither inserted nor found by its key in \(table)")
                    }
                    newKeys += 1
                    if row.pointee.deleted { op = "D"; counts.deleted += 1; deletedDelta += 1 } else {
                        op = "I"; counts.inserted += 1; liveDelta += 1
                        if let m = row.pointee.matter { matterDeltas[m, default: 0] += 1 }
                    }
                }
                // A key seen twice on one page is decided against its first version, as the table will hold
                // it. A row insertAbsent inserted needs no entry: a later row of its key was not inserted,
                // so `stored` read that key back from the table, as this row left it.
                if op != nil && !isInserted { stored[row.pointee.key] = StoredRow(hash: row.pointee.hash, deleted: row.pointee.deleted, matter: row.pointee.matter) }
                if let op { changes.append(ChangeEntry(key: row.pointee.key, op: op, hash: row.pointee.hash)) }
                // A clean record of the key arrived after its rejects (changed or not): they are resolved.
                if !openRejectKeys.isEmpty, openRejectKeys.remove(row.pointee.key) != nil { resolvedKeys.append(row.pointee.key) }
                if row.pointee.matter == nil, let code = row.pointee.matterCode { unresolvedCodes.insert(code) }
            }
        }
        if !writes.isEmpty { try writer.write(writes, of: batch.rows, now: now, runID: batch.runID) }
        if !batch.rows.isEmpty { expectNew = newKeys * 10 >= batch.rows.count * 9 }
        if !changes.isEmpty { try dialect.insertChanges(runID: batch.runID, dataset: dataset.name, at: now, changes) }
        for key in resolvedKeys {
            try dialect.execute("UPDATE _dataflow_rejects SET resolved_at = ?, resolved_run_id = ? WHERE dataset = ? AND key = ? AND resolved_at IS NULL",
                                [nowText, run, datasetName, .text(key)])
        }
        if batch.markSeen {
            seenKeys += batch.rejects.compactMap(\.key)
            if !seenKeys.isEmpty { try writer.markSeen(keys: seenKeys, runID: batch.runID) }
        }
        for r in batch.rejects {
            let record = r.record.serialized()
            let recordHash = Digest.hex(Digest.hash(.sha256, Array(record.utf8)).prefix(16))
            try dialect.execute("""
                INSERT INTO _dataflow_rejects (dataset, key, record, record_hash, reasons, first_run_id, last_run_id, first_seen, last_seen)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                ON CONFLICT (dataset, record_hash) DO UPDATE SET last_run_id = excluded.last_run_id, last_seen = excluded.last_seen, reasons = excluded.reasons,
                    key = excluded.key, resolved_at = NULL, resolved_run_id = NULL
                """, [datasetName, r.key.map(CellValue.text) ?? .null, .text(record), .text(recordHash), .text(r.reasonsJSON), run, run, nowText, nowText])
            counts.rejected += 1
            if let k = r.key { openRejectKeys.insert(k) }
        }
        for field in batch.unmappedFields.sorted() {
            try dialect.execute("""
                INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES (?, ?, 0, ?, ?)
                ON CONFLICT (dataset, field) DO UPDATE SET last_seen = excluded.last_seen
                """, [datasetName, .text(field), nowText, nowText])
        }
        for code in unresolvedCodes.sorted() {
            try dialect.execute("""
                INSERT INTO _dataflow_unresolved_matters (dataset, code, first_seen, last_seen) VALUES (?, ?, ?, ?)
                ON CONFLICT (dataset, code) DO UPDATE SET last_seen = excluded.last_seen
                """, [datasetName, .text(code), nowText, nowText])
        }
        try addToMatterCounts(matterDeltas)
        try dialect.execute("""
            UPDATE _dataflow_state SET rows = rows + ?, deleted_rows = deleted_rows + ?,
                watermark = coalesce(?, watermark), watermark_text = coalesce(?, watermark_text),
                updated_at = ? WHERE dataset = ?
            """, [.integer(Int64(liveDelta)), .integer(Int64(deletedDelta)),
                  batch.watermark.map { .integer(Int64($0.epoch)) } ?? .null, batch.watermark.map { .text($0.text) } ?? .null,
                  nowText, datasetName])
        try dialect.execute("""
            UPDATE _dataflow_run_datasets SET fetched = fetched + ?, inserted = inserted + ?, updated = updated + ?,
                unchanged = unchanged + ?, deleted = deleted + ?, rejected = rejected + ?, pages = pages + ?, requests = requests + ?
            WHERE run_id = ? AND dataset = ?
            """, [.integer(Int64(batch.fetched)), .integer(Int64(counts.inserted)), .integer(Int64(counts.updated)),
                  .integer(Int64(counts.unchanged)), .integer(Int64(counts.deleted)), .integer(Int64(counts.rejected)),
                  // A replay of stored rejects (`--retry-rejects`) fetched nothing: it is not a page.
                  .integer(batch.fetched > 0 || batch.requests > 0 ? 1 : 0), .integer(Int64(batch.requests)), run, datasetName])
        return counts
    }

    static let changeColumns = ["run_id", "dataset", "key", "op", "hash", "at"]

    private func addToMatterCounts(_ deltas: [String: Int]) throws {
        for (matter, delta) in deltas.sorted(by: { $0.key < $1.key }) where delta != 0 {
            try dialect.execute("""
                INSERT INTO _dataflow_dataset_matters (dataset, matter, rows) VALUES (?, ?, ?)
                ON CONFLICT (dataset, matter) DO UPDATE SET rows = _dataflow_dataset_matters.rows + excluded.rows
                """, [.text(dataset.name), .text(matter), .integer(Int64(delta))])
        }
    }

    /// Applies a replay of open rejects (`sync --retry-rejects`).
    func applyReplay(_ replay: RejectReplay, now: String) throws -> PageCounts {
        let batch = PageBatch(runID: replay.runID, dataset: dataset, rows: replay.rows, rejects: [], unmappedFields: [],
                              watermark: nil, fetched: 0, requests: 0)
        let counts = try apply(batch, now: now)
        let run = CellValue.integer(replay.runID)
        for id in replay.resolved {
            try dialect.execute("UPDATE _dataflow_rejects SET resolved_at = ?, resolved_run_id = ? WHERE id = ? AND resolved_at IS NULL",
                                [.text(now), run, .integer(id)])
        }
        // Still failing: the reasons now say why under the current mapping; the reject stays open.
        for (id, reasons) in replay.stillRejected {
            try dialect.execute("UPDATE _dataflow_rejects SET reasons = ?, last_run_id = ?, resolved_at = NULL, resolved_run_id = NULL WHERE id = ?",
                                [.text(reasons), run, .integer(id)])
        }
        return counts
    }

    /// Full refresh, after a complete pass: tombstones every live row `runID` did not see, with a
    /// change-feed `D` each (in key order), per-matter counts, state and run counters.
    func tombstoneUnseen(runID: Int64, now: String) throws -> Int {
        var unseen: [(key: String, hash: String, matter: String?)] = []
        try dialect.forEachRow("SELECT _key, _hash, _matter FROM \(table) WHERE _deleted = 0 AND _run_id <> ? ORDER BY _key",
                               [.integer(runID)]) { row in
            unseen.append((row.text(0) ?? "", row.text(1) ?? "", row.text(2)))
        }
        guard !unseen.isEmpty else { return 0 }
        let run = CellValue.integer(runID)
        let datasetName = CellValue.text(dataset.name)
        try writer.tombstone(keys: unseen.map(\.key), now: now, runID: runID)
        try dialect.insertChanges(runID: runID, dataset: dataset.name, at: now, unseen.map { ChangeEntry(key: $0.key, op: "D", hash: $0.hash) })
        var perMatter: [String: Int] = [:]
        for row in unseen { if let m = row.matter { perMatter[m, default: 0] -= 1 } }
        try addToMatterCounts(perMatter)
        let n = CellValue.integer(Int64(unseen.count))
        try dialect.execute("UPDATE _dataflow_state SET rows = rows - ?, deleted_rows = deleted_rows + ?, updated_at = ? WHERE dataset = ?",
                            [n, n, .text(now), datasetName])
        try dialect.execute("UPDATE _dataflow_run_datasets SET deleted = deleted + ? WHERE run_id = ? AND dataset = ?", [n, run, datasetName])
        return unseen.count
    }

    /// `sync --rekey` (`Warehouse.forgetRows`): a `D` in the change log for every live row under
    /// its old key, then the table, its per-matter counts, unresolved matter codes, the dataset's
    /// watermark and counters and its last pass's keyless count emptied, and its open rejects
    /// resolved (a record still bad is quarantined again when the walk reads it). Returns how many
    /// live rows there were.
    func forgetAll(runID: Int64, now: String) throws -> Int {
        let datasetName = CellValue.text(dataset.name)
        let live = Int(try dialect.scalarInt("SELECT count(*) FROM \(table) WHERE _deleted = 0", []) ?? 0)
        // In the database, not through memory: a table of millions of rows holds as many keys.
        try dialect.execute("""
            INSERT INTO _dataflow_changes (\(Self.changeColumns.joined(separator: ", ")))
            SELECT ?, ?, _key, 'D', _hash, ? FROM \(table) WHERE _deleted = 0 ORDER BY _key
            """, [.integer(runID), datasetName, .text(now)])
        try dialect.execute("DELETE FROM \(table)", [])
        try dialect.execute("DELETE FROM _dataflow_dataset_matters WHERE dataset = ?", [datasetName])
        try dialect.execute("DELETE FROM _dataflow_unresolved_matters WHERE dataset = ?", [datasetName])
        // The pass before was under the old key: its count of keyless records says nothing now.
        try dialect.execute("DELETE FROM _dataflow_meta WHERE name = ?", [.text("keyless_reads:" + dataset.name)])
        try dialect.execute("""
            UPDATE _dataflow_state SET watermark = NULL, watermark_text = NULL, pass_max = NULL, rows = 0, deleted_rows = 0, updated_at = ?
            WHERE dataset = ?
            """, [.text(now), datasetName])
        try dialect.execute("UPDATE _dataflow_rejects SET resolved_at = ?, resolved_run_id = ? WHERE dataset = ? AND resolved_at IS NULL",
                            [.text(now), .integer(runID), datasetName])
        try dialect.execute("UPDATE _dataflow_run_datasets SET deleted = deleted + ? WHERE run_id = ? AND dataset = ?",
                            [.integer(Int64(live)), .integer(runID), datasetName])
        openRejectKeys = []
        expectNew = true
        return live
    }
}
