import Foundation

/// Hands a run's datasets to its workers: in config order, never more of one source at once than
/// the source's limit (its `concurrency`). A worker asking while every remaining dataset's source
/// is full waits until one finishes (docs/architecture.md, Concurrency).
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
    func finished(_ dataset: DatasetConfig) {
        condition.lock()
        running[dataset.source, default: 1] -= 1
        condition.broadcast()
        condition.unlock()
    }
}
