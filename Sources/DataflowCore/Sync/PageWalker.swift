import Foundation
import DataflowHTTP

/// Walks one dataset's pages and commits each with its state (docs/sync.md).
///
/// With `incremental.sorted: true` every walk goes **by cursor**: page and offset walks ask for
/// `cursor >= last cursor seen`, stepping page numbers only inside one cursor value; next-url,
/// cursor-token and link-header walks restart from the first request with the highest cursor
/// seen, following the gateway's next link only inside one cursor value. An upstream update that
/// moves a record to the end of the order therefore cannot shift a later page past us, and the
/// watermark moves with every committed page.
///
/// Otherwise the walk follows page numbers (or offsets, or the gateway's next links) from the
/// watermark, stamps every key it reads, and keeps a `PassLedger`. Only a pass the ledger judges
/// complete moves the watermark or (full snapshots, reconcile) tombstones the keys it did not
/// see, and then only within the mass-delete guard; an uncertain pass fails the dataset with the
/// reason, keeping what it read and the old watermark, so the next run reads the window again.
final class PageWalker {
    let dataset: DatasetConfig
    let project: ProjectConfig
    let client: SourceClient
    let warehouse: Warehouse
    let runID: Int64
    let observer: SyncObserver
    let template: RequestTemplate
    private var committer: PageCommitter

    /// Runs once just before the first page is applied (`PageCommitter.beforeFirstCommit`).
    var beforeFirstCommit: OnceAction? {
        get { committer.beforeFirstCommit }
        set { committer.beforeFirstCommit = newValue }
    }
    /// Mappers for a `PageFan`'s threads: a `RecordMapper` keeps state while it maps (member
    /// hints, its hasher), so each thread maps with one of its own.
    private let fanMappers: MapperPool
    /// How long a cursor walk waits for its next page before the page it holds commits alone
    /// rather than in a group with the next (docs/sync.md, "Pages and checkpoints"). The wait
    /// costs no time: the walk would wait for that page anyway. Without it, a writer that ran
    /// ahead of the prefetch thread found nothing in hand on most pages, and a 1,000,000-row
    /// load committed about 1,000 times instead of 21 (4.5 GB written instead of 1.2 GB).
    static let nextPageWait = 0.1

    init(dataset: DatasetConfig, project: ProjectConfig, client: SourceClient, warehouse: Warehouse, runID: Int64, observer: SyncObserver) {
        self.dataset = dataset
        self.project = project
        self.client = client
        self.warehouse = warehouse
        self.runID = runID
        self.observer = observer
        template = RequestTemplate(county: project.county)
        let now = Date()
        committer = PageCommitter(dataset: dataset, warehouse: warehouse, runID: runID, observer: observer,
                                  mapper: RecordMapper(dataset: dataset, dictionaries: project.dictionaries, now: now))
        fanMappers = MapperPool { RecordMapper(dataset: dataset, dictionaries: project.dictionaries, now: now) }
    }

    /// A reconciling walk starts with no cursor filter (then walks by cursor, which cannot skip a
    /// record that moves while it pages), stamps every key it sees, and after a complete,
    /// verified pass tombstones live keys that are gone upstream.
    var reconcile = false

    /// `sync --allow-mass-delete` named this dataset: the mass-delete guard lets the pass through.
    var allowMassDelete = false
    /// `sync --retry-rejects` replayed open rejects of this dataset earlier in this run. Replayed
    /// rows and still-failing rejects carry this run's id, so the warehouse would count their keys
    /// as read by the pass: a pass that missed a live record could then look complete and
    /// tombstone it. Such a pass is judged uncertain instead.
    var replayedRejects = false

    /// Tombstones of this walk's complete pass (snapshot diff or reconcile), for the run's counts.
    private var unseenTombstones = 0

    /// A reconciling cursor walk that cannot prove it read everything: nothing is tombstoned.
    struct UnverifiedPass: Error, CustomStringConvertible {
        var dataset: String
        var reason: String
        var description: String { "\(dataset): reconcile pass not verified (\(reason)); nothing was tombstoned, the rows read were kept" }
    }

    /// Whether this walk restarts from the highest cursor seen (a sorted source).
    private var byCursor: Bool { dataset.incremental?.sorted == true }

    /// Whether the pass tombstones the live keys it did not see.
    private var tombstonesUnseen: Bool { dataset.incremental == nil || reconcile }

