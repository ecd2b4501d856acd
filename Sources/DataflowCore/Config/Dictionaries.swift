/// The 10+1 matter types (事项类型).
public enum MatterType: String, Sendable, CaseIterable {
    case licensing = "行政许可"
    case penalty = "行政处罚"
    case enforcement = "行政强制"
    case levy = "行政征收"
    case benefit = "行政给付"
    case inspection = "行政检查"
    case confirmation = "行政确认"
    case reward = "行政奖励"
    case ruling = "行政裁决"
    case otherPower = "其他行政权力"
    case publicService = "公共服务"
}

/// A government service matter (事项) of the county's catalogue.
public struct Matter: Sendable, Equatable {
    /// National basic code (基本编码).
    public var code: String
    public var name: String
    public var type: MatterType
    public var department: String
    public var functions: [String]
    /// Provincial, municipal and implementation codes (实施编码) that mean this matter.
    public var aliases: [String]
}

/// A department function (职能) from the 三定方案.
public struct DepartmentFunction: Sendable, Equatable {
    public var code: String
    public var department: String
    public var name: String
}

/// The matter-to-function dictionaries, with an index from every code and alias to its matter.
public struct Dictionaries: Sendable {
    public var matters: [Matter]
    public var functions: [DepartmentFunction]
    /// A digest of both files' contents: the version loaded into the warehouse.
    public var version: String
    private var index: [String: Int]

    public init(matters: [Matter], functions: [DepartmentFunction], version: String) {
        self.matters = matters
        self.functions = functions
        self.version = version
        var index: [String: Int] = [:]
        for (i, m) in matters.enumerated() {
            index[m.code] = i
            for alias in m.aliases { index[alias] = i }
        }
        self.index = index
    }

    /// The matter a national code or alias names, if any.
    public func resolve(_ code: String) -> Matter? {
        index[code].map { matters[$0] }
    }
}
