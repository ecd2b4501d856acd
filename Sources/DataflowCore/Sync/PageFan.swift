import Foundation

/// Lends a walk more request slots of its source, each with a client of its own (the sync engine
/// makes one per dataset from its scheduler and the source's share; docs/architecture.md,
/// Concurrency).
struct RequestLender: Sendable {
    /// The most threads one fan may run, its own included (the source's `concurrency`, capped).
    var most: Int
    /// A client holding one more slot of the source, or nil when the source has none to spare.
    var borrow: @Sendable () -> SourceClient?
    /// Gives a borrowed client and its slot back.
    var giveBack: @Sendable (SourceClient) -> Void

    /// Nothing to lend: a fan runs on the walk's own slot alone (one request ahead of the commit).
    static let none = RequestLender(most: 1, borrow: { nil }, giveBack: { _ in })
}

/// One page the fan fetched: the response, and its records mapped on the fan's thread.
struct FannedPage {
    /// The response; its records are dropped once mapped (a page without a total, which could
    /// need them, is not taken: the walk fetches it again itself).
    var page: FetchedPage
    /// Records the response held.
    var records: Int
    var mapped: MappedPage
}

/// Fetches, several at once, the requests a page-number or offset walk will send if every page
/// comes back full and the total holds, and hands the responses back in order — only for the
/// request the walk actually asks for next (docs/architecture.md, "Pages in parallel inside one
/// dataset").
///
/// ```swift
/// let fan = PageFan(values: .init(first: 2, step: 1, count: 3), own: client, lender: lender) { client, value in try fetch(page: value, with: client) }
/// if let page = fan.take(2) { … } else { fan.stop(); /* fetch it yourself */ }
/// ```
///
/// The walk's own client belongs to the fan's first thread until `stop()` returns. Every further
/// thread borrows a slot and a client from `lender` and gives them back when it ends. A page is
/// fetched at most as many ahead of the one the walk takes next as the fan has threads (one per
/// request slot it holds), so memory stays flat and a walk that ends early (or a gateway that
/// misbehaves) costs at most that many requests more than a one-at-a-time walk. The requests
/// are counted by the clients (`SourceClient.requestsSent`), the walk's own and the borrowed.
///
/// `@unchecked Sendable`: every mutable field is guarded by `condition`; each client is used by
/// one thread at a time (hand-over as in `PagePrefetcher`).
final class PageFan: @unchecked Sendable {
    /// The most threads one dataset's fan runs, whatever the source's `concurrency`.
    static let mostThreads = 16

    /// Fetches one planned page; `stopped` says when the walk has stopped the fan (a fetch in its
    /// retries gives up then: `SourceClient.fetch(…giveUpIf:)`).
    typealias Fetch = @Sendable (_ client: SourceClient, _ value: Int, _ stopped: @escaping () -> Bool) throws -> FannedPage

    /// The page numbers or offsets the fan fetches, in the walk's order: `first`, `first + step`, …
    /// (`count` of them), computed as needed — a gateway's total may be a lie of any size.
    struct Values: Sendable, Equatable {
        var first: Int
        var step: Int
        var count: Int
        subscript(index: Int) -> Int { first + index * step }
    }
    private let values: Values
    private let lender: RequestLender
    private let fetch: Fetch
    private let condition = NSCondition()
    // Guarded by `condition`:
    /// The next index a thread fetches.
    private var claimed = 0
    /// The next index the walk takes.
    private var taken = 0
    private var results: [Int: Result<FannedPage, any Error>] = [:]
    private var cancelled = false
    /// A fetch failed: no thread claims more. The walk fetches that page again itself when it
    /// comes to it (a brief outage costs the fan's attempt, not the dataset).
    private var failed = false
    /// Threads running; a thread fetches at most this many pages ahead of the walk.
    private var threads = 0

    init(values: Values, own client: SourceClient, lender: RequestLender, fetch: @escaping Fetch) {
        self.values = values
        self.lender = lender
        self.fetch = fetch
        threads = 1
        start(ThreadConfined(client), borrowed: false)
        grow()
    }

    /// Borrows slots for more threads while there is work no running thread will get to soon.
    private func grow() {
        while true {
            condition.lock()
            let worth = !cancelled && !failed && threads < min(lender.most, Self.mostThreads) && values.count - claimed > threads
            if worth { threads += 1 }
            condition.unlock()
            guard worth else { return }
            guard let client = lender.borrow() else {
                condition.lock()
                threads -= 1
                condition.broadcast()
                condition.unlock()
                return
            }
            start(ThreadConfined(client), borrowed: true)
        }
    }

    private func start(_ client: ThreadConfined<SourceClient>, borrowed: Bool) {
        Thread.startParsing { [self] in self.work(client.value, borrowed: borrowed) }
    }

    private func work(_ client: SourceClient, borrowed: Bool) {
        while true {
            condition.lock()
            while !cancelled && !failed && claimed < values.count && claimed >= taken + threads { condition.wait() }
            guard !cancelled && !failed && claimed < values.count else {
                condition.unlock()
                break
            }
            let index = claimed
            claimed += 1
            condition.unlock()
            let result = Result { try fetch(client, values[index], { [self] in condition.withLock { cancelled } }) }
            condition.lock()
            results[index] = result
            if case .failure = result { failed = true }
            condition.broadcast()
            condition.unlock()
        }
        if borrowed { lender.giveBack(client) }
        condition.lock()
        threads -= 1
        condition.broadcast()
        condition.unlock()
    }

    /// The response to the request for `value` when it is the next one the fan fetched (waiting for
    /// it if need be); nil when the walk asks for anything else, when the fan has nothing more, or
    /// when that fetch failed — the walk then stops the fan and sends the request itself, so an
    /// error the walk reports is always one of its own requests.
    func take(_ value: Int) -> FannedPage? {
        guard condition.withLock({ isNext(value) }) else { return nil }
        grow()
        condition.lock()
        defer { condition.unlock() }
        while results[taken] == nil && !nextNeverComes { condition.wait() }
        guard case .success(let page)? = results.removeValue(forKey: taken) else { return nil }
        taken += 1
        condition.broadcast()
        return page
    }

    /// Whether the walk's next request, `value`, is the fan's next page and that page is fetched,
    /// with a total, within `seconds`: true as soon as it is; false at once when the fan will not
    /// hand it over (another value, nothing more planned, a failed fetch). Only then may the walk
    /// let the warehouse group the page it commits with the next (`PageCommitter.commit(mapped:…nextInHand:)`):
    /// a group must not stay open while the walk stops the fan and fetches for itself.
    func waitForNext(_ value: Int, upTo seconds: Double) -> Bool {
        let deadline = Date(timeIntervalSinceNow: seconds)
        condition.lock()
        defer { condition.unlock() }
        guard isNext(value) else { return false }
        while results[taken] == nil && !nextNeverComes {
            if !condition.wait(until: deadline) { break }
        }
        guard case .success(let page)? = results[taken] else { return false }
        return page.page.total != nil
    }

    /// Whether `value` is the request the fan hands over next (under `condition`).
    private func isNext(_ value: Int) -> Bool { !cancelled && taken < values.count && values[taken] == value }

    /// After a failure, an index no thread claimed is never fetched (under `condition`).
    private var nextNeverComes: Bool { failed && claimed <= taken }

    /// Stops every thread after its current request (a fetch waiting to retry gives up, sending
    /// nothing more) and waits for them: the walk's client is its own again, every borrowed slot
    /// is back, and what was fetched ahead is dropped. Idempotent.
    func stop() {
        condition.lock()
        defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
        while threads > 0 { condition.wait() }
        results.removeAll()
    }
}