    /// Whether pages stamp the keys they carry: every pass that must prove itself complete
    /// (snapshots, reconcile, and unsorted walks before their watermark moves).
    private var marksSeen: Bool { tombstonesUnseen || !byCursor }

    func walk(from state: DatasetState, summary: inout DatasetSummary) throws {
        let baseParams = dataset.request.params.map { ($0.0, template.fill($0.1)) }
        let start = reconcile ? nil : state.watermark.map { $0 - Int(dataset.incremental?.lookback ?? 0) }
        switch dataset.request.pagination {
        case .page(let p), .offset(let p):
            if let inc = dataset.incremental, inc.sorted {
                try walkByCursor(p, inc: inc, baseParams: baseParams, start: start, state: state, summary: &summary)
            } else {
                try passThenFinish(state: state, summary: &summary) { summary in
                    try walkByPage(p, baseParams: baseParams, start: start, state: state, summary: &summary)
                }
            }
        case .none, .cursor, .nextURL, .linkHeader:
            if let inc = dataset.incremental, inc.sorted, !reconcile {
                try walkByLinks(baseParams: baseParams, start: start, state: state, summary: &summary, restartAtCursor: inc)
            } else {
                // A reconcile follows the links from the unfiltered first request without restarting
                // at the cursor: a restart filters `cursor >= bound`, which hides records without a
                // cursor value, and links report no total to count the keys against. Followed
                // plainly, every record is on some page, and a record read twice (one that moved
                // while the walk paged) makes the pass uncertain instead.
                try passThenFinish(state: state, summary: &summary) { summary in
                    try walkByLinks(baseParams: baseParams, start: start, state: state, summary: &summary, restartAtCursor: nil)
                }
            }
        }
        summary.counts.deleted += unseenTombstones
        if reconcile && dataset.incremental != nil { summary.reconciledDeletes = unseenTombstones }
        summary.watermark = try warehouse.state(of: dataset.name).watermarkText
    }

    /// Runs one pass and finishes it when the ledger judges it complete; an uncertain pass fails
    /// the dataset with the reason, keeping what it read (the next run reads the same window
    /// again). One pass per run: the warehouse counts distinct keys per run, so a second pass in
    /// the same run could not be judged on its own.
    private func passThenFinish(state: DatasetState, summary: inout DatasetSummary,
                                _ pass: (inout DatasetSummary) throws -> PassLedger) throws {
        let ledger = try pass(&summary)
        if reconcile && isPageWalk && ledger.totalAtStart == nil {
            throw UnverifiedPass(dataset: dataset.name, reason: "page walks are only checked against the gateway's total, and it reports none (set request.pagination.total)")
        }
        switch try verdict(ledger, duplicatesExpected: false) {
        case .complete:
            try finish(ledger, state: state, summary: &summary, reconcileByCursor: false)
        case .uncertain(let why):
            summary.incompletePass = why
            throw PassLedger.Refusal(dataset: dataset.name, message: "the pass was not complete — \(why)")
        }
    }

    private var isPageWalk: Bool {
        switch dataset.request.pagination {
        case .page, .offset: return true
        default: return false
        }
    }

    private func verdict(_ ledger: PassLedger, duplicatesExpected: Bool) throws -> PassLedger.Verdict {
        if marksSeen && replayedRejects {
            return .uncertain("rejects replayed by --retry-rejects in this run count as read, so this pass cannot show it read every key (nothing was tombstoned; run `dataflow sync` again to finish the pass)")
        }
        guard marksSeen else { return ledger.verdict(distinctKeys: nil, duplicatesExpected: duplicatesExpected) }
        // How many records without a key each pass read, for the next pass to compare with.
        let keylessName = "keyless_reads:" + dataset.name
        let keylessBefore = try warehouse.metaValue(keylessName).flatMap { Int($0) }
        try warehouse.setMetaValue(keylessName, String(ledger.keylessRejects))
        return ledger.verdict(distinctKeys: try warehouse.keysSeen(dataset: dataset, runID: runID),
                              duplicatesExpected: duplicatesExpected, keylessBefore: keylessBefore)
    }

