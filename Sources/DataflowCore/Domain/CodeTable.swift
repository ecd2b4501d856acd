/// One code table from `Mappings/codes/NAME.yml` or `NAME.tsv`: source value → canonical value.
///
/// ```yaml
/// # Mappings/codes/sex.yml
/// title: GB/T 2261.1-2003 人的性别代码
/// codes: { "0": 未知的性别, "1": 男性, "2": 女性, "5": 女性改(变)为男性, "6": 男性改(变)为女性, "9": 未说明的性别 }
/// ```
public struct CodeTable: Sendable {
    public var name: String
    public var title: String?
    /// Source value → value to store.
    public var entries: [String: String]
    public var file: String

    public init(name: String, title: String? = nil, entries: [String: String], file: String) {
        self.name = name
        self.title = title
        self.entries = entries
        self.file = file
    }

    public func lookup(_ code: String) -> String? { entries[code] }
}

/// Every code table of a project, by name.
public struct CodeTables: Sendable {
    public var tables: [String: CodeTable]

    /// The table holding GB/T 2260 division codes (historical and current), used by
    /// `check: division` and the citizen-ID prefix check.
    public static let divisionTableName = "gbt2260"

    public init(_ tables: [CodeTable] = []) {
        var byName: [String: CodeTable] = [:]
        for t in tables { byName[t.name] = t }
        self.tables = byName
    }

    public subscript(name: String) -> CodeTable? { tables[name] }

    public var names: [String] { tables.keys.sorted() }

    /// The division snapshot, if the project ships one.
    public var divisions: CodeTable? { tables[CodeTables.divisionTableName] }
}
