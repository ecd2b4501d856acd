import DataflowHTTP
import Foundation

/// What a dataset's part of a run did.
public struct DatasetSummary: Sendable {
    public var dataset: String
    public var status: String
    public var fetched = 0
    public var counts = PageCounts()
    public var pages = 0
    public var requests = 0
    public var seconds: Double = 0
    public var error: String?
    public var watermark: String?
    /// What `--retry-rejects` did before the walk (nil when not asked).
    public var replay: RejectReplayer.Outcome?
    /// The page size the gateway really served when it silently capped the one asked for.
    public var pageCap: Int?
    /// A sorted walk met more records sharing one cursor value than a page holds (this value, as
    /// the gateway writes it, the lowest if several).
    public var tiedCursor: String?
    /// One of those records moved while the walk paged inside them: the watermark was kept at
    /// `tiedCursor`, so the next run reads them again.
    public var tiedCursorKept = false
    /// Keys tombstoned by a reconciling pass because they are gone upstream (nil when not reconciling).
    public var reconciledDeletes: Int?
    /// Why the pass was not complete (nothing tombstoned, watermark kept); nil for a complete pass.
    public var incompletePass: String?
    /// Quarantined records read again that an earlier run had already quarantined (not in
    /// `counts.rejected`, which counts records quarantined for the first time, each once).
    public var rejectsSeenAgain = 0
    /// Tombstones the mass-delete guard refused (nil when it did not refuse).
    public var refusedTombstones: Int?
}

extension DatasetSummary {
    /// Adds one committed page's figures.
    mutating func add(_ counts: PageCounts, fetched: Int, requests: Int) {
        self.fetched += fetched
        pages += 1
        self.requests += requests
        self.counts.inserted += counts.inserted
        self.counts.updated += counts.updated
        self.counts.unchanged += counts.unchanged
        self.counts.deleted += counts.deleted
        self.counts.rejected += counts.rejected
    }
}

/// The whole run.
public struct RunSummary: Sendable {
    public var runID: Int64
    public var datasets: [DatasetSummary]
    public var exitCode: Int32 { datasets.contains { $0.status != "ok" } ? 1 : 0 }
}

/// Receives progress from a sync (the CLI renders it as logs or a progress line).
public protocol SyncObserver: AnyObject {
    func runStarted(runID: Int64, datasets: [String])
    func datasetStarted(_ dataset: String, watermark: String?)
    func pageCommitted(_ dataset: String, page: Int, fetched: Int, counts: PageCounts, total: Int?)
    func retry(_ dataset: String, event: RetryEvent)
    func datasetFinished(_ summary: DatasetSummary)
    func runFinished(_ summary: RunSummary)
}

/// An observer that ignores everything.
public final class SilentSyncObserver: SyncObserver {
    public init() {}
    public func runStarted(runID: Int64, datasets: [String]) {}
    public func datasetStarted(_ dataset: String, watermark: String?) {}
    public func pageCommitted(_ dataset: String, page: Int, fetched: Int, counts: PageCounts, total: Int?) {}
    public func retry(_ dataset: String, event: RetryEvent) {}
    public func datasetFinished(_ summary: DatasetSummary) {}
    public func runFinished(_ summary: RunSummary) {}
}

/// Serializes calls into an observer: retries are reported from the prefetch thread while pages
/// are reported from the sync's own thread.
final class SerializedObserver: SyncObserver, @unchecked Sendable {
    private let base: SyncObserver
    private let lock = NSLock()

    init(_ base: SyncObserver) { self.base = base }

    func runStarted(runID: Int64, datasets: [String]) { lock.withLock { base.runStarted(runID: runID, datasets: datasets) } }
    func datasetStarted(_ dataset: String, watermark: String?) { lock.withLock { base.datasetStarted(dataset, watermark: watermark) } }
    func pageCommitted(_ dataset: String, page: Int, fetched: Int, counts: PageCounts, total: Int?) {
        lock.withLock { base.pageCommitted(dataset, page: page, fetched: fetched, counts: counts, total: total) }
    }
    func retry(_ dataset: String, event: RetryEvent) { lock.withLock { base.retry(dataset, event: event) } }
    func datasetFinished(_ summary: DatasetSummary) { lock.withLock { base.datasetFinished(summary) } }
    func runFinished(_ summary: RunSummary) { lock.withLock { base.runFinished(summary) } }
}