    /// After a complete pass: live keys not seen are tombstoned (snapshot, reconcile) within the
    /// mass-delete guard, and an unsorted walk's watermark moves to the pass's highest cursor.
    private func finish(_ ledger: PassLedger, state: DatasetState, summary: inout DatasetSummary, reconcileByCursor: Bool) throws {
        if reconcileByCursor {
            if case .uncertain(let why) = try verdict(ledger, duplicatesExpected: true) {
                summary.incompletePass = why
                throw UnverifiedPass(dataset: dataset.name, reason: why)
            }
        }
        if tombstonesUnseen {
            let would = try warehouse.unseenLiveCount(dataset: dataset, runID: runID)
            let limit = dataset.maxTombstones ?? project.source(named: dataset.source)?.maxTombstones ?? .default
            do {
                try MassDeleteGuard(dataset: dataset.name, limit: limit, overridden: allowMassDelete).check(wouldTombstone: would, liveRows: state.rows)
            } catch {
                summary.refusedTombstones = would
                throw error
            }
            if would > 0 { unseenTombstones += try warehouse.tombstoneUnseen(dataset: dataset, runID: runID) }
        }
        guard dataset.incremental != nil, !byCursor else { return }
        if let passMax = ledger.maxCursor, passMax > (state.watermark ?? Int.min) {
            try warehouse.finishPass(dataset: dataset.name, watermark: (passMax, format(passMax)))
        } else {
            try warehouse.finishPass(dataset: dataset.name, watermark: nil)
        }
    }

    /// Records per transaction when one response holds more than a page.
    static let commitChunk = 5_000

    private var isOffset: Bool { if case .offset = dataset.request.pagination { return true } else { return false } }

    /// The page-number or offset parameters for the plan's next request (a cursor walk's).
    private func pageParams(_ p: PagePagination, _ plan: PagePlan) -> [(String, String)] {
        [(p.pageParam, String(isOffset ? plan.readUnderBound : plan.pageNumber)), (p.sizeParam, String(p.size))]
    }

    /// Pages fetched ahead while the current one is mapped and committed.
    static let prefetchDepth = 2

    private var ownOrigin: String { URLResolver.origin(of: client.source.baseURL) }

    /// Records one response in the ledger, from what its commit(s) said.
    private func note(_ page: FetchedPage, records: Int, committed: [PageCommitter.Committed], in ledger: inout PassLedger) throws {
        var fingerprint = Hasher()
        for c in committed { fingerprint.combine(c.fingerprint) }
        try ledger.record(records: records, total: page.total, url: page.url, finalURL: page.finalURL,
                          fingerprint: committed.isEmpty ? nil : fingerprint.finalize(),
                          maxCursor: committed.compactMap(\.maxCursor).max(),
                          withoutCursor: committed.reduce(0) { $0 + $1.withoutCursor },
                          keylessRejects: committed.flatMap(\.keylessRejects))
    }

    /// The watermark a sorted walk stores with a page: its highest cursor, when that moves it on —
    /// but never past `keptAt` (`TieWatch.moved`): a cursor value whose records took more than a
    /// page and one of which moved while the walk paged inside them, which can push another past
    /// the walk unread. A watermark already past it is moved back to it, in the same transaction
    /// as the page, so the next run reads those records (and what follows) again.
    private func sortedWatermark(above watermark: Int?, atMost keptAt: Int?) -> (MappedPage) -> (epoch: Int, text: String)? {
        { mapped in
            if let keptAt, let w = watermark, w > keptAt { return (keptAt, self.format(keptAt)) }
            guard let cmax = Self.capped(mapped.maxCursor, keptAt), cmax > (watermark ?? Int.min) else { return nil }
            return (cmax, self.format(cmax))
        }
    }

    /// The watermark after a page committed with `sortedWatermark(above: watermark, atMost: keptAt)`.
    private static func watermark(_ watermark: Int?, after pageMax: Int?, keptAt: Int?) -> Int? {
        if let keptAt, let w = watermark, w > keptAt { return keptAt }
        guard let cmax = capped(pageMax, keptAt), cmax > (watermark ?? Int.min) else { return watermark }
        return cmax
    }

    private static func capped(_ cursor: Int?, _ keptAt: Int?) -> Int? {
        guard let cursor else { return nil }
        return keptAt.map { min(cursor, $0) } ?? cursor
    }

    /// Reads one page of a sorted walk into `ties`; `sameBound` when it was asked for under the
    /// same bound as the page before (the records at that cursor value filled a whole page).
    private func watch(_ rows: [MappedRow], bound: Int?, sameBound: Bool, _ ties: inout TieWatch, _ ledger: inout PassLedger,
                       _ summary: inout DatasetSummary) {
        ties.page(rows, bound: bound, sameBound: sameBound)
        if sameBound, let bound { ledger.tiedAcrossPages(at: bound) }
        summary.tiedCursor = ties.tied.map(format)
        summary.tiedCursorKept = ties.moved != nil
    }

