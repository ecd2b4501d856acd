import DataflowHTTP

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
