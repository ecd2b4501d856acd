import Foundation

/// Hands a run's datasets to its workers: in config order, never more of one source at once than
/// the source's limit (its `concurrency`). A worker asking while every remaining dataset's source
/// is full waits until one finishes. Slots a page walk borrows for requests in parallel count
/// against the same limit (docs/architecture.md, Concurrency).
///
/// ```swift
/// let scheduler = DatasetScheduler(datasets, limit: { source in 4 })
/// while let (index, dataset) = scheduler.next() {   // on each worker
///     defer { scheduler.finished(dataset) }
///     walk(dataset)
/// }
/// ```
final class DatasetScheduler: @unchecked Sendable {
    private let condition = NSCondition()
    /// Guarded by `condition`: datasets not yet handed out (with their index in the run).
    private var waiting: [(index: Int, dataset: DatasetConfig)]
    private var running: [String: Int] = [:]
    private let limit: (String) -> Int

    init(_ datasets: [DatasetConfig], limit: @escaping (_ source: String) -> Int) {
        waiting = Array(datasets.enumerated().map { (index: $0.offset, dataset: $0.element) })
        self.limit = limit
    }

    /// The next dataset whose source has room, waiting for one if need be; nil when none is left.
    func next() -> (index: Int, dataset: DatasetConfig)? {
        condition.lock()
        defer { condition.unlock() }
        while true {
            if waiting.isEmpty { return nil }
            if let position = waiting.firstIndex(where: { (running[$0.dataset.source] ?? 0) < max(1, limit($0.dataset.source)) }) {
                let picked = waiting.remove(at: position)
                running[picked.dataset.source, default: 0] += 1
                return picked
            }
            condition.wait()
        }
    }

    /// A dataset handed out by `next()` is done: its source has room again.
    func finished(_ dataset: DatasetConfig) { giveBack(source: dataset.source) }

    /// One more request slot of `source` for a walk already running (its `PageFan`): only while
    /// the source is under its limit and none of its datasets is still waiting to start, so a
    /// borrowed slot never keeps a dataset from starting.
    func borrow(source: String) -> Bool {
        condition.lock()
        defer { condition.unlock() }
        guard (running[source] ?? 0) < max(1, limit(source)), !waiting.contains(where: { $0.dataset.source == source }) else { return false }
        running[source, default: 0] += 1
        return true
    }

    /// A slot of `source` is free again (a dataset finished, or a borrowed slot came back).
    func giveBack(source: String) {
        condition.lock()
        running[source, default: 1] -= 1
        condition.broadcast()
        condition.unlock()
    }
}