    private func walkByCursor(_ p: PagePagination, inc: IncrementalConfig, baseParams: [(String, String)], start: Int?,
                              state: DatasetState, summary: inout DatasetSummary) throws {
        // Fetching and mapping run ahead on their own thread: the next request needs only the
        // page's highest cursor (read from the raw records), not its commit, so the gateway's
        // latency and the mapping overlap the warehouse's transaction; this thread only commits.
        // On the prefetch thread, page k is mapped (and handed on) while the gateway answers the
        // request for page k + 1 (`WaitingWork`): the chain request → parse → map → request is
        // what bounds a fast walk. The client, the plan, the page in hand and the mapper belong
        // to the prefetch thread until `stop()` returns.
        struct Producer {
            var plan: PagePlan
            let client: SourceClient
            /// The page fetched and not yet handed on, with its cursors.
            var inHand: (fetched: Fetched, records: [JSONValue], cursors: [Int?], more: Bool)?
        }
        struct Fetched {
            /// The response; its records are handed on mapped (`mapped`), not kept twice.
            var page: FetchedPage
            var records: Int
            var mapped: MappedPage
            /// The lower cursor bound this page was requested under.
            var bound: Int?
        }
        var plan = PagePlan(from: start, firstPage: p.firstPage, size: p.size, byCursor: true)
        plan.confirmsFirstPage = reconcile
        let producer = ThreadConfined(Producer(plan: plan, client: client))
        let request = dataset.request
        let walker = ThreadConfined(self)
        /// Fetches the plan's next page, running `work` while the gateway answers it; gives up
        /// (waiting for the answer or to retry) once the walk has stopped the prefetcher.
        @Sendable func fetchNext(whileWaiting work: WaitingWork?, giveUpIf stopped: @escaping () -> Bool) throws {
            let plan = producer.value.plan
            var params = baseParams + walker.value.pageParams(p, plan)
            if let from = plan.from { params = walker.value.filter(params, inc, from) }
            var page = try producer.value.client.fetch(.path(request.path, params: params), request: request, totalPath: p.totalPath,
                                                       whileWaiting: work, giveUpIf: stopped)
            // The records go on mapped; the parsed body is dropped here, so the committing thread
            // neither holds it nor spends its time freeing it.
            let records = page.records
            page.records = []
            page.body = nil
            // `inc` is the dataset's own `incremental`, so the mapper takes these cursors as its own.
            var hint = 0
            let cursors = records.map { record -> Int? in
                if case .object(let o) = record { return RecordMapper.cursor(of: o, inc, hint: &hint) } else { return nil }
            }
            let more = records.isEmpty ? false
                : producer.value.plan.advance(count: records.count, total: page.total, maxCursor: cursors.compactMap { $0 }.max())
            producer.value.inHand = (Fetched(page: page, records: records.count, mapped: MappedPage(), bound: plan.from), records, cursors, more)
        }
        let prefetcher = PagePrefetcher<Fetched>(capacity: Self.prefetchDepth) { deliver, stopped in
            if producer.value.inHand == nil { try fetchNext(whileWaiting: nil, giveUpIf: stopped) }
            guard let held = producer.value.inHand else { preconditionFailure("fetchNext always leaves a page in hand") }
            producer.value.inHand = nil
            try withoutActuallyEscaping(deliver) { deliver in
                let handOn = WaitingWork {
                    var fetched = held.fetched
                    if fetched.records > 0 { fetched.mapped = walker.value.committer.mapper.mapPage(held.records, cursors: held.cursors) }
                    deliver(fetched, !held.more)
                }
                // The page in hand is handed on whatever happens to the next request: an error is
                // handed out after it.
                defer { handOn.runOnce() }
                if held.more { try fetchNext(whileWaiting: handOn, giveUpIf: stopped) }
            }
        }
        defer { prefetcher.stop() }
        var ledger = PassLedger(dataset: dataset.name, ownOrigin: ownOrigin)
        var watermark = state.watermark
        var bound = start
        var pageNumber = 0
        var last: FetchedPage?
        var ties = TieWatch()
        /// The records of the page before, and the most any page before that one held.
        var (previousRecords, largestBefore) = (0, 0)
        while let fetched = try prefetcher.next() {
            let page = fetched.page
            pageNumber += 1
            // A page with records under the same bound as the one before: the records at that
            // cursor value filled the page before, and the walk went on by page number inside them
            // (a first page shorter than asked may be the gateway's page cap: it counts as full).
            // After a page shorter than one before it, it is the gateway's total that sent the walk
            // on (it said more records were left than the page held): records there mean the
            // gateway left them out of the short page. An empty page there ends the walk; it shows
            // no run longer than a page.
            let sameBound = pageNumber > 1 && fetched.bound == bound && fetched.records > 0
            let afterShort = largestBefore > 0 && previousRecords < largestBefore
            if sameBound, afterShort { ledger.shortPageInside(number: pageNumber - 1, records: previousRecords) }
            (previousRecords, largestBefore) = (fetched.records, max(largestBefore, previousRecords))
            watch(fetched.mapped.rows, bound: fetched.bound, sameBound: sameBound && !afterShort, &ties, &ledger, &summary)
            last = page
            if fetched.bound != bound { bound = fetched.bound; ledger.boundMoved() }
            if fetched.records == 0 {
                summary.requests += page.requests
                try note(page, records: 0, committed: [], in: &ledger)
                ledger.end(.emptyPage, total: page.total)
                break
            }
            let committed = try committer.commit(mapped: fetched.mapped, fetched: fetched.records, pageNumber: pageNumber, total: page.total,
                                                 requests: page.requests, markSeen: marksSeen, nextInHand: prefetcher.waitForNext(upTo: Self.nextPageWait),
                                                 summary: &summary, watermark: sortedWatermark(above: watermark, atMost: ties.moved))
            try note(page, records: fetched.records, committed: [committed], in: &ledger)
            watermark = Self.watermark(watermark, after: committed.maxCursor, keptAt: ties.moved)
            prefetcher.recycle(fetched)
        }
        prefetcher.stop()
        summary.pageCap = producer.value.plan.cappedAt
        if ledger.ending == nil, let last {
            let reached = last.total.map { producer.value.plan.readUnderBound >= $0 } ?? false
            ledger.end(reached ? .totalReached : .shortPage, total: last.total)
        }
        guard reconcile else { return }
        // The first request of a reconcile has no filter, so its total is the whole key set; the
        // totals of later (filtered) requests are not, so the end total is asked for again.
        guard ledger.totalAtStart != nil else {
            throw UnverifiedPass(dataset: dataset.name, reason: "the gateway reports no total (set request.pagination.total)")
        }
        if ledger.withoutCursor > 0 {
            throw UnverifiedPass(dataset: dataset.name, reason: "\(ledger.withoutCursor) records have no usable \(inc.cursor) value, so a cursor walk cannot promise to see them")
        }
        let check = try client.fetch(.path(request.path, params: baseParams + pageParams(p, PagePlan(from: nil, firstPage: p.firstPage, size: p.size, byCursor: true))),
                                     request: request, totalPath: p.totalPath)
        summary.requests += check.requests
        ledger.endTotal(check.total)
        try finish(ledger, state: state, summary: &summary, reconcileByCursor: true)
    }

