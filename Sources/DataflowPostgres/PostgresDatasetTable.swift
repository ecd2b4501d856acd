import DataflowCore

/// One dataset's table on PostgreSQL and the page write that keeps it in step, with the same
/// effects as the SQLite `DatasetTable`: same counts, same change-feed rows in the same order,
/// same rejects, drift, unresolved matters, per-matter counts, state and run counters.
///
/// Set-based: one `SELECT … WHERE _key = ANY($1)` reads the page's old hashes; the per-row decision
/// runs in memory (so a key seen twice on one page behaves exactly as on SQLite); the changed rows
/// go by `COPY` into a temporary table and from there by one `INSERT … ON CONFLICT (_key) DO UPDATE`;
/// change-log rows go by `COPY` too.
final class PostgresDatasetTable {
    let pg: PostgresConnection
    let dataset: DatasetConfig
    let name: String
    let staging: String
    let columns: [String]
    /// Keys with open rejects (few: rejects are the exception), as on SQLite.
    private var openRejectKeys: Set<String> = []

    static let systemColumns = ["_key", "_hash", "_deleted", "_first_seen", "_last_seen", "_run_id", "_matter", "_matter_code"]

    static func sqlType(_ type: FieldType) -> String {
        switch type {
        case .int, .bool: return "bigint"
        case .text, .decimal, .date, .datetime, .json: return "text"
        }
    }

    init(pg: PostgresConnection, dataset: DatasetConfig) throws {
        self.pg = pg
        self.dataset = dataset
        name = Identifier.quoted(dataset.name)
        staging = Identifier.quoted("_page_" + dataset.name)
        if try !pg.tableExists(dataset.name) {
            let defs = dataset.fields.map { "\(Identifier.quoted($0.column)) \(PostgresDatasetTable.sqlType($0.type))" }
            try pg.execute("""
                CREATE TABLE IF NOT EXISTS \(name) (
                    \(defs.joined(separator: ",\n    ")),
                    _key text NOT NULL UNIQUE,
                    _hash text NOT NULL,
                    _deleted bigint NOT NULL DEFAULT 0,
                    _first_seen text NOT NULL,
                    _last_seen text NOT NULL,
                    _run_id bigint NOT NULL,
                    _matter text,
                    _matter_code text
                )
                """)
        } else {
            let existing = Set(try pg.columns(of: dataset.name))
            for field in dataset.fields where !existing.contains(field.column) {
                try pg.execute("ALTER TABLE \(name) ADD COLUMN \(Identifier.quoted(field.column)) \(PostgresDatasetTable.sqlType(field.type))")
            }
        }
        columns = dataset.fields.map { Identifier.quoted($0.column) } + PostgresDatasetTable.systemColumns
        // The staging table lives in this session only and empties itself at each commit.
        try pg.execute("DROP TABLE IF EXISTS pg_temp.\(staging); CREATE TEMP TABLE \(staging) (LIKE \(name)) ON COMMIT DELETE ROWS")
        try pg.forEachRow("SELECT DISTINCT key FROM _dataflow_rejects WHERE dataset = ? AND resolved_at IS NULL AND key IS NOT NULL",
                          [.text(dataset.name)]) { row in
            if let k = row.text(0) { openRejectKeys.insert(k) }
        }
    }

    /// Applies a replay of open rejects (`sync --retry-rejects`); the caller wraps this in one transaction.
    func applyReplay(_ replay: RejectReplay, now: String) throws -> PageCounts {
        let batch = PageBatch(runID: replay.runID, dataset: dataset, rows: replay.rows, rejects: [], unmappedFields: [],
                              watermark: nil, passMax: nil, fetched: 0, requests: 0)
        let counts = try apply(batch, now: now)
        let run = CellValue.integer(replay.runID)
        for id in replay.resolved {
            try pg.query("UPDATE _dataflow_rejects SET resolved_at = $1, resolved_run_id = $2 WHERE id = $3 AND resolved_at IS NULL",
                         [.text(now), run, .integer(id)])
        }
        // Still failing: the reasons now say why under the current mapping; the reject stays open.
        for (id, reasons) in replay.stillRejected {
            try pg.query("UPDATE _dataflow_rejects SET reasons = $1, last_run_id = $2, resolved_at = NULL, resolved_run_id = NULL WHERE id = $3",
                         [.text(reasons), run, .integer(id)])
        }
        return counts
    }

