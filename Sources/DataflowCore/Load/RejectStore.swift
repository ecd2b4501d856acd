/// A quarantined record as stored in `_dataflow_rejects`.
public struct StoredReject: Sendable {
    public var id: Int64
    public var dataset: String
    public var key: String?
    /// The source record, serialized JSON, exactly as it arrived.
    public var record: String
    /// The reasons as a JSON array of `{field, rule, value, message}`.
    public var reasons: String
    public var firstSeen: String
    public var lastSeen: String
    public var resolvedAt: String?
    public var resolvedRunID: Int64?

    public init(id: Int64, dataset: String, key: String?, record: String, reasons: String, firstSeen: String, lastSeen: String,
                resolvedAt: String?, resolvedRunID: Int64?) {
        self.id = id
        self.dataset = dataset
        self.key = key
        self.record = record
        self.reasons = reasons
        self.firstSeen = firstSeen
        self.lastSeen = lastSeen
        self.resolvedAt = resolvedAt
        self.resolvedRunID = resolvedRunID
    }
}

/// What replaying a dataset's open rejects through the current mapping produced.
public struct RejectReplay {
    public var runID: Int64
    public var dataset: DatasetConfig
    /// Records that now map: upserted like any page (change log included).
    public var rows: [MappedRow]
    /// Reject ids whose record now maps: marked resolved, kept for audit.
    public var resolved: [Int64]
    /// Reject ids still failing, with their current reasons (JSON).
    public var stillRejected: [(id: Int64, reasons: String)]
}

/// A warehouse that can list and replay its quarantine (`dataflow rejects`, `sync --retry-rejects`).
public protocol RejectStore: AnyObject {
    /// Rejects of one dataset (nil = all), open ones only unless `includeResolved`, oldest first.
    func rejects(dataset: String?, includeResolved: Bool) throws -> [StoredReject]
    /// Applies a replay in one transaction.
    func applyReplay(_ replay: RejectReplay) throws -> PageCounts
}