    /// The query of one request of a page-number or offset walk: the dataset's parameters, the
    /// page number or offset and size, and the incremental filter (it replaces a parameter of the
    /// same name). Built the same way by the walk and by its `PageFan`, so a response the fan
    /// fetched answers exactly the request the walk would have sent.
    private struct PageQuery: Sendable {
        var base: [(String, String)]
        var pagination: PagePagination
        /// The incremental filter (name, value), when the walk has one.
        var filter: (String, String)?

        func params(_ value: Int) -> [(String, String)] {
            let params = base + [(pagination.pageParam, String(value)), (pagination.sizeParam, String(pagination.size))]
            guard let filter else { return params }
            return params.filter { $0.0 != filter.0 } + [filter]
        }
    }

    /// Lends this walk more request slots of its source (`SyncEngine`); none by default.
    var lender = RequestLender.none

    private func walkByPage(_ p: PagePagination, baseParams: [(String, String)], start: Int?, state: DatasetState,
                            summary: inout DatasetSummary) throws -> PassLedger {
        var plan = PagePlan(from: start, firstPage: p.firstPage, size: p.size, byCursor: false)
        // Every pass of a page walk is judged (snapshot, reconcile, unsorted watermark): a first page
        // at the total is confirmed whatever it holds.
        plan.confirmsFirstPage = true
        // A walk whose gateway reports a total checks that every response reports the same one:
        // its pages may be fetched out of order (`PageFan`), so its first and last pages alone do
        // not bound the pass in time.
        var ledger = PassLedger(dataset: dataset.name, ownOrigin: ownOrigin, oneTotal: true)
        let query = PageQuery(base: baseParams, pagination: p,
                              filter: dataset.incremental.flatMap { inc in start.flatMap { filter([], inc, $0).last } })
        // Without a total, a page shorter than the ones before looks like the last page, but a
        // gateway can also send one in the middle (a slow shard, a page cut short). Every pass here
        // must prove itself complete, so the page after a short one is asked for: empty ends the
        // walk, and so does the short page or the first page again (gateways that serve their last
        // or first page for any page past the end). More records mean the short page was inside
        // the walk: they are read on, and the pass is uncertain (records were left out).
        var shortPage: (records: [JSONValue], number: Int)?
        var firstPage: [JSONValue]?
        // With a total, the walk also ends once it has read that many records — on the gateway's
        // word alone when the last page came back full. A total too small (miscounted, or a lie)
        // would end the pass early yet look complete, and the keys after it would be deleted (or,
        // on an incremental walk, skipped for good); so after a full page that reaches the total
        // the next request is sent too. Empty, or the last or the first page again, confirms the
        // end; records prove the total wrong: they are read on, the total no longer ends the walk,
        // and the pass is uncertain (more distinct keys than the total).
        var endClaimedByTotal: [JSONValue]?
        var totalDisproved = false
        // With a total, the pages after the first are fetched (and mapped) ahead, several at once
        // (`PageFan`). The walk takes a page from the fan only when it is the answer to the request
        // the walk sends next and it reports a total (every response is checked against the first
        // one's, `oneTotal`); anything else stops the fan, and the walk goes on one request at a time.
        var fan: PageFan?
        defer { fan?.stop() }
        while true {
            let value = isOffset ? plan.readUnderBound : plan.pageNumber
            let page: FetchedPage
            let count: Int
            var mapped: MappedPage?
            if shortPage == nil, endClaimedByTotal == nil, let taken = fan?.take(value), taken.page.total != nil {
                (page, count, mapped) = (taken.page, taken.records, taken.mapped)
            } else {
                fan?.stop()
                fan = nil
                page = try client.fetch(.path(dataset.request.path, params: query.params(value)), request: dataset.request, totalPath: p.totalPath)
                count = page.records.count
                if ledger.pages == 0, let total = page.total, count > 0, count < total {
                    fan = PageFan(values: Self.valuesAhead(of: plan, offsets: isOffset, firstPageRecords: count, total: total),
                                  own: client, lender: lender, fetch: { [request = dataset.request, mappers = fanMappers] client, value, stopped in
                        var page = try client.fetch(.path(request.path, params: query.params(value)), request: request, totalPath: p.totalPath,
                                                    giveUpIf: stopped)
                        let records = page.records
                        page.body = nil
                        page.records = []
                        return FannedPage(page: page, records: records.count, mapped: mappers.with { $0.mapPage(records) })
                    })
                }
            }
            if count == 0 {
                summary.requests += page.requests
                try note(page, records: 0, committed: [], in: &ledger)
                ledger.end(.emptyPage, total: page.total)
                break
            }
            if let short = shortPage {
                if page.records == short.records || page.records == firstPage {
                    summary.requests += page.requests
                    ledger.end(.lastPageRepeated, total: page.total)
                    break
                }
                ledger.shortPageInside(number: short.number, records: short.records.count)
                shortPage = nil
            }
            if let claimed = endClaimedByTotal {
                endClaimedByTotal = nil
                if page.records == claimed || page.records == firstPage {
                    summary.requests += page.requests
                    ledger.end(.lastPageRepeated, total: page.total)
                    break
                }
                totalDisproved = true
            }
            if firstPage == nil { firstPage = page.records }
            // The page may be grouped with the next only when the walk goes on and the fan holds the
            // very request it sends next.
            let goesOn = page.total.map { plan.readUnderBound + count < $0 } ?? false
            let nextValue = isOffset ? plan.readUnderBound + count : plan.pageNumber + 1
            let committed = try committer.commit(mapped: mapped ?? committer.mapper.mapPage(page.records), fetched: count, pageNumber: plan.pageNumber,
                                                 total: page.total, requests: page.requests, markSeen: marksSeen,
                                                 nextInHand: goesOn && fan?.waitForNext(nextValue, upTo: Self.nextPageWait) == true,
                                                 summary: &summary) { _ in nil }
            try note(page, records: count, committed: [committed], in: &ledger)
            if !plan.advance(count: count, total: totalDisproved ? nil : page.total, maxCursor: nil) {
                if let total = page.total, !totalDisproved {
                    // A page that may be full (`PagePlan.lastPageFull`; the first page whatever it
                    // holds — a gateway that caps its pages at 40 and reports the records it sent as
                    // its total looks exactly like a dataset of 40, and the rest was tombstoned).
                    if plan.readUnderBound == total, plan.lastPageFull {
                        endClaimedByTotal = page.records
                        plan.passShortPage()
                        continue
                    }
                    ledger.end(plan.readUnderBound >= total ? .totalReached : .shortPage, total: total)
                    break
                }
                shortPage = (page.records, ledger.pages)
                plan.passShortPage()
            }
        }
        summary.pageCap = plan.cappedAt
        return ledger
    }

