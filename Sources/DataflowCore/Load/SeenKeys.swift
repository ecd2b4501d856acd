/// What a pass has stamped, counted in SQL that both backends run through `WarehouseReader`: a
/// pass stamps every key it reads (`_run_id`), so the warehouse — not a growing set in memory —
/// knows how many distinct keys it saw and how many live rows it did not.
///
/// ```swift
/// let seen = try SeenKeys.distinct(in: db, dataset: dataset, runID: run)   // keys read this run
/// let gone = try SeenKeys.unseenLive(in: db, dataset: dataset, runID: run) // what a snapshot would tombstone
/// ```
public enum SeenKeys {
    /// Distinct keys `runID` read: rows it inserted, changed or stamped as seen, plus keys it only
    /// quarantined (no row yet).
    public static func distinct(in db: WarehouseReader, dataset: DatasetConfig, runID: Int64) throws -> Int {
        let table = Identifier.quoted(dataset.name)
        let run = CellValue.integer(runID)
        let rows = try db.scalarInt("SELECT count(*) FROM \(table) WHERE _run_id = ?", [run]) ?? 0
        let quarantinedOnly = try db.scalarInt("""
            SELECT count(DISTINCT r.key) FROM _dataflow_rejects r
            WHERE r.dataset = ? AND r.last_run_id = ? AND r.key IS NOT NULL
              AND NOT EXISTS (SELECT 1 FROM \(table) t WHERE t._key = r.key)
            """, [.text(dataset.name), run]) ?? 0
        return Int(rows + quarantinedOnly)
    }

    /// Live rows `runID` did not read: what tombstoning the unseen keys would delete now.
    public static func unseenLive(in db: WarehouseReader, dataset: DatasetConfig, runID: Int64) throws -> Int {
        Int(try db.scalarInt("SELECT count(*) FROM \(Identifier.quoted(dataset.name)) WHERE _deleted = 0 AND _run_id <> ?", [.integer(runID)]) ?? 0)
    }

    /// The quarantined records `runID` met in `dataset`, each counted once: those quarantined for the
    /// first time by this run, and those quarantined by an earlier run and read again (a lookback
    /// window re-reads them every run).
    public static func rejects(in db: WarehouseReader, dataset: String, runID: Int64) throws -> (new: Int, seenAgain: Int) {
        let run = CellValue.integer(runID)
        let new = try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = ? AND first_run_id = ?", [.text(dataset), run]) ?? 0
        let again = try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = ? AND first_run_id <> ? AND last_run_id = ?",
                                     [.text(dataset), run, run]) ?? 0
        return (Int(new), Int(again))
    }
}
