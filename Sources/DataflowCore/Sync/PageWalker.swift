/// Walks one dataset's pages and commits each with its state (DESIGN §3).
///
/// With `incremental.sorted: true` and page paging it walks **by cursor**: each request asks for
/// `cursor >= last cursor seen`, falling back to page numbers only inside one cursor value. An
/// upstream update that moves a record to the end of the order therefore cannot shift a later
/// page past us, and the watermark can move with every committed page. Otherwise it walks page
/// numbers (or offsets) from the watermark and moves the watermark only after a complete pass.
/// Cursor-token, next-url and link-header sources follow `LinkPaginator`. A dataset without
/// `incremental` is a full snapshot: after a complete pass, keys not seen are tombstoned.
final class PageWalker {
    let dataset: DatasetConfig
    let project: ProjectConfig
    let client: SourceClient
    let warehouse: Warehouse
    let runID: Int64
    let observer: SyncObserver
    let mapper: RecordMapper
    let template: RequestTemplate

    init(dataset: DatasetConfig, project: ProjectConfig, client: SourceClient, warehouse: Warehouse, runID: Int64, observer: SyncObserver) {
        self.dataset = dataset
        self.project = project
        self.client = client
        self.warehouse = warehouse
        self.runID = runID
        self.observer = observer
        mapper = RecordMapper(dataset: dataset, dictionaries: project.dictionaries)
        template = RequestTemplate(county: project.county)
    }

    /// A reconciling walk starts with no cursor filter (then walks by cursor, which cannot skip a
    /// record that moves while it pages), stamps every key it sees, and after a complete,
    /// verified pass tombstones live keys that are gone upstream (DESIGN §3).
    var reconcile = false

    /// Snapshot tombstones of this walk (full-refresh datasets), for the run's counts.
    private var snapshotTombstones = 0

    /// A reconciling cursor walk that cannot prove it read everything: nothing is tombstoned.
    struct UnverifiedPass: Error, CustomStringConvertible {
        var dataset: String
        var reason: String
        var description: String { "\(dataset): reconcile pass not verified (\(reason)); nothing was tombstoned, the rows read were kept" }
    }

    /// Whether pages stamp the keys they carry (full snapshots and reconciling passes).
    private var marksSeen: Bool { dataset.incremental == nil || reconcile }

    func walk(from state: DatasetState, summary: inout DatasetSummary) throws {
        let baseParams = dataset.request.params.map { ($0.0, template.fill($0.1)) }
        let start = reconcile ? nil : state.watermark.map { $0 - Int(dataset.incremental?.lookback ?? 0) }
        switch dataset.request.pagination {
        case .page(let p), .offset(let p):
            if let inc = dataset.incremental, inc.sorted {
                try walkByCursor(p, inc: inc, baseParams: baseParams, start: start, state: state, summary: &summary)
            } else {
                try walkByPage(p, baseParams: baseParams, start: start, state: state, summary: &summary)
            }
        case .none, .cursor, .nextURL, .linkHeader:
            try walkByLinks(baseParams: baseParams, start: start, state: state, summary: &summary)
        }
        summary.counts.deleted += snapshotTombstones
        // Only reached after a complete pass: a walk that stopped early or could not verify its
        // pass threw, and deletes nothing.
        if reconcile && dataset.incremental != nil {
            summary.reconciledDeletes = try warehouse.tombstoneUnseen(dataset: dataset, runID: runID)
            summary.counts.deleted += summary.reconciledDeletes ?? 0
        }
        summary.watermark = try warehouse.state(of: dataset.name).watermarkText
    }

    /// Records per transaction when one response holds more than a page.
    static let commitChunk = 5_000

    private var isOffset: Bool { if case .offset = dataset.request.pagination { return true } else { return false } }

    /// The page-number or offset parameters for the plan's next request.
    private func pageParams(_ p: PagePagination, _ plan: PagePlan) -> [(String, String)] {
        [(p.pageParam, String(isOffset ? plan.readUnderBound : plan.pageNumber)), (p.sizeParam, String(p.size))]
    }

    /// Pages fetched ahead while the current one is mapped and committed.
    static let prefetchDepth = 2