    /// Hands each thread a mapper no other thread is using, making one when none is free.
    private final class MapperPool: @unchecked Sendable {
        private let lock = NSLock()
        /// Guarded by `lock`.
        private var idle: [RecordMapper] = []
        private let make: @Sendable () -> RecordMapper

        init(make: @escaping @Sendable () -> RecordMapper) { self.make = make }

        func with<T>(_ body: (RecordMapper) throws -> T) rethrows -> T {
            let mapper = lock.withLock { idle.popLast() } ?? make()
            defer { lock.withLock { idle.append(mapper) } }
            return try body(mapper)
        }
    }

    /// The page numbers (or offsets) a walk asks for after its first page, if every page holds
    /// as many records as the first and the total holds: the gateway's own page size is what its
    /// first page held (a gateway that caps the size serves fewer than asked).
    static func valuesAhead(of plan: PagePlan, offsets: Bool, firstPageRecords: Int, total: Int) -> PageFan.Values {
        let pages = firstPageRecords > 0 ? (total - 1) / firstPageRecords + 1 : 1
        return offsets ? PageFan.Values(first: plan.readUnderBound + firstPageRecords, step: firstPageRecords, count: pages - 1)
                       : PageFan.Values(first: plan.pageNumber + 1, step: 1, count: pages - 1)
    }

