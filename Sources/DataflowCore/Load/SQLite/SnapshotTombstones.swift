/// Full-refresh datasets (no cursor, DESIGN §3): rows are stamped with the run that saw them,
/// and after a complete pass the live rows this run did not see are tombstoned.
extension DatasetTable {
    /// Stamps an unchanged row as seen by `run` (its content and change log stay as they are).
    func markSeen(key: CellValue, run: CellValue) throws {
        try db.prepare("UPDATE \(name) SET _run_id = ? WHERE _key = ? AND _run_id <> ?").run([run, key, run])
    }

    /// The live keys (and matters) a run did not see.
    func unseenLiveKeys(runID: Int64) throws -> [(key: String, hash: String, matter: String?)] {
        let st = try db.prepare("SELECT _key, _hash, _matter FROM \(name) WHERE _deleted = 0 AND _run_id <> ? ORDER BY _key")
        try st.bind([.integer(runID)])
        var keys: [(String, String, String?)] = []
        while try st.step() { keys.append((st.text(0) ?? "", st.text(1) ?? "", st.text(2))) }
        return keys
    }

    /// Tombstones every live row `runID` did not see; the caller holds the transaction.
    func tombstoneUnseen(runID: Int64, now: String) throws -> Int {
        let unseen = try unseenLiveKeys(runID: runID)
        guard !unseen.isEmpty else { return 0 }
        let run = CellValue.integer(runID)
        let datasetName = CellValue.text(dataset.name)
        let tombstone = try db.prepare("UPDATE \(name) SET _deleted = 1, _last_seen = ?, _run_id = ? WHERE _key = ?")
        let change = try db.prepare("INSERT INTO _dataflow_changes (run_id, dataset, key, op, hash, at) VALUES (?, ?, ?, 'D', ?, ?)")
        let matter = try db.prepare("UPDATE _dataflow_dataset_matters SET rows = rows - 1 WHERE dataset = ? AND matter = ?")
        for row in unseen {
            try tombstone.run([.text(now), run, .text(row.key)])
            try change.run([run, datasetName, .text(row.key), .text(row.hash), .text(now)])
            if let m = row.matter { try matter.run([datasetName, .text(m)]) }
        }
        let n = Int64(unseen.count)
        try db.prepare("UPDATE _dataflow_state SET rows = rows - ?, deleted_rows = deleted_rows + ?, updated_at = ? WHERE dataset = ?")
            .run([.integer(n), .integer(n), .text(now), datasetName])
        try db.prepare("UPDATE _dataflow_run_datasets SET deleted = deleted + ? WHERE run_id = ? AND dataset = ?")
            .run([.integer(n), run, datasetName])
        return unseen.count
    }
}