    private func walkByCursor(_ p: PagePagination, inc: IncrementalConfig, baseParams: [(String, String)], start: Int?,
                              state: DatasetState, summary: inout DatasetSummary) throws {
        // Fetching runs one page ahead on its own thread: the next request needs only the page's
        // highest cursor (read from the raw records), not its mapping or commit, so the gateway's
        // latency overlaps the mapping and the SQLite transaction. The client and the plan belong
        // to the prefetch thread until `stop()` returns.
        struct Producer {
            var plan: PagePlan
            let client: SourceClient
        }
        let producer = ThreadConfined(Producer(plan: PagePlan(from: start, firstPage: p.firstPage, size: p.size, byCursor: true), client: client))
        let request = dataset.request
        let walker = ThreadConfined(self)
        let prefetcher = PagePrefetcher<FetchedPage>(capacity: Self.prefetchDepth) {
            let plan = producer.value.plan
            var params = baseParams + walker.value.pageParams(p, plan)
            if let from = plan.from { params = walker.value.filter(params, inc, from) }
            let page = try producer.value.client.fetch(.path(request.path, params: params), request: request, totalPath: p.totalPath)
            if page.records.isEmpty { return (page, true) }
            let cmax = page.records.compactMap { record -> Int? in
                if case .object(let o) = record { return RecordMapper.cursor(of: o, inc) } else { return nil }
            }.max()
            let more = producer.value.plan.advance(count: page.records.count, total: page.total, maxCursor: cmax)
            return (page, !more)
        }
        defer { prefetcher.stop() }
        var watermark = state.watermark
        var pages = 0
        var firstTotal: Int?
        var received = 0
        var withoutCursor = 0
        while let page = try prefetcher.next() {
            pages += 1
            if pages == 1 { firstTotal = page.total }
            if page.records.isEmpty { summary.requests += page.requests; break }
            received += page.records.count
            let committed = try commit(page, pageNumber: pages, watermark: watermark, sortedWalk: true, summary: &summary)
            withoutCursor += committed.withoutCursor
            if let cmax = committed.maxCursor, cmax > (watermark ?? Int.min) { watermark = cmax }
        }
        prefetcher.stop()
        summary.pageCap = producer.value.plan.cappedAt
        if reconcile {
            // The first request of a reconcile has no filter, so its total is the whole key set;
            // a record without a cursor value may be filtered out of later requests.
            guard let firstTotal else { throw UnverifiedPass(dataset: dataset.name, reason: "the gateway reports no total (set request.pagination.total)") }
            if received < firstTotal {
                throw UnverifiedPass(dataset: dataset.name, reason: "read \(received) records, the gateway's total was \(firstTotal)")
            }
            if withoutCursor > 0 {
                throw UnverifiedPass(dataset: dataset.name, reason: "\(withoutCursor) records have no usable \(inc.cursor) value, so a cursor walk cannot promise to see them")
            }
        }
    }

    private func walkByPage(_ p: PagePagination, baseParams: [(String, String)], start: Int?, state: DatasetState,
                            summary: inout DatasetSummary) throws {
        // Re-read the pass when the gateway's total says records were skipped (drift while paging).
        for _ in 0..<3 {
            var plan = PagePlan(from: start, firstPage: p.firstPage, size: p.size, byCursor: false)
            var passMax = state.passMax
            var firstTotal: Int?
            while true {
                var params = baseParams + pageParams(p, plan)
                if let inc = dataset.incremental, let start { params = filter(params, inc, start) }
                let page = try client.fetch(.path(dataset.request.path, params: params), request: dataset.request, totalPath: p.totalPath)
                if firstTotal == nil { firstTotal = page.total }
                if page.records.isEmpty { summary.requests += page.requests; break }
                if let cmax = try commit(page, pageNumber: plan.pageNumber, watermark: nil, sortedWalk: false, passMax: passMax, summary: &summary).maxCursor {
                    passMax = max(passMax ?? cmax, cmax)
                }
                if !plan.advance(count: page.records.count, total: page.total, maxCursor: nil) { break }
            }
            summary.pageCap = plan.cappedAt
            if let firstTotal, plan.readUnderBound < firstTotal { continue }
            if reconcile && firstTotal == nil {
                throw UnverifiedPass(dataset: dataset.name, reason: "page walks are only checked against the gateway's total, and it reports none (set request.pagination.total)")
            }
            try finishPass(state: state, passMax: passMax)
            return
        }
        throw GatewayError(source: dataset.source, path: dataset.request.path, code: nil,
                           message: "three passes each returned fewer records than the gateway's total; the watermark was not moved")
    }