    /// Cursor-token, next-url, link-header and single-request walks: follow what each page says
    /// comes next until an empty page or no next; a next that repeats is an error, not a loop.
    /// With `restartAtCursor` (a sorted source) each page whose highest cursor moved the bound is
    /// followed by the first request again, filtered from that cursor, instead of the next link.
    @discardableResult
    private func walkByLinks(baseParams: [(String, String)], start: Int?, state: DatasetState, summary: inout DatasetSummary,
                             restartAtCursor inc: IncrementalConfig?) throws -> PassLedger {
        func firstRequest(from bound: Int?) -> (PageTarget, LinkPaginator) {
            var params = baseParams
            if let incremental = dataset.incremental, let bound { params = filter(params, incremental, bound) }
            if case .cursor(let c) = dataset.request.pagination, let sizeParam = c.sizeParam, let size = c.size {
                params.append((sizeParam, String(size)))
            }
            return (.path(dataset.request.path, params: params),
                    LinkPaginator(pagination: dataset.request.pagination, firstParams: params, path: dataset.request.path))
        }
        var bound = start
        var (target, paginator) = firstRequest(from: bound)
        var ledger = PassLedger(dataset: dataset.name, ownOrigin: ownOrigin)
        var watermark = state.watermark
        var pages = 0
        let streams = dataset.request.format != .json
        let sorted = inc != nil
        var ties = TieWatch()
        var sameBound = false
        while true {
            let page: FetchedPage
            var committed: [PageCommitter.Committed] = []
            let count: Int
            func commit(_ records: [JSONValue], requests: Int) throws {
                let mapped = committer.mapper.mapPage(records)
                if sorted { watch(mapped.rows, bound: bound, sameBound: sameBound, &ties, &ledger, &summary); sameBound = false }
                let c = try committer.commit(mapped: mapped, fetched: records.count, pageNumber: pages + 1, total: nil, requests: requests,
                                             markSeen: marksSeen, summary: &summary,
                                             watermark: sorted ? sortedWatermark(above: watermark, atMost: ties.moved) : { _ in nil })
                if sorted { watermark = Self.watermark(watermark, after: c.maxCursor, keptAt: ties.moved) }
                committed.append(c)
            }
            if streams {
                // NDJSON and CSV are downloaded to a file and committed in bounded batches.
                page = try client.fetchStreaming(target, request: dataset.request, batch: Self.commitChunk) { records in
                    try commit(records, requests: committed.isEmpty ? 1 : 0)
                }
                count = page.streamedRecords
                if count > 0 { summary.requests += page.requests - 1 }
            } else {
                page = try client.fetch(target, request: dataset.request, totalPath: nil)
                count = page.records.count
                // One response can hold a whole download (`none`): commit it in bounded
                // transactions so the warehouse side stays small whatever the size.
                for (index, start) in stride(from: 0, to: page.records.count, by: Self.commitChunk).enumerated() {
                    try commit(Array(page.records[start..<min(page.records.count, start + Self.commitChunk)]), requests: index == 0 ? page.requests : 0)
                }
            }
            pages += 1
            try note(page, records: count, committed: committed, in: &ledger)
            if count == 0 {
                summary.requests += page.requests
                ledger.end(.emptyPage, total: page.total)
                break
            }
            let next: PageTarget?
            do {
                next = try paginator.next(after: page)
            } catch let error as LinkPaginator.RepeatedLink {
                throw GatewayError(source: dataset.source, path: dataset.request.path, code: nil,
                                   message: "\(error) after \(pages) pages; stopped instead of looping (the pages read are kept, nothing was tombstoned, the watermark was not moved)")
            }
            guard let next else {
                if case .none = dataset.request.pagination { ledger.end(.singleResponse, total: page.total) } else { ledger.end(.noNext, total: page.total) }
                break
            }
            let pageMax = committed.compactMap(\.maxCursor).max()
            if sorted, let pageMax, bound == nil || pageMax > bound! {
                // Restart from the highest cursor seen: a record that moved to the end while we
                // paged cannot shift the gateway's offsets past one we have not read.
                bound = pageMax
                (target, paginator) = firstRequest(from: bound)
                ledger.boundMoved()
            } else {
                // The whole page shares the bound's cursor value: the next link goes on inside them.
                sameBound = sorted && bound != nil && pageMax != nil
                target = next
            }
        }
        return ledger
    }

