import Foundation

/// Maps a province's catalogue column labels to the 2017 guide's fields. The guide's own label
/// and the field's English key always work; `Mappings/catalogue.yml` adds each province's
/// spellings (信息资源名称, 目录编码, 提供单位 …).
///
/// ```swift
/// let map = try CatalogueColumnMap.load(mappingsPath: "Mappings", displayPrefix: "Mappings")
/// map.field(for: "信息资源名称")   // .name
/// ```
public struct CatalogueColumnMap: Sendable {
    /// A field of a catalogue entry.
    public enum Field: String, Sendable, CaseIterable {
        case name, code, provider, providerCode = "provider_code", category, summary, items
        case shareType = "share_type", shareCondition = "share_condition", shareMethod = "share_method"
        case openAttribute = "open_attribute", updateCycle = "update_cycle", published, matters

        /// The guide's label.
        public var label: String {
            switch self {
            case .name: return "资源名称"
            case .code: return "资源代码"
            case .provider: return "提供方"
            case .providerCode: return "提供方代码"
            case .category: return "资源分类"
            case .summary: return "摘要"
            case .items: return "信息项"
            case .shareType: return "共享类型"
            case .shareCondition: return "共享条件"
            case .shareMethod: return "共享方式"
            case .openAttribute: return "开放属性"
            case .updateCycle: return "更新周期"
            case .published: return "发布日期"
            case .matters: return "关联事项编码"
            }
        }
    }

    /// Normalised label → field.
    public private(set) var labels: [String: Field] = [:]
    public var file: String?

    public init() {
        for field in Field.allCases {
            labels[Self.normalise(field.label)] = field
            labels[Self.normalise(field.rawValue)] = field
        }
    }

    /// Labels compare without spaces, `*` (required marks) and case.
    static func normalise(_ label: String) -> String {
        String(label.unicodeScalars.filter { !$0.properties.isWhitespace && $0 != "*" && $0 != "\u{FEFF}" }.map(Character.init)).lowercased()
    }

    public func field(for label: String) -> Field? { labels[Self.normalise(label)] }

    /// The built-in labels plus `Mappings/catalogue.yml` when the project has one.
    public static func load(mappingsPath: String, displayPrefix: String, environment: [String: String] = [:]) throws(ConfigError) -> CatalogueColumnMap {
        var map = CatalogueColumnMap()
        let path = mappingsPath + "/catalogue.yml"
        guard FileManager.default.fileExists(atPath: path) else { return map }
        let display = displayPrefix + "/catalogue.yml"
        map.file = display
        let interpolator = Interpolator(environment: environment)
        var root = try MappingReader(try YAMLDocument.load(path: path, displayName: display), what: display, interpolator: interpolator)
        if let node = root.node("columns") {
            guard case .mapping(let entries, _) = node else { throw ConfigError("'columns' must map fields to lists of labels", at: node.position) }
            for entry in entries {
                guard let field = Field(rawValue: entry.key) else {
                    let names = Field.allCases.map(\.rawValue)
                    throw ConfigError("unknown catalogue field '\(entry.key)'\(MappingReader.suggestion(entry.key, names)) (expected one of: \(names.joined(separator: ", ")))", at: entry.keyPosition)
                }
                guard case .sequence(let items, _) = entry.value else { throw ConfigError("'\(entry.key)' must be a list of column labels", at: entry.value.position) }
                for item in items { map.labels[normalise(try MappingReader.scalar(item, key: entry.key, interpolator: interpolator))] = field }
            }
        }
        try root.finish()
        return map
    }
}
