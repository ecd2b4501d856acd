/// A catalogue resource that could carry an uncovered matter, and why it was chosen.
public struct GapSource: Sendable, Encodable, Equatable {
    public var resourceCode: String
    public var resource: String
    public var provider: String
    public var shareType: String
    /// `matter code` (the resource lists the matter or one of its aliases) or `department`
    /// (the provider is the matter's department at another level).
    public var match: String
    /// Datasets already configured for this resource (by `resource_code:` or title).
    public var configured: [String]

    enum CodingKeys: String, CodingKey {
        case resourceCode = "resource_code", resource, provider, shareType = "share_type", match, configured
    }
}

/// Finds, for each uncovered matter, the catalogue resources that could carry it: by matter
/// codes and aliases first (the resource's 关联事项编码 resolve to the matter), then by the
/// matter's department against the resource's provider (省市场监管局 ~ 市场监管局, 省公安厅 ~ 公安局).
///
/// ```swift
/// let finder = GapSources(resources: try CatalogueStore(db: reader).resources(), dictionaries: d, datasets: project.datasets)
/// finder.sources(for: matter)   // [GapSource(resourceCode: "330000-GA-0001", match: "matter code", …)]
/// ```
public struct GapSources: Sendable {
    public let resources: [CatalogueResource]
    public let dictionaries: Dictionaries
    public let datasets: [DatasetConfig]

    public init(resources: [CatalogueResource], dictionaries: Dictionaries, datasets: [DatasetConfig]) {
        self.resources = resources
        self.dictionaries = dictionaries
        self.datasets = datasets
    }

    /// A department's stem: the level (省/市/县/区) and the kind of office (局/厅/委/办/中心) dropped.
    static func stem(_ name: String) -> String {
        var s = Substring(name.trimmingWhitespace)
        for prefix in ["浙江省", "省", "市", "县", "区"] where s.hasPrefix(prefix) { s = s.dropFirst(prefix.count); break }
        for suffix in ["管理局", "局", "厅", "委员会", "委", "办公室", "办", "中心"] where s.hasSuffix(suffix) { s = s.dropLast(suffix.count); break }
        return String(s)
    }

    /// The matter codes a resource lists, resolved to national codes.
    func matters(of r: CatalogueResource) -> Set<String> {
        Set(r.matters.compactMap { dictionaries.resolve($0)?.code })
    }

    /// Datasets that return resource `r`.
    public func configured(_ r: CatalogueResource) -> [String] {
        datasets.filter { $0.resourceCode == r.code || ($0.resourceCode == nil && $0.title == r.name) }.map(\.name)
    }

    public func sources(for matter: Matter) -> [GapSource] {
        func source(_ r: CatalogueResource, _ match: String) -> GapSource {
            GapSource(resourceCode: r.code, resource: r.name, provider: r.provider, shareType: r.shareType.chinese, match: match, configured: configured(r))
        }
        let byMatter = resources.filter { matters(of: $0).contains(matter.code) }
        if !byMatter.isEmpty { return byMatter.map { source($0, "matter code") } }
        let department = Self.stem(matter.department)
        guard !department.isEmpty else { return [] }
        return resources.filter { r in
            // A resource that lists its matters and not this one does not carry it.
            matters(of: r).isEmpty && !r.provider.isEmpty && Self.stem(r.provider) == department
        }.map { source($0, "department") }
    }
}