    private struct Stored {
        var hash: String
        var deleted: Bool
        var matter: String?
    }

    /// Applies a page; the caller wraps this in the page's transaction.
    func apply(_ batch: PageBatch, now: String) throws -> PageCounts {
        var counts = PageCounts()
        var liveDelta = 0, deletedDelta = 0
        var matterDeltas: [String: Int] = [:]
        var unresolvedCodes: Set<String> = []
        let run = CellValue.integer(batch.runID)
        let datasetName = CellValue.text(dataset.name)

        var stored: [String: Stored] = [:]
        if !batch.rows.isEmpty {
            let keys = PostgresArray.text(batch.rows.map(\.key))
            let old = try pg.query("SELECT _key, _hash, _deleted, _matter FROM \(name) WHERE _key = ANY($1::text[])", [.text(keys)])
            for i in 0..<old.count {
                stored[old.text(i, 0) ?? ""] = Stored(hash: old.text(i, 1) ?? "", deleted: (old.int(i, 2) ?? 0) != 0, matter: old.text(i, 3))
            }
        }
        // Final content per written key (the last version on the page wins), in first-write order.
        var written: [String: [CellValue]] = [:]
        var writtenOrder: [String] = []
        var changes: [[CellValue]] = []
        var resolvedKeys: [String] = []
        var seenKeys: [String] = []
        for row in batch.rows {
            let op: String?
            let matter = row.matter.map(CellValue.text) ?? .null, matterCode = row.matterCode.map(CellValue.text) ?? .null
            let deletedFlag = CellValue.integer(row.deleted ? 1 : 0)
            if let old = stored[row.key] {
                // Same content and same liveness: a key tombstoned because it went missing (snapshot or
                // reconcile) that comes back with unchanged content is live again, not unchanged.
                if old.hash == row.hash && old.deleted == row.deleted {
                    counts.unchanged += 1
                    op = nil
                    if batch.markSeen { seenKeys.append(row.key) }
                } else {
                    // _first_seen is not overwritten by the upsert; the staged value is only used for new keys.
                    let firstSeen = written[row.key]?[row.values.count + 3] ?? .text(now)
                    if written[row.key] == nil { writtenOrder.append(row.key) }
                    written[row.key] = row.values + [.text(row.key), .text(row.hash), deletedFlag, firstSeen, .text(now), run, matter, matterCode]
                    if row.deleted && !old.deleted { op = "D"; counts.deleted += 1 } else if !row.deleted && old.deleted { op = "I"; counts.inserted += 1 } else { op = "U"; counts.updated += 1 }
                    if !old.deleted { liveDelta -= 1; if let m = old.matter { matterDeltas[m, default: 0] -= 1 } } else { deletedDelta -= 1 }
                    if !row.deleted { liveDelta += 1; if let m = row.matter { matterDeltas[m, default: 0] += 1 } } else { deletedDelta += 1 }
                }
            } else {
                writtenOrder.append(row.key)
                written[row.key] = row.values + [.text(row.key), .text(row.hash), deletedFlag, .text(now), .text(now), run, matter, matterCode]
                if row.deleted { op = "D"; counts.deleted += 1; deletedDelta += 1 } else {
                    op = "I"; counts.inserted += 1; liveDelta += 1
                    if let m = row.matter { matterDeltas[m, default: 0] += 1 }
                }
            }
            stored[row.key] = Stored(hash: row.hash, deleted: row.deleted, matter: row.matter)
            if let op { changes.append([run, datasetName, .text(row.key), .text(op), .text(row.hash), .text(now)]) }
            // A clean record of the key arrived after its rejects (changed or not): they are resolved.
            if openRejectKeys.remove(row.key) != nil { resolvedKeys.append(row.key) }
            if row.matter == nil, let code = row.matterCode { unresolvedCodes.insert(code) }
        }
        if !writtenOrder.isEmpty {
            try pg.copy(into: "pg_temp.\(staging)", columns: columns, rows: writtenOrder.lazy.compactMap { written[$0] })
            let updates = columns.filter { $0 != "_key" && $0 != "_first_seen" }.map { "\($0) = EXCLUDED.\($0)" }
            try pg.execute("""
                INSERT INTO \(name) (\(columns.joined(separator: ", "))) SELECT \(columns.joined(separator: ", ")) FROM pg_temp.\(staging)
                ON CONFLICT (_key) DO UPDATE SET \(updates.joined(separator: ", "))
                """)
        }
        if !changes.isEmpty {
            try pg.copy(into: "_dataflow_changes", columns: ["run_id", "dataset", "key", "op", "hash", "at"], rows: changes)
        }
        if !resolvedKeys.isEmpty {
            try pg.query("UPDATE _dataflow_rejects SET resolved_at = $1, resolved_run_id = $2 WHERE dataset = $3 AND key = ANY($4::text[]) AND resolved_at IS NULL",
                         [.text(now), run, datasetName, .text(PostgresArray.text(resolvedKeys))])
        }
        if batch.markSeen {
            seenKeys += batch.rejects.compactMap(\.key)
            if !seenKeys.isEmpty {
                try pg.query("UPDATE \(name) SET _run_id = $1 WHERE _key = ANY($2::text[]) AND _run_id <> $1", [run, .text(PostgresArray.text(seenKeys))])
            }
        }
        for r in batch.rejects {
            let record = r.record.serialized()
            let recordHash = Digest.hex(Digest.hash(.sha256, Array(record.utf8)).prefix(16))
            try pg.query("""
                INSERT INTO _dataflow_rejects (dataset, key, record, record_hash, reasons, first_run_id, last_run_id, first_seen, last_seen)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                ON CONFLICT (dataset, record_hash) DO UPDATE SET last_run_id = EXCLUDED.last_run_id, last_seen = EXCLUDED.last_seen, reasons = EXCLUDED.reasons
                """, [datasetName, r.key.map(CellValue.text) ?? .null, .text(record), .text(recordHash), .text(r.reasonsJSON), run, run, .text(now), .text(now)])
            counts.rejected += 1
            if let k = r.key { openRejectKeys.insert(k) }
        }
        for field in batch.unmappedFields.sorted() {
            try pg.query("""
                INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES ($1, $2, 0, $3, $4)
                ON CONFLICT (dataset, field) DO UPDATE SET last_seen = EXCLUDED.last_seen
                """, [datasetName, .text(field), .text(now), .text(now)])
        }
        for code in unresolvedCodes.sorted() {
            try pg.query("""
                INSERT INTO _dataflow_unresolved_matters (dataset, code, first_seen, last_seen) VALUES ($1, $2, $3, $4)
                ON CONFLICT (dataset, code) DO UPDATE SET last_seen = EXCLUDED.last_seen
                """, [datasetName, .text(code), .text(now), .text(now)])
        }
        for (matter, delta) in matterDeltas.sorted(by: { $0.key < $1.key }) where delta != 0 {
            try pg.query("""
                INSERT INTO _dataflow_dataset_matters (dataset, matter, rows) VALUES ($1, $2, $3)
                ON CONFLICT (dataset, matter) DO UPDATE SET rows = _dataflow_dataset_matters.rows + EXCLUDED.rows
                """, [datasetName, .text(matter), .integer(Int64(delta))])
        }
        try pg.query("""
            UPDATE _dataflow_state SET rows = rows + $1, deleted_rows = deleted_rows + $2,
                watermark = coalesce($3::bigint, watermark), watermark_text = coalesce($4::text, watermark_text),
                pass_max = coalesce($5::bigint, pass_max), updated_at = $6 WHERE dataset = $7
            """, [.integer(Int64(liveDelta)), .integer(Int64(deletedDelta)),
                  batch.watermark.map { .integer(Int64($0.epoch)) } ?? .null, batch.watermark.map { .text($0.text) } ?? .null,
                  batch.passMax.map { .integer(Int64($0)) } ?? .null, .text(now), datasetName])
        try pg.query("""
            UPDATE _dataflow_run_datasets SET fetched = fetched + $1, inserted = inserted + $2, updated = updated + $3,
                unchanged = unchanged + $4, deleted = deleted + $5, rejected = rejected + $6, pages = pages + 1, requests = requests + $7
            WHERE run_id = $8 AND dataset = $9
            """, [.integer(Int64(batch.fetched)), .integer(Int64(counts.inserted)), .integer(Int64(counts.updated)),
                  .integer(Int64(counts.unchanged)), .integer(Int64(counts.deleted)), .integer(Int64(counts.rejected)),
                  .integer(Int64(batch.requests)), run, datasetName])
        return counts
    }

