import Foundation

/// One dataset's entry in the vocabulary of the national catalogue guide (政务信息资源目录编制指南):
/// 资源名称, 资源代码, 提供方, 共享类型, 更新周期 and 信息项 with their data types.
///
/// ```swift
/// let entry = CatalogueEntry(dataset)   // entry.title == "企业营业执照信息"
/// ```
public struct CatalogueEntry: Sendable, Encodable, Equatable {
    /// An information item (信息项): its name and the guide's data type (字符型 C, 数值型 N …).
    public struct Item: Sendable, Encodable, Equatable {
        public var name: String
        public var dataType: String
        public var pii: Bool

        enum CodingKeys: String, CodingKey {
            case name = "信息项名称", dataType = "数据类型", pii = "个人信息"
        }
    }

    public var title: String          // 资源名称
    public var code: String           // 资源代码
    public var provider: String       // 提供方
    public var shareType: String      // 共享类型
    public var updateCycle: String    // 更新周期
    public var items: [Item]          // 信息项

    enum CodingKeys: String, CodingKey {
        case title = "资源名称", code = "资源代码", provider = "提供方", shareType = "共享类型", updateCycle = "更新周期", items = "信息项"
    }

    public init(_ d: DatasetConfig) {
        title = d.title
        code = d.name
        provider = d.provider ?? d.source
        shareType = d.shareType.chinese
        updateCycle = d.updateCycle.chinese
        items = d.fields.map { Item(name: $0.column, dataType: CatalogueEntry.dataType($0.type), pii: $0.pii) }
    }

    /// The guide's data type for a mapped field type (its list: 字符型C, 数值型N, 货币型Y, 日期型D,
    /// 日期时间型T, 逻辑型L, 备注型M, 通用型G, 双精度型B, 整型I, 浮点型F).
    public static func dataType(_ type: FieldType) -> String {
        switch type {
        case .text: return "字符型C"
        case .int: return "整型I"
        case .decimal: return "数值型N"
        case .date: return "日期型D"
        case .datetime: return "日期时间型T"
        case .bool: return "逻辑型L"
        // The guide's letters are FoxPro's: B is 双精度型 (double), not binary; JSON text is a memo.
        case .json: return "备注型M"
        }
    }
}
