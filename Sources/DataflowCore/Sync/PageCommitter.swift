import Foundation

/// Maps one page of raw records and commits it, with the dataset's state, in one transaction —
/// the one commit step of the page walker and the exchange walker.
///
/// ```swift
/// let committer = PageCommitter(dataset: d, warehouse: w, runID: run, observer: o, mapper: m)
/// let done = try committer.commit(records, pageNumber: 1, total: nil, requests: 1, summary: &summary) { mapped in
///     mapped.maxCursor.map { ($0, format($0)) }     // the watermark stored with this page, or nil
/// }
/// ```
struct PageCommitter {
    let dataset: DatasetConfig
    let warehouse: Warehouse
    let runID: Int64
    let observer: SyncObserver
    let mapper: RecordMapper
    /// Runs once, just before the walk's first page is applied (`sync --rekey` forgets the rows
    /// stored under the old key there: only once the gateway has answered).
    var beforeFirstCommit: OnceAction? = nil

    /// What one committed page tells the walk.
    struct Committed {
        /// The highest cursor on the page (rows and rejects).
        var maxCursor: Int?
        /// Records with no usable cursor value.
        var withoutCursor: Int
        /// A digest of each rejected record without a key (the warehouse cannot stamp them as
        /// seen): the same record read twice has the same digest.
        var keylessRejects: [Int]
        /// A digest of the page's content (keys and content hashes, in order): two pages with the
        /// same fingerprint in one process carry the same records.
        var fingerprint: Int
    }

    /// Maps and commits `records`. `watermark` chooses the watermark stored with the page from the
    /// mapped page (nil = leave it); `markSeen` stamps every key the page carries.
    func commit(_ records: [JSONValue], pageNumber: Int, total: Int?, requests: Int,
                markSeen: Bool = false, summary: inout DatasetSummary,
                watermark: (MappedPage) -> (epoch: Int, text: String)?) throws -> Committed {
        try commit(mapped: mapper.mapPage(records), fetched: records.count, pageNumber: pageNumber, total: total, requests: requests,
                   markSeen: markSeen, summary: &summary, watermark: watermark)
    }

    /// Commits a page already mapped (by the walk's prefetch thread) from `fetched` raw records.
    /// `nextInHand`: the walk holds its next page (it arrived within `PageWalker.nextPageWait`), so the warehouse may group this page's
    /// transaction with the next ones (`SQLWarehouse.apply`).
    func commit(mapped: MappedPage, fetched: Int, pageNumber: Int, total: Int?, requests: Int,
                markSeen: Bool = false, nextInHand: Bool = false, summary: inout DatasetSummary,
                watermark: (MappedPage) -> (epoch: Int, text: String)?) throws -> Committed {
        var batch = PageBatch(runID: runID, dataset: dataset, rows: mapped.rows, rejects: mapped.rejects, unmappedFields: mapped.unmappedFields,
                              watermark: watermark(mapped), fetched: fetched, requests: requests, markSeen: markSeen)
        batch.nextInHand = nextInHand
        try beforeFirstCommit?.run()
        let counts = try warehouse.apply(batch)
        summary.add(counts, fetched: fetched, requests: requests)
        observer.pageCommitted(dataset.name, page: pageNumber, fetched: fetched, counts: counts, total: total)
        return Committed(maxCursor: mapped.maxCursor, withoutCursor: mapped.withoutCursor,
                         keylessRejects: mapped.rejects.compactMap { $0.key == nil ? $0.record.serialized().hashValue : nil },
                         fingerprint: mapped.fingerprint)
    }
}

/// An action that runs at most once, from whichever thread commits first (the walk's committing
/// thread; the engine runs it after the walk when no page came), and keeps what it returned.
final class OnceAction: @unchecked Sendable {
    private let lock = NSLock()
    private var body: (() throws -> Int)?
    private var value = 0

    init(_ body: @escaping () throws -> Int) { self.body = body }

    /// Runs the action if it has not run; an action that throws stays to be run again.
    func run() throws {
        try lock.withLock {
            guard let body else { return }
            value = try body()
            self.body = nil
        }
    }

    /// What the action returned (0 before it ran).
    var result: Int { lock.withLock { value } }

    /// Whether the action has not run yet.
    var pending: Bool { lock.withLock { body != nil } }
}
