/// Replays a dataset's open rejects through the current mapping (`dataflow sync --retry-rejects`).
///
/// Records that now map are upserted like any page (change log, counts) and their rejects are
/// marked resolved with the run id — kept for audit, never deleted. Records that still fail stay
/// open with their reasons rewritten to what the current mapping says.
///
/// ```swift
/// let outcome = try RejectReplayer(dataset: ds, dictionaries: project.dictionaries).replay(store: warehouse, runID: run)
/// ```
public struct RejectReplayer {
    public let dataset: DatasetConfig
    public let dictionaries: Dictionaries

    public init(dataset: DatasetConfig, dictionaries: Dictionaries) {
        self.dataset = dataset
        self.dictionaries = dictionaries
    }

    /// What one replay did.
    public struct Outcome: Sendable, Equatable {
        public var replayed = 0
        public var resolved = 0
        public var stillRejected = 0
        public var counts = PageCounts()
    }

    public func replay(store: RejectStore, runID: Int64) throws -> Outcome {
        let open = try store.rejects(dataset: dataset.name, includeResolved: false)
        var outcome = Outcome()
        guard !open.isEmpty else { return outcome }
        let mapper = RecordMapper(dataset: dataset, dictionaries: dictionaries)
        var replay = RejectReplay(runID: runID, dataset: dataset, rows: [], resolved: [], stillRejected: [])
        // Oldest first, so when several versions of one key were rejected the newest wins the upsert.
        for reject in open {
            outcome.replayed += 1
            guard let record = try? JSONParser.parse(Array(reject.record.utf8)) else {
                replay.stillRejected.append((reject.id, reject.reasons))
                continue
            }
            switch mapper.map(record) {
            case .row(let row):
                replay.rows.append(row)
                replay.resolved.append(reject.id)
            case .rejected(let r):
                replay.stillRejected.append((reject.id, r.reasonsJSON))
            }
        }
        outcome.resolved = replay.resolved.count
        outcome.stillRejected = replay.stillRejected.count
        outcome.counts = try store.applyReplay(replay)
        return outcome
    }
}
