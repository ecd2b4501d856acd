/// One dataset: where it comes from and how its records map to warehouse rows.
public struct DatasetConfig: Sendable {
    /// Also the warehouse table name.
    public var name: String
    public var title: String
    public var source: String
    public var provider: String?
    public var updateCycle: UpdateCycle
    public var shareType: ShareType
    public var request: RequestConfig
    public var incremental: IncrementalConfig?
    public var key: [String]
    public var deleted: DeletedRule?
    public var matters: MatterRule?
    public var fields: [FieldConfig]
    public var file: String
    public var position: SourcePosition

    /// The fields that make up the key, in key order.
    public var keyFields: [FieldConfig] { key.compactMap { k in fields.first { $0.column == k } } }
}

/// 更新周期 — how often the provider refreshes the data; drives freshness.
public enum UpdateCycle: String, Sendable, CaseIterable {
    case realtime, daily, weekly, monthly, quarterly, yearly

    /// How long after the last successful sync the dataset still counts as fresh.
    public var freshnessWindow: Double {
        switch self {
        case .realtime: return 2 * 3600
        case .daily: return 36 * 3600
        case .weekly: return 8 * 86400
        case .monthly: return 32 * 86400
        case .quarterly: return 93 * 86400
        case .yearly: return 367 * 86400
        }
    }

    /// The catalogue guide's word for it.
    public var chinese: String {
        switch self {
        case .realtime: return "实时"
        case .daily: return "每日"
        case .weekly: return "每周"
        case .monthly: return "每月"
        case .quarterly: return "每季度"
        case .yearly: return "每年"
        }
    }
}

/// 共享类型.
public enum ShareType: String, Sendable, CaseIterable {
    case unconditional, conditional, none

    public var chinese: String {
        switch self {
        case .unconditional: return "无条件共享"
        case .conditional: return "有条件共享"
        case .none: return "不予共享"
        }
    }
}

/// The request of a dataset.
public struct RequestConfig: Sendable {
    public var path: String
    public var params: [(String, String)]
    /// Dotted path to the record list in the response body.
    public var records: [String]
    public var pagination: PaginationConfig
    /// How the body is written.
    public var format: RecordFormat = .json
    /// Declared text encoding of CSV bodies; nil = detect.
    public var encoding: TextDecoding.Encoding?
    /// Each record's members are taken from this member (ArcGIS `attributes`), others kept.
    public var flatten: String?
}

/// The body format of a dataset's responses.
public enum RecordFormat: String, Sendable, CaseIterable {
    case json, ndjson, csv
}

/// How pages are walked.
public enum PaginationConfig: Sendable {
    case none
    case page(PagePagination)
    /// Offset + limit; `pageParam` is the offset parameter and `sizeParam` the limit.
    case offset(PagePagination)
    case cursor(CursorPagination)
    case nextURL(path: [String])
    case linkHeader

    /// The configured type's name.
    public var name: String {
        switch self {
        case .none: return "none"
        case .page: return "page"
        case .offset: return "offset"
        case .cursor: return "cursor"
        case .nextURL: return "next-url"
        case .linkHeader: return "link-header"
        }
    }
}

/// Cursor (continuation token) paging: the token comes from a body path or a header and is sent
/// back as `param`.
public struct CursorPagination: Sendable {
    public var param: String
    public var tokenPath: [String]?
    public var tokenHeader: String?
    public var sizeParam: String?
    public var size: Int?
}

/// Page-number paging.
public struct PagePagination: Sendable {
    public var pageParam: String = "pageNum"
    public var sizeParam: String = "pageSize"
    public var size: Int = 500
    public var firstPage: Int = 1
    public var totalPath: [String]?
}

/// Incremental (change-data) sync on a cursor field.
public struct IncrementalConfig: Sendable {
    /// The source field holding the change time.
    public var cursor: String
    /// The request parameter that filters `cursor >= value`.
    public var param: String
    /// The parameter's value with `{value}` for the formatted cursor, for gateways that take a
    /// filter expression (`:updated_at >= '{value}'`); nil = the value itself.
    public var template: String? = nil
    public var format: DatePattern
    public var timezone: ZoneSpec
    public var lookback: Double
    /// The gateway returns records in cursor order.
    public var sorted: Bool
}

/// A soft-delete flag on the source record.
public struct DeletedRule: Sendable {
    public var field: String
    public var equals: [String]
}

/// Where a record's matter (事项) comes from.
public enum MatterRule: Sendable {
    case field(String)
    case fixed([String])
}

/// Column types in the warehouse.
public enum FieldType: String, Sendable, CaseIterable {
    case text, int, decimal, date, datetime, bool
}

/// Domain checks.
public enum CheckKind: String, Sendable, CaseIterable {
    case citizenID = "citizen-id"
    case uscc
}

/// Value transforms applied before type conversion.
public enum Transform: String, Sendable, CaseIterable {
    case trim, upper, lower
}

/// One mapped column.
public struct FieldConfig: Sendable {
    public var column: String
    public var from: String
    public var type: FieldType
    public var format: DatePattern?
    public var required: Bool
    public var checks: [CheckKind]
    public var transforms: [Transform]
    public var pii: Bool
    public var position: SourcePosition
}
