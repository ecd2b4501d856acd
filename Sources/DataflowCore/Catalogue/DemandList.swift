/// The county's 需求清单: the catalogue resources it asks the province for — each with its provider,
/// share type and condition, the uncovered matters and functions it would cover, and why — and,
/// apart, the 不予共享 resources that would cover gaps but are not requested.
///
/// ```swift
/// let demand = DemandList.build(gaps: report.gaps, finder: finder)
/// demand.requested.first?.reason   // "covers 3 uncovered matters (000105001000 企业设立登记, …)"
/// ```
public struct DemandList: Sendable, Encodable {
    /// One resource on the list.
    public struct Item: Sendable, Encodable {
        public var resourceCode: String
        public var resource: String
        public var provider: String
        public var shareType: String
        public var shareCondition: String
        public var shareMethod: String
        /// Uncovered matters it would cover: "code name".
        public var matters: [String]
        /// Functions (职能) those matters serve: "code name".
        public var functions: [String]
        public var reason: String

        enum CodingKeys: String, CodingKey {
            case resourceCode = "resource_code", resource, provider, shareType = "share_type", shareCondition = "share_condition"
            case shareMethod = "share_method", matters, functions, reason
        }
    }

    public var requested: [Item]
    /// 不予共享: listed so the county knows, never requested.
    public var notShared: [Item]

    enum CodingKeys: String, CodingKey { case requested, notShared = "not_shared" }

    /// Resources that would cover gaps, not yet configured as datasets, most matters first.
    public static func build(gaps: [CoverageReport.Gap], finder: GapSources) -> DemandList {
        var byResource: [String: (CatalogueResource, [Matter], Set<String>)] = [:]
        let resources = Dictionary(finder.resources.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        for gap in gaps {
            guard let matter = finder.dictionaries.matters.first(where: { $0.code == gap.code }) else { continue }
            for source in gap.sources ?? finder.sources(for: matter) where source.configured.isEmpty {
                guard let r = resources[source.resourceCode] else { continue }
                var entry = byResource[r.code] ?? (r, [], [])
                entry.1.append(matter)
                entry.2.insert(source.match)
                byResource[r.code] = entry
            }
        }
        let functions = Dictionary(finder.dictionaries.functions.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
        let items = byResource.values.sorted { $0.1.count != $1.1.count ? $0.1.count > $1.1.count : $0.0.code < $1.0.code }.map { r, matters, matches in
            let functionCodes = Array(Set(matters.flatMap(\.functions))).sorted()
            let by = matches.contains("matter code") ? "the catalogue lists these matters for it" : "its provider is the matters' department"
            return Item(resourceCode: r.code, resource: r.name, provider: r.provider, shareType: r.shareType.chinese,
                        shareCondition: r.shareCondition, shareMethod: r.shareMethod,
                        matters: matters.map { "\($0.code) \($0.name)" },
                        functions: functionCodes.map { code in functions[code].map { "\(code) \($0.name)" } ?? code },
                        reason: "covers \(matters.count) uncovered matter\(matters.count == 1 ? "" : "s") of \(Set(matters.map(\.department)).sorted().joined(separator: ", ")); \(by)")
        }
        return DemandList(requested: items.filter { $0.shareType != ShareType.none.chinese },
                          notShared: items.filter { $0.shareType == ShareType.none.chinese })
    }

    /// The CSV table (`catalog --format csv --csv-table demand`), requested rows first.
    public var csvRows: [[String]] {
        let header = ["status", "资源代码", "资源名称", "提供方", "共享类型", "共享条件", "共享方式", "事项", "职能", "申请理由"]
        func row(_ i: Item, _ status: String) -> [String] {
            [status, i.resourceCode, i.resource, i.provider, i.shareType, i.shareCondition, i.shareMethod,
             i.matters.joined(separator: "；"), i.functions.joined(separator: "；"), i.reason]
        }
        return [header] + requested.map { row($0, "申请 request") } + notShared.map { row($0, "不予共享 not requested") }
    }
}
