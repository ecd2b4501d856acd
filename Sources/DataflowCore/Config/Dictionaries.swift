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
    /// Code tables from `Mappings/codes/`.
    public var codes: CodeTables
    private var index: [String: Int]
    /// The 13-character tail of every 31-character implementation code → the matters using it.
    private var tails: [String: Set<Int>]

    public init(matters: [Matter], functions: [DepartmentFunction], version: String, codes: CodeTables = CodeTables()) {
        self.matters = matters
        self.functions = functions
        self.version = version
        self.codes = codes
        var index: [String: Int] = [:]
        var tails: [String: Set<Int>] = [:]
        for (i, m) in matters.enumerated() {
            index[m.code] = i
            for alias in m.aliases {
                index[alias] = i
                if alias.count == Dictionaries.implementationCodeLength { tails[String(alias.suffix(13)), default: []].insert(i) }
            }
        }
        self.index = index
        self.tails = tails
    }

    /// 实施编码: the implementing body's 18-character credit code + 13 characters.
    public static let implementationCodeLength = 31

    /// The matter a national code or alias names, if any.
    ///
    /// An exact code or alias wins. A 31-character implementation code that is not listed
    /// resolves by its 13-character tail only when exactly one matter has a listed
    /// implementation code with that tail (the same matter carried out by another body);
    /// an ambiguous or unknown tail stays unresolved.
    public func resolve(_ code: String) -> Matter? {
        matterIndex(code).map { matters[$0] }
    }

    /// `resolve(code)?.code`, without copying the matter out (the mapper asks once per record).
    func resolvedCode(_ code: String) -> String? {
        matterIndex(code).map { matters[$0].code }
    }

    private func matterIndex(_ code: String) -> Int? {
        if let i = index[code] { return i }
        guard code.count == Dictionaries.implementationCodeLength,
              let candidates = tails[String(code.suffix(13))], candidates.count == 1, let i = candidates.first else { return nil }
        return i
    }
}