    /// Cursor-token, next-url, link-header and single-request walks: follow what each page says
    /// comes next until an empty page or no next; a next that repeats is an error, not a loop.
    private func walkByLinks(baseParams: [(String, String)], start: Int?, state: DatasetState, summary: inout DatasetSummary) throws {
        var params = baseParams
        if let inc = dataset.incremental, let start { params = filter(params, inc, start) }
        if case .cursor(let c) = dataset.request.pagination, let sizeParam = c.sizeParam, let size = c.size {
            params.append((sizeParam, String(size)))
        }
        let first = PageTarget.path(dataset.request.path, params: params)
        var paginator = LinkPaginator(pagination: dataset.request.pagination, firstParams: params, path: dataset.request.path)
        var target = first
        var passMax = state.passMax
        var pages = 0
        let streams = dataset.request.format != .json
        while true {
            let page: FetchedPage
            if streams {
                // NDJSON and CSV are downloaded to a file and committed in bounded batches.
                var chunks = 0
                page = try client.fetchStreaming(target, request: dataset.request, batch: Self.commitChunk) { records in
                    var chunk = FetchedPage(records: records, total: nil, requests: 0, seconds: 0)
                    chunk.requests = chunks == 0 ? 1 : 0
                    chunks += 1
                    if let cmax = try commit(chunk, pageNumber: pages + 1, watermark: nil, sortedWalk: false, passMax: passMax, summary: &summary).maxCursor {
                        passMax = max(passMax ?? cmax, cmax)
                    }
                }
                pages += 1
                if page.streamedRecords == 0 { summary.requests += page.requests; break }
                summary.requests += page.requests - 1
            } else {
                page = try client.fetch(target, request: dataset.request, totalPath: nil)
                pages += 1
                if page.records.isEmpty { summary.requests += page.requests; break }
                // One response can hold a whole download (`none`): commit it in bounded
                // transactions so the warehouse side stays small whatever the size.
                for (index, start) in stride(from: 0, to: page.records.count, by: Self.commitChunk).enumerated() {
                    var chunk = page
                    chunk.records = Array(page.records[start..<min(page.records.count, start + Self.commitChunk)])
                    chunk.requests = index == 0 ? page.requests : 0
                    if let cmax = try commit(chunk, pageNumber: pages, watermark: nil, sortedWalk: false, passMax: passMax, summary: &summary).maxCursor {
                        passMax = max(passMax ?? cmax, cmax)
                    }
                }
            }
            do {
                guard let next = try paginator.next(after: page) else { break }
                target = next
            } catch let error as LinkPaginator.RepeatedLink {
                throw GatewayError(source: dataset.source, path: dataset.request.path, code: nil,
                                   message: "\(error) after \(pages) pages; stopped instead of looping (the pages read are kept, the watermark was not moved)")
            }
        }
        try finishPass(state: state, passMax: passMax)
    }

    /// After a complete pass: the watermark moves, or (full refresh, no cursor) keys not seen
    /// this pass are tombstoned (DESIGN §3).
    private func finishPass(state: DatasetState, passMax: Int?) throws {
        guard dataset.incremental != nil else {
            snapshotTombstones += try warehouse.tombstoneUnseen(dataset: dataset, runID: runID)
            return
        }
        if let passMax, passMax > (state.watermark ?? Int.min) {
            try warehouse.finishPass(dataset: dataset.name, watermark: (passMax, format(passMax)))
        } else {
            try warehouse.finishPass(dataset: dataset.name, watermark: nil)
        }
    }

    /// Maps and commits one page; returns the page's highest cursor and how many of its records
    /// had no usable cursor value.
    @discardableResult
    private func commit(_ page: FetchedPage, pageNumber: Int, watermark: Int?, sortedWalk: Bool, passMax: Int? = nil,
                        summary: inout DatasetSummary) throws -> (maxCursor: Int?, withoutCursor: Int) {
        let mapped = mapper.mapPage(page.records)
        let cmax = mapped.maxCursor
        var newWatermark: (epoch: Int, text: String)?
        if sortedWalk, let cmax, cmax > (watermark ?? Int.min) { newWatermark = (cmax, format(cmax)) }
        var newPassMax: Int?
        if !sortedWalk, let cmax { newPassMax = max(passMax ?? cmax, cmax) }
        let batch = PageBatch(runID: runID, dataset: dataset, rows: mapped.rows, rejects: mapped.rejects, unmappedFields: mapped.unmappedFields,
                              watermark: newWatermark, passMax: newPassMax, fetched: page.records.count, requests: page.requests,
                              markSeen: marksSeen)
        let counts = try warehouse.apply(batch)
        summary.add(counts, fetched: page.records.count, requests: page.requests)
        observer.pageCommitted(dataset.name, page: pageNumber, fetched: page.records.count, counts: counts, total: page.total)
        return (cmax, mapped.withoutCursor)
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
