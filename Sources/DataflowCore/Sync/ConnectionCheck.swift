import DataflowHTTP
import Foundation

/// `dataflow check`: signs in and fetches the first page of a dataset, maps a few records, and
/// says what the paginator would do next — nothing is written to the warehouse.
///
/// ```swift
/// let results = try ConnectionCheck(project: project).run(target: "province")   // a source or a dataset; nil = all
/// ```
public struct ConnectionCheck {
    /// What one dataset's check found.
    public struct Result: Sendable {
        public var dataset: String
        public var source: String
        public var ok: Bool
        public var error: String?
        /// The first page's URL without the authenticator's parameters (never a secret).
        public var url: String = ""
        public var auth: String = ""
        public var requests = 0
        public var seconds: Double = 0
        public var recordsOnPage = 0
        public var total: Int?
        /// Up to `sample` raw records, as JSON.
        public var raw: [String] = []
        /// The same records mapped: column → value, or the reasons they would be quarantined.
        public var mapped: [[(column: String, value: String?)]] = []
        public var rejected: [String] = []
        /// Records of the whole first page that would be quarantined (the sample's quarantine rate).
        public var quarantinedOnPage = 0
        public var next: String = ""

        /// Every text the gateway could have put here, through `redactor`.
        func redacted(by redactor: Redactor) -> Result {
            var r = self
            r.error = error.map(redactor.redact)
            r.url = redactor.redact(url)
            // Records are data: a field named `key` or `sign` keeps its value unless it is a known secret.
            r.raw = raw.map(redactor.redactingKnownValues)
            r.mapped = mapped.map { row in row.map { ($0.column, $0.value.map(redactor.redactingKnownValues)) } }
            r.rejected = rejected.map(redactor.redact)
            r.next = redactor.redact(next)
            return r
        }
    }

    public let project: ProjectConfig
    public var sample = 3
    public var revealPII = false
    /// Knows the project's secrets and learns the tokens obtained while checking.
    public let redactor: Redactor

    public init(project: ProjectConfig, sample: Int = 3, revealPII: Bool = false, redactor: Redactor? = nil) {
        self.project = project
        self.sample = sample
        self.revealPII = revealPII
        self.redactor = redactor ?? Redactor(project: project)
    }

    /// The datasets `target` names: a dataset, every dataset of a source, or all when nil.
    public func datasets(for target: String?) throws -> [DatasetConfig] {
        guard let target else { return project.datasets }
        if let d = project.dataset(named: target) { return [d] }
        if project.source(named: target) != nil {
            let ds = project.datasets.filter { $0.source == target }
            guard !ds.isEmpty else { throw ConfigError("source '\(target)' has no datasets to check", file: "dataflow.yml") }
            return ds
        }
        let names = project.datasets.map(\.name) + project.sources.map(\.name)
        throw ConfigError("'\(target)' is neither a source nor a dataset\(MappingReader.suggestion(target, names)) (sources: \(project.sources.map(\.name).joined(separator: ", ")); datasets: \(project.datasets.map(\.name).joined(separator: ", ")))", file: "dataflow.yml")
    }

    public func run(target: String?) throws -> [Result] {
        var clients: [String: SourceClient] = [:]
        return try datasets(for: target).map { dataset in
            var result = Result(dataset: dataset.name, source: dataset.source, ok: false)
            do {
                guard let source = project.source(named: dataset.source) else { throw ConfigError("unknown source '\(dataset.source)'", file: "dataflow.yml") }
                result.auth = source.auth.summary
                let client = try clients[source.name] ?? SourceClient(source: source, redactor: redactor, downloads: DownloadFolder(project: project))
                clients[source.name] = client
                try check(dataset, client: client, into: &result)
                result.ok = true
            } catch {
                result.error = String(describing: error)
            }
            return result.redacted(by: redactor)
        }
    }

    private func check(_ dataset: DatasetConfig, client: SourceClient, into result: inout Result) throws {
        let template = RequestTemplate(county: project.county)
        var params = dataset.request.params.map { ($0.0, template.fill($0.1)) }
        var totalPath: [String]?
        switch dataset.request.pagination {
        case .page(let p), .offset(let p):
            let isOffset: Bool = { if case .offset = dataset.request.pagination { return true } else { return false } }()
            params += [(p.pageParam, String(isOffset ? 0 : p.firstPage)), (p.sizeParam, String(p.size))]
            totalPath = p.totalPath
        case .cursor(let c):
            if let s = c.sizeParam, let n = c.size { params.append((s, String(n))) }
        default: break
        }
        let page = try client.fetch(.path(dataset.request.path, params: params), request: dataset.request, totalPath: totalPath)
        result.url = page.url
        result.requests = page.requests
        result.seconds = page.seconds
        result.recordsOnPage = page.records.count
        result.total = page.total
        let mapper = RecordMapper(dataset: dataset, dictionaries: project.dictionaries)
        let masking = PIIMasking(dataset: dataset)
        for record in page.records.prefix(sample) {
            result.raw.append(revealPII ? record.serialized() : masking.record(record).serialized())
            switch mapper.map(record) {
            case .row(let row):
                result.mapped.append(zip(dataset.fields, row.values).map { field, value in
                    (field.column, revealPII ? value.text : value.text.map { masking.value($0, column: field.column) })
                })
            case .rejected(let r):
                result.rejected.append(r.reasons.map { (revealPII ? $0 : masking.reason($0)).message }.joined(separator: "; "))
            }
        }
        for record in page.records {
            if case .rejected = mapper.map(record) { result.quarantinedOnPage += 1 }
        }
        result.next = ConnectionCheck.nextStep(dataset.request.pagination, page: page)
    }

    /// What the paginator would request after this first page.
    static func nextStep(_ pagination: PaginationConfig, page: FetchedPage) -> String {
        let n = page.records.count
        switch pagination {
        case .none:
            return "none: one request per sync (\(n) records)"
        case .page(let p), .offset(let p):
            let isOffset: Bool = { if case .offset = pagination { return true } else { return false } }()
            var plan = PagePlan(from: nil, firstPage: p.firstPage, size: p.size, byCursor: false)
            let more = plan.advance(count: n, total: page.total, maxCursor: nil)
            var text = more
                ? (isOffset ? "\(pagination.name): next \(p.pageParam)=\(plan.readUnderBound)" : "\(pagination.name): next \(p.pageParam)=\(plan.pageNumber)")
                : "\(pagination.name): done after this page"
            if let total = page.total { text += " (\(n) of \(total) read)" }
            if n > 0 && n < p.size && (page.total.map { n < $0 } ?? true) {
                text += "; asked for \(p.size), got \(n): the gateway may cap the page size — the walk goes on by \(page.total == nil ? "reading until an empty page" : "the total")"
            }
            return text
        case .cursor, .nextURL, .linkHeader:
            var paginator = LinkPaginator(pagination: pagination, firstParams: [], path: "")
            do {
                switch try paginator.next(after: page) {
                case .path(_, let params)?: return "\(pagination.name): next \(params.map { "\($0.name)=\($0.value)" }.last ?? "")"
                case .url(let url)?: return "\(pagination.name): next \(URLRedaction.maskingCredentials(url))"
                case nil: return "\(pagination.name): done after this page (no next \(pagination.name == "cursor" ? "token" : "link"))"
                }
            } catch {
                return "\(pagination.name): \(error) — a sync would stop with an error"
            }
        }
    }
}
