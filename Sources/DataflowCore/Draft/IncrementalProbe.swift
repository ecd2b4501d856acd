/// Finds the request parameter that filters a dataset by its cursor — something no sample can
/// show — by asking the gateway: each candidate is sent with a cursor value from the middle of
/// the sample, and the first whose answer differs from the unfiltered first page and holds only
/// records at or after that value is taken.
///
/// ```swift
/// let found = try IncrementalProbe(client: client, dataset: ds).find(cursor: "UPDATE_TIME", format: f, sample: sample)
/// found?.value.param   // "startTime"
/// ```
public struct IncrementalProbe {
    /// A parameter, and for filter-expression gateways the template around the value.
    public struct Filter: Sendable, Equatable {
        public var param: String
        public var template: String?
    }

    /// Plain parameters gateways use for "changed since", most common first.
    static let plainParameters = ["startTime", "updateTime", "updatedSince", "beginTime", "start_time", "since", "lastUpdateTime", "modifiedSince"]

    public let client: SourceClient
    public let dataset: DatasetConfig

    public init(client: SourceClient, dataset: DatasetConfig) {
        self.client = client
        self.dataset = dataset
    }

    /// Candidates in the order they are tried; filter expressions for the open-data styles.
    static func candidates(cursor: String) -> [Filter] {
        plainParameters.map { Filter(param: $0, template: nil) } + [
            Filter(param: "$where", template: "\(cursor) >= '{value}'"),
            Filter(param: "$where", template: ":updated_at >= '{value}'"),
            Filter(param: "where", template: "\(cursor) >= '{value}'"),
            Filter(param: "$filter", template: "\(cursor) ge '{value}'"),
        ]
    }

    public func find(cursor: String, format: DatePattern, sample: DraftSampler.Sample) -> Inference<Filter>? {
        let times = sample.records.compactMap { record -> (Int, String)? in
            guard let text = record[cursor]?.text, let t = format.parse(text) else { return nil }
            return (t.secondsAsUTC, text)
        }.sorted { $0.0 < $1.0 }
        guard times.count >= 2, let low = times.first?.0, let middle = times.dropFirst(times.count / 2).first, middle.0 > low else { return nil }
        let firstKeys = sample.firstPage.map { $0.serialized() }
        for filter in Self.candidates(cursor: cursor) {
            let value = filter.template.map { $0.replacingOccurrences(of: "{value}", with: middle.1) } ?? middle.1
            let params = sample.firstParams.filter { $0.0 != filter.param } + [(filter.param, value)]
            guard let page = try? client.fetch(.path(dataset.request.path, params: params), request: dataset.request, totalPath: nil) else { continue }
            let answered = page.records.compactMap { $0[cursor]?.text.flatMap(format.parse)?.secondsAsUTC }
            guard !page.records.isEmpty, answered.count == page.records.count, answered.allSatisfy({ $0 >= middle.0 }) else { continue }
            guard page.records.map({ $0.serialized() }) != firstKeys else { continue }
            let shown = filter.template == nil ? "\(filter.param)=\(middle.1)" : "\(filter.param)=\(value)"
            return Inference(filter, "the gateway filters on it: \(shown) answered \(Count.text(page.records.count)) records on its first page, all at or after it")
        }
        return nil
    }
}
