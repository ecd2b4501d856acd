/// One resource of the provincial resource catalogue (资源目录), in the 2017 catalogue guide's
/// terms, as a county imports it.
///
/// ```swift
/// let r = CatalogueResource(code: "330000-SCJG-001", name: "企业营业执照信息")
/// r.shareType   // .conditional by default
/// ```
public struct CatalogueResource: Sendable, Equatable {
    /// An information item (信息项): its name and, when given, its data type.
    public struct Item: Sendable, Equatable {
        public var name: String
        public var type: String?
        public init(name: String, type: String? = nil) {
            self.name = name
            self.type = type
        }
    }

    public var code: String                 // 资源代码
    public var name: String                 // 资源名称
    public var provider: String = ""        // 提供方
    public var providerCode: String = ""    // 提供方代码
    public var category: String = ""        // 资源分类
    public var summary: String = ""         // 摘要
    public var items: [Item] = []           // 信息项
    public var shareType: ShareType = .conditional   // 共享类型
    public var shareCondition: String = ""  // 共享条件
    public var shareMethod: String = ""     // 共享方式
    public var openAttribute: String = ""   // 开放属性
    public var updateCycle: String = ""     // 更新周期
    public var published: String = ""       // 发布日期
    public var matters: [String] = []       // 关联事项编码
    /// Columns the column map does not know, kept as they came (label → value).
    public var extra: [(String, String)] = []

    public init(code: String, name: String) {
        self.code = code
        self.name = name
    }

    public static func == (a: CatalogueResource, b: CatalogueResource) -> Bool {
        a.differences(from: b).isEmpty
    }

    /// The guide's labels of the fields that differ, with old → new values.
    public func differences(from old: CatalogueResource) -> [String] {
        var out: [String] = []
        func compare(_ label: String, _ a: String, _ b: String) { if a != b { out.append("\(label) \(b.isEmpty ? "—" : b) → \(a.isEmpty ? "—" : a)") } }
        compare("资源名称", name, old.name)
        compare("提供方", provider, old.provider)
        compare("提供方代码", providerCode, old.providerCode)
        compare("资源分类", category, old.category)
        compare("摘要", summary, old.summary)
        compare("信息项", items.map(\.name).joined(separator: "；"), old.items.map(\.name).joined(separator: "；"))
        compare("共享类型", shareType.chinese, old.shareType.chinese)
        compare("共享条件", shareCondition, old.shareCondition)
        compare("共享方式", shareMethod, old.shareMethod)
        compare("开放属性", openAttribute, old.openAttribute)
        compare("更新周期", updateCycle, old.updateCycle)
        compare("发布日期", published, old.published)
        compare("关联事项编码", matters.joined(separator: ";"), old.matters.joined(separator: ";"))
        if items.map(\.type) != old.items.map(\.type) && items.map(\.name) == old.items.map(\.name) { out.append("信息项 types") }
        if extra.map({ "\($0.0)=\($0.1)" }) != old.extra.map({ "\($0.0)=\($0.1)" }) { out.append("other columns") }
        return out
    }

    /// The share type from the catalogue's words (无条件共享 / 有条件共享 / 不予共享, or short forms).
    public static func shareType(_ text: String) -> ShareType? {
        let t = text.trimmingWhitespace.lowercased()
        switch t {
        case "无条件共享", "无条件", "unconditional", "1": return .unconditional
        case "有条件共享", "有条件", "conditional", "2": return .conditional
        case "不予共享", "不予", "不共享", "none", "3": return ShareType.none
        default: return nil
        }
    }
}
