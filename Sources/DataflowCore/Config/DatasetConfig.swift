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
    /// Reject records whose matter code does not resolve (default: keep them and count the code).
    public var strict: Bool = false
    /// How often an incremental dataset is reconciled: a full pass that tombstones keys gone upstream.
    public var reconcile: ReconcileSchedule? = nil
    /// The mass-delete guard's limit for this dataset (nil: the source's, else 10 % of the live rows).
    public var maxTombstones: TombstoneLimit? = nil
    public var file: String
    public var position: SourcePosition
    /// What to read when the source is an exchange database (`type: sql`); `request` is then unused.
    public var exchange: ExchangeQueryConfig? = nil
    /// 资源代码 of the provincial catalogue resource this dataset returns (`resource_code:`), which
    /// ties it to an imported catalogue entry.
    public var resourceCode: String? = nil
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

/// `reconcile:` — how often a full key-set pass runs for an incremental dataset (docs/sync.md, deletes).
public enum ReconcileSchedule: String, Sendable, CaseIterable {
    case daily, weekly, monthly

    /// Seconds after the last reconciliation when the next one is due (a little under the period,
    /// so a nightly cron job does not drift past it).
    public var interval: Double {
        switch self {
        case .daily: return 20 * 3600
        case .weekly: return 6.5 * 86400
        case .monthly: return 29 * 86400
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
    /// Seconds re-read behind the watermark, always within ``lookbackRange`` (a value set
    /// outside it is clamped), so subtracting it from a watermark in whole seconds never traps.
    public var lookback: Double {
        didSet { if !Self.lookbackRange.contains(lookback) { lookback = Self.lookbackRange.clamp(lookback) } }
    }
    /// The gateway returns records in cursor order.
    public var sorted: Bool

    /// `lookback:` 0s…366d. A change older than a year is a reconcile's job (`reconcile:`), not
    /// the nightly incremental walk's.
    public static let lookbackRange = DurationRange(0...366 * 86400)

    public init(cursor: String, param: String, template: String? = nil, format: DatePattern, timezone: ZoneSpec,
                lookback: Double, sorted: Bool) {
        self.cursor = cursor
        self.param = param
        self.template = template
        self.format = format
        self.timezone = timezone
        self.lookback = Self.lookbackRange.clamp(lookback)
        self.sorted = sorted
    }
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
    case text, int, decimal, date, datetime, bool, json
}

/// Named domain checks (GB standards and common formats).
public enum CheckKind: String, Sendable, CaseIterable {
    case citizenID = "citizen-id"
    case uscc
    case division
    case sex
    case phone
}

/// A validity check on a converted value: a named domain check or a parameterised rule.
public enum FieldCheck: Sendable, Equatable {
    case named(CheckKind)
    /// The whole value must match the pattern (ICU syntax, anchored).
    case regex(String)
    /// Numeric bounds, inclusive, compared exactly as decimals; nil = open.
    case range(min: String?, max: String?)
    /// One of a fixed list of values.
    case oneOf([String])
    /// ISO dates (`yyyy-MM-dd`), inclusive; `today` as the upper bound means the sync's day.
    case dateRange(from: String?, to: String?)

    /// The rule name stored in reject reasons.
    public var rule: String {
        switch self {
        case .named(let kind): return kind.rawValue
        case .regex: return "regex"
        case .range: return "range"
        case .oneOf: return "enum"
        case .dateRange: return "date_range"
        }
    }
}

/// What a 15-digit legacy citizen ID becomes under `check: citizen-id`.
public enum LegacyIDPolicy: String, Sendable, CaseIterable {
    /// Insert the century `19` and compute the check character (GB 11643-1999 §6).
    case upgrade
    /// Quarantine the record.
    case reject
}

/// Value transforms applied in order before type conversion.
public enum Transform: Sendable, Equatable {
    case trim
    /// Runs of whitespace become one ASCII space, and the ends are trimmed.
    case collapse
    /// Full-width ASCII forms (U+FF01–U+FF5E) and the ideographic space (U+3000) to ASCII.
    case halfWidth
    case upper
    case lower
    /// Every match of `pattern` (ICU regular expression) replaced by `with` (`$1` refers to groups).
    case replace(pattern: String, with: String)

    /// The names accepted in `transform:` lists.
    public static let names = ["trim", "collapse", "half-width", "upper", "lower", "replace"]
}

/// What happens to a value that is not in a field's code table.
public enum UnknownCodePolicy: String, Sendable, CaseIterable {
    /// Store the source value unchanged.
    case keep
    /// Store null.
    case null
    /// Quarantine the record (the default: nothing is changed silently).
    case reject
}

/// A code-table lookup on a field: `codes: sex` or `codes: { table: sex, unknown: keep }`.
public struct CodeLookup: Sendable, Equatable {
    public var table: String
    public var unknown: UnknownCodePolicy
}

/// The values that mean "no value" when `null_if` is not given.
public enum NullDefaults {
    public static let values = ["", "N/A", "-", "无", "null"]
}

/// One mapped column.
public struct FieldConfig: Sendable {
    public var column: String
    public var from: String
    public var type: FieldType
    public var format: DatePattern?
    public var required: Bool
    public var checks: [FieldCheck]
    public var transforms: [Transform]
    /// The kind of personal data the field holds (nil: not personal data); exports, `rejects`
    /// and `check` mask it by this kind unless `--reveal-pii`.
    public var piiKind: PIIKind?
    public var position: SourcePosition
    /// Source values (after transforms, whitespace-trimmed) stored as null.
    public var nullIf: [String] = NullDefaults.values
    /// Whether `null_if` was written for this field or its dataset (not the default list).
    public var nullIfExplicit = false
    /// Used when the value is missing or null.
    public var defaultValue: String?
    public var codes: CodeLookup?
    public var legacyID: LegacyIDPolicy = .reject

    /// True when the field holds personal data.
    public var pii: Bool { piiKind != nil }
}
