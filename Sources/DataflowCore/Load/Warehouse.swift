/// What one page brings to the warehouse: applied in one transaction with the new state.
public struct PageBatch {
    public var runID: Int64
    public var dataset: DatasetConfig
    public var rows: [MappedRow]
    public var rejects: [RejectedRecord]
    /// Source fields seen on this page that the mapping does not use.
    public var unmappedFields: Set<String>
    /// The new watermark to store with this page (nil = leave it).
    public var watermark: (epoch: Int, text: String)?
    /// Raw records on the page and requests it took.
    public var fetched: Int
    public var requests: Int
    /// Full-snapshot datasets: stamp unchanged rows with this run so a complete pass can find the
    /// keys it did not see.
    public var markSeen = false
    /// The walk already holds its next page: the warehouse may keep this page's transaction open
    /// and commit it together with the next pages (`SQLWarehouse.apply`, docs/sync.md
    /// "Pages and checkpoints"). False: the page is committed before `apply` returns.
    public var nextInHand = false

    public init(runID: Int64, dataset: DatasetConfig, rows: [MappedRow], rejects: [RejectedRecord], unmappedFields: Set<String>,
                watermark: (epoch: Int, text: String)?, fetched: Int, requests: Int, markSeen: Bool = false) {
        self.runID = runID
        self.dataset = dataset
        self.rows = rows
        self.rejects = rejects
        self.unmappedFields = unmappedFields
        self.watermark = watermark
        self.fetched = fetched
        self.requests = requests
        self.markSeen = markSeen
    }
}

/// Counts of what one page did.
public struct PageCounts: Sendable, Equatable {
    public var inserted = 0
    public var updated = 0
    public var unchanged = 0
    public var deleted = 0
    public var rejected = 0

    public init() {}
}

/// The stored sync state of a dataset.
public struct DatasetState: Sendable {
    public var watermark: Int?
    public var watermarkText: String?
    public var rows: Int
    public var deletedRows: Int

    public init(watermark: Int?, watermarkText: String?, rows: Int, deletedRows: Int) {
        self.watermark = watermark
        self.watermarkText = watermarkText
        self.rows = rows
        self.deletedRows = deletedRows
    }
}

/// How a dataset's part of a run ended.
public struct DatasetOutcome: Sendable {
    public var status: String   // ok | failed
    public var seconds: Double
    public var error: String?
    /// Distinct records quarantined for the first time by this run (replaces the per-page count,
    /// which counts a record read twice twice); nil keeps the per-page count.
    public var rejected: Int? = nil
    /// Every request the dataset's walk made (the run summary's), including those that committed
    /// nothing (the empty page that ends a walk, a reconcile's check request); nil keeps the
    /// per-page count.
    public var requests: Int? = nil
}

/// The county warehouse: the page writes of a sync, over a backend that is also its reader and
/// its reject store (as GRDB's `DatabaseWriter: DatabaseReader`), so no caller downcasts.
///
/// Open one with `WarehouseFactory` (the CLI, the bench and the tests share it); `SQLWarehouse`
/// is the one implementation, over a `WarehouseDialect` per backend (docs/architecture.md).
///
/// ```swift
/// let warehouse = try WarehouseFactory.standard.open(project.warehouse, purpose: .sync)
/// let rows = try warehouse.scalarInt("SELECT rows FROM _dataflow_state WHERE dataset = ?", [.text("market_licenses")])
/// ```
public protocol Warehouse: WarehouseReader, RejectStore {
    func loadDictionaries(_ dictionaries: Dictionaries) throws
    func prepare(dataset: DatasetConfig) throws
    func state(of dataset: String) throws -> DatasetState
    func beginRun(datasets: [String], options: String) throws -> Int64
    func beginDataset(runID: Int64, dataset: String) throws
    func apply(_ batch: PageBatch) throws -> PageCounts
    /// Stores the end-of-pass watermark (unsorted sources) in its own transaction.
    func finishPass(dataset: String, watermark: (epoch: Int, text: String)?) throws
    /// Full refresh, after a complete pass only: tombstones live rows this run did not see
    /// (change-log `D`); returns how many.
    @discardableResult
    func tombstoneUnseen(dataset: DatasetConfig, runID: Int64) throws -> Int
    /// Distinct keys `runID` has read in `dataset` (stamped rows and quarantine-only keys), for
    /// judging whether a pass is complete (`SeenKeys.distinct`).
    func keysSeen(dataset: DatasetConfig, runID: Int64) throws -> Int
    /// Live rows `runID` has not read: how many `tombstoneUnseen` would tombstone now (the
    /// mass-delete guard asks before it lets that happen; `SeenKeys.unseenLive`).
    func unseenLiveCount(dataset: DatasetConfig, runID: Int64) throws -> Int
    /// Distinct quarantined records `runID` met in `dataset`: new ones and ones seen before
    /// (`SeenKeys.rejects`).
    func rejectTally(dataset: String, runID: Int64) throws -> (new: Int, seenAgain: Int)
    /// `sync --rekey`: forgets the rows `dataset` stored under its old key — a change-log `D` for
    /// each live one, the table emptied, its per-matter counts, watermark and counters reset, its
    /// open rejects resolved — so the run loads it afresh; returns how many live rows it had.
    @discardableResult
    func forgetRows(dataset: DatasetConfig, runID: Int64) throws -> Int
    /// A value of the warehouse's own `_dataflow_meta` table (e.g. when a dataset was last reconciled).
    func metaValue(_ name: String) throws -> String?
    /// Sets a `_dataflow_meta` value.
    func setMetaValue(_ name: String, _ value: String) throws
    func finishDataset(runID: Int64, dataset: String, outcome: DatasetOutcome) throws
    func finishRun(runID: Int64, status: String, exitCode: Int32) throws
}