    /// Full refresh, after a complete pass: tombstones every live row `runID` did not see, with the
    /// same change rows (in key order), counters and per-matter counts as SQLite; the caller holds
    /// the transaction.
    func tombstoneUnseen(runID: Int64, now: String) throws -> Int {
        let run = CellValue.integer(runID)
        let datasetName = CellValue.text(dataset.name)
        var unseen: [(key: String, hash: String, matter: String?)] = []
        try pg.forEachRow("SELECT _key, _hash, _matter FROM \(name) WHERE _deleted = 0 AND _run_id <> ? ORDER BY _key", [run]) { row in
            unseen.append((row.text(0) ?? "", row.text(1) ?? "", row.text(2)))
        }
        guard !unseen.isEmpty else { return 0 }
        try pg.query("UPDATE \(name) SET _deleted = 1, _last_seen = $1, _run_id = $2 WHERE _key = ANY($3::text[])",
                     [.text(now), run, .text(PostgresArray.text(unseen.map(\.key)))])
        try pg.copy(into: "_dataflow_changes", columns: ["run_id", "dataset", "key", "op", "hash", "at"],
                    rows: unseen.map { [run, datasetName, .text($0.key), .text("D"), .text($0.hash), .text(now)] })
        var perMatter: [String: Int] = [:]
        for row in unseen { if let m = row.matter { perMatter[m, default: 0] += 1 } }
        for (matter, n) in perMatter.sorted(by: { $0.key < $1.key }) {
            try pg.query("UPDATE _dataflow_dataset_matters SET rows = rows - $1 WHERE dataset = $2 AND matter = $3",
                         [.integer(Int64(n)), datasetName, .text(matter)])
        }
        let n = CellValue.integer(Int64(unseen.count))
        try pg.query("UPDATE _dataflow_state SET rows = rows - $1, deleted_rows = deleted_rows + $1, updated_at = $2 WHERE dataset = $3",
                     [n, .text(now), datasetName])
        try pg.query("UPDATE _dataflow_run_datasets SET deleted = deleted + $1 WHERE run_id = $2 AND dataset = $3", [n, run, datasetName])
        return unseen.count
    }
}

/// PostgreSQL array literals for `= ANY($1::text[])` parameters.
enum PostgresArray {
    /// `{"a","b"}` with `"` and `\` escaped inside each element.
    static func text(_ values: [String]) -> String {
        var out = "{"
        for (i, v) in values.enumerated() {
            if i > 0 { out += "," }
            out += "\""
            for c in v.unicodeScalars {
                if c == "\"" || c == "\\" { out += "\\" }
                out.unicodeScalars.append(c)
            }
            out += "\""
        }
        return out + "}"
    }
}