    /// `params` with the incremental filter set: `param = value`, or `param = template` with
    /// `{value}` filled (`$where: ":updated_at >= '{value}'"`); it replaces a parameter of the same
    /// name (a preset's `where=1=1`).
    func filter(_ params: [(String, String)], _ inc: IncrementalConfig, _ epoch: Int) -> [(String, String)] {
        let value = inc.template.map { $0.replacingOccurrences(of: "{value}", with: format(epoch)) } ?? format(epoch)
        return params.filter { $0.0 != inc.param } + [(inc.param, value)]
    }

    /// A cursor value in the gateway's format and zone.
    func format(_ epoch: Int) -> String {
        guard let inc = dataset.incremental else { return String(epoch) }
        let offset = inc.timezone.offset(atEpoch: epoch)
        return inc.format.format(CivilTime(epochSeconds: epoch, offset: offset))
    }
}

/// What a sorted walk read inside runs of one cursor value longer than a page, to see whether one
/// of those records moved while the walk paged inside them (docs/sync.md, "Paging while the
/// source changes"): a record updated there goes to the end of the order, the rest shift left, and
/// the walk steps past one of them. The moved record itself comes back later in the walk with a
/// higher cursor — that is what shows it. The watermark is then kept at that value.
///
/// ```swift
/// var ties = TieWatch()
/// ties.page(rows, bound: b, sameBound: true)   // a second page under bound b
/// ties.moved                                   // b, once a key read there comes back later
/// ```
struct TieWatch {
    /// The lowest cursor value whose records took more than a page in this walk.
    private(set) var tied: Int?
    /// The lowest such value one of whose records came back later with a higher cursor.
    private(set) var moved: Int?
    /// Keys read inside such runs, with their cursor value (bounded by the runs' sizes).
    private var members: [String: Int] = [:]
    /// The keys of the page before at its bound's cursor value, until the next page says whether
    /// they began a run longer than a page.
    private var previous: [String] = []

    mutating func page(_ rows: [MappedRow], bound: Int?, sameBound: Bool) {
        if !members.isEmpty {
            for row in rows {
                if let cursor = row.cursor, let at = members[row.key], cursor > at { moved = min(moved ?? at, at) }
            }
        }
        if sameBound, let bound {
            tied = min(tied ?? bound, bound)
            for key in previous { members[key] = bound }
            for row in rows where row.cursor == bound { members[row.key] = bound }
        }
        previous = bound.map { b in rows.compactMap { $0.cursor == b ? $0.key : nil } } ?? []
    }
}
