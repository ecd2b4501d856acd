import Foundation

/// Fetches a dataset's sample for `dataflow draft` through the same client, page plan and link
/// paginator a sync uses — so every auth style, envelope, paginator and format drafts as it syncs.
/// Nothing is written anywhere.
///
/// ```swift
/// let sample = try DraftSampler(project: project, dataset: ds).fetch(maxRecords: 2000, maxPages: 3)
/// sample.records.count   // ≤ 2000
/// ```
public struct DraftSampler {
    /// What the sampler read.
    public struct Sample: Sendable {
        public var records: [JSONValue] = []
        public var pages = 0
        public var requests = 0
        /// The first request's parameters (pagination included), for the incremental probe.
        public var firstParams: [(String, String)] = []
        /// The first page's records, to compare a filtered answer against.
        public var firstPage: [JSONValue] = []
        /// The gateway's total on the first page, when it gives one.
        public var total: Int?
    }

    public let project: ProjectConfig
    public let dataset: DatasetConfig
    public let client: SourceClient

    public init(project: ProjectConfig, dataset: DatasetConfig, client: SourceClient) {
        self.project = project
        self.dataset = dataset
        self.client = client
    }

    /// The request parameters of the first page (the dataset's own, then paging).
    public func firstParams() -> [(String, String)] {
        let template = RequestTemplate(county: project.county)
        var params = dataset.request.params.map { ($0.0, template.fill($0.1)) }
        switch dataset.request.pagination {
        case .page(let p): params += [(p.pageParam, String(p.firstPage)), (p.sizeParam, String(p.size))]
        case .offset(let p): params += [(p.pageParam, "0"), (p.sizeParam, String(p.size))]
        case .cursor(let c): if let s = c.sizeParam, let n = c.size { params.append((s, String(n))) }
        default: break
        }
        return params
    }

    /// Reads pages until `maxRecords` records or `maxPages` pages (nil = no page limit).
    public func fetch(maxRecords: Int, maxPages: Int?) throws -> Sample {
        var sample = Sample()
        let request = dataset.request
        let base = RequestTemplate(county: project.county)
        let baseParams = request.params.map { ($0.0, base.fill($0.1)) }
        sample.firstParams = firstParams()
        func enough() -> Bool { sample.records.count >= maxRecords || maxPages.map { sample.pages >= $0 } ?? false }
        func take(_ page: FetchedPage) {
            if sample.pages == 0 { sample.firstPage = page.records; sample.total = page.total }
            sample.pages += 1
            sample.requests += page.requests
            sample.records += page.records.prefix(maxRecords - sample.records.count)
        }
        switch request.pagination {
        case .page(let p), .offset(let p):
            let isOffset: Bool = { if case .offset = request.pagination { return true } else { return false } }()
            var plan = PagePlan(from: nil, firstPage: p.firstPage, size: p.size, byCursor: false)
            while true {
                let params = baseParams + [(p.pageParam, String(isOffset ? plan.readUnderBound : plan.pageNumber)), (p.sizeParam, String(p.size))]
                let page = try client.fetch(.path(request.path, params: params), request: request, totalPath: p.totalPath)
                take(page)
                if enough() || !plan.advance(count: page.records.count, total: page.total, maxCursor: nil) { break }
            }
        case .none, .cursor, .nextURL, .linkHeader:
            var paginator = LinkPaginator(pagination: request.pagination, firstParams: sample.firstParams, path: request.path)
            var target: PageTarget? = .path(request.path, params: sample.firstParams)
            while let current = target {
                let page = try client.fetch(current, request: request, totalPath: nil)
                take(page)
                if enough() || page.records.isEmpty { break }
                target = try paginator.next(after: page)
            }
        }
        return sample
    }
}
