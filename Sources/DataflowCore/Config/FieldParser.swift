import Foundation

/// Parses one entry of a dataset's `fields:` into a `FieldConfig`, checking every name it refers
/// to (types, checks, transforms, code tables) with file:line:column and a did-you-mean.
struct FieldParser {
    let interpolator: Interpolator
    let codes: CodeTables
    /// The dataset's `null_if`, used when the field gives none.
    let datasetNullIf: [String]
    /// Whether the dataset wrote its `null_if` (rather than taking the default list).
    var datasetNullIfExplicit = false

    func parse(_ entry: YAMLEntry) throws(ConfigError) -> FieldConfig {
        let column = entry.key
        if let problem = Identifier.problem(column, what: "column name") {
            throw ConfigError(problem, at: entry.keyPosition)
        }
        var f = try MappingReader(entry.value, what: "field '\(column)'", interpolator: interpolator)
        let from = try f.requiredString("from")
        let typeText = try f.string("type") ?? "text"
        guard let type = FieldType(rawValue: typeText) else {
            let options = FieldType.allCases.map(\.rawValue)
            throw ConfigError("unknown type '\(typeText)'\(MappingReader.suggestion(typeText, options)) (expected one of: \(options.joined(separator: ", ")))", at: f.keyPosition("type"))
        }
        var format: DatePattern?
        if let text = try f.string("format") {
            guard type == .date || type == .datetime else {
                throw ConfigError("'format' applies to date and datetime fields only", at: f.keyPosition("format"))
            }
            do { format = try DatePattern(text) } catch { throw ConfigError(error.message, at: f.keyPosition("format")) }
        }
        let required = try f.bool("required") ?? false
        let checks = try parseChecks(f.node("check"), type: type)
        let transforms = try parseTransforms(f.node("transform"))
        let pii = try parsePII(&f, checks: checks)
        let ownNullIf = try f.stringList("null_if")
        let nullIf = ownNullIf ?? datasetNullIf
        let defaultValue = try f.string("default")
        var lookup: CodeLookup?
        if let node = f.node("codes") {
            lookup = try parseCodes(node)
        }
        let legacyText = try f.choice("legacy_id", LegacyIDPolicy.allCases.map(\.rawValue))
        if legacyText != nil, !checks.contains(.named(.citizenID)) {
            throw ConfigError("'legacy_id' applies to fields with check: citizen-id", at: f.keyPosition("legacy_id"))
        }
        try f.finish()
        var field = FieldConfig(column: column, from: from, type: type, format: format, required: required, checks: checks,
                                transforms: transforms, piiKind: pii, position: entry.keyPosition)
        field.nullIf = nullIf
        field.nullIfExplicit = ownNullIf != nil || datasetNullIfExplicit
        field.defaultValue = defaultValue
        field.codes = lookup
        field.legacyID = legacyText.flatMap(LegacyIDPolicy.init(rawValue:)) ?? .reject
        return field
    }

    /// The kind of personal data a field's checks imply: `citizen-id` or `phone`, else nil.
    static func piiKind(impliedBy checks: [FieldCheck]) -> PIIKind? {
        checks.contains(.named(.citizenID)) ? .citizenID : checks.contains(.named(.phone)) ? .phone : nil
    }

    /// `pii: KIND`, or `pii: true` with the kind taken from the check (citizen-id, phone) or
    /// generic. A `check: citizen-id` or `check: phone` field is personal data even without
    /// `pii:`; `pii: false` says explicitly that it is not (a company's switchboard number).
    private func parsePII(_ f: inout MappingReader, checks: [FieldCheck]) throws(ConfigError) -> PIIKind? {
        let checked = Self.piiKind(impliedBy: checks)
        let position = f.node("pii")?.position
        guard let text = try f.string("pii") else { return checked }
        switch try PIIDeclaration.parse(text, at: position) {
        case .personal: return checked ?? .generic
        case .notPersonal: return nil
        case .kind(let kind):
            if let checked, checked != kind {
                throw ConfigError("pii: \(kind.rawValue) contradicts check: \(checked.rawValue) (write pii: \(checked.rawValue) or pii: true)", at: position)
            }
            return kind
        }
    }

    private func parseCodes(_ node: YAMLNode) throws(ConfigError) -> CodeLookup {
        let table: String
        var unknown = UnknownCodePolicy.reject
        var tablePosition = node.position
        switch node {
        case .scalar:
            table = try MappingReader.scalar(node, key: "codes", interpolator: interpolator)
        case .mapping:
            var m = try MappingReader(node, what: "'codes'", interpolator: interpolator)
            table = try m.requiredString("table")
            tablePosition = m.keyPosition("table") ?? node.position
            let valuePosition = m.node("unknown")?.position
            if let u = try m.string("unknown") {
                guard let policy = UnknownCodePolicy(rawValue: u) else {
                    let options = UnknownCodePolicy.allCases.map(\.rawValue)
                    throw ConfigError("unknown code policy '\(u)'\(MappingReader.suggestion(u, options)) (expected one of: \(options.joined(separator: ", ")))", at: valuePosition)
                }
                unknown = policy
            }
            try m.finish()
        case .sequence:
            throw ConfigError("'codes' must be a table name or { table: NAME, unknown: keep|null|reject }", at: node.position)
        }
        guard codes[table] != nil else {
            let names = codes.names
            throw ConfigError("unknown code table '\(table)'\(MappingReader.suggestion(table, names)) (tables in Mappings/codes: \(names.isEmpty ? "none" : names.joined(separator: ", ")))", at: tablePosition)
        }
        return CodeLookup(table: table, unknown: unknown)
    }

    private func items(_ node: YAMLNode?) -> [YAMLNode] {
        switch node {
        case nil: return []
        case .sequence(let items, _)?: return items
        case let single?: return [single]
        }
    }

    private func parseTransforms(_ node: YAMLNode?) throws(ConfigError) -> [Transform] {
        var out: [Transform] = []
        for item in items(node) {
            if case .mapping(let entries, _) = item {
                guard entries.count == 1, let entry = entries.first, entry.key == "replace" else {
                    let key = entries.first?.key ?? ""
                    throw ConfigError("unknown transform '\(key)'\(MappingReader.suggestion(key, Transform.names)) (a transform with options is { replace: { pattern: REGEX, with: TEXT } })", at: entries.first?.keyPosition ?? item.position)
                }
                var r = try MappingReader(entry.value, what: "'replace'", interpolator: interpolator)
                let pattern = try r.requiredString("pattern")
                let with = try r.string("with") ?? ""
                try r.finish()
                try FieldParser.compile(pattern, at: r.keyPosition("pattern"))
                out.append(.replace(pattern: pattern, with: with))
                continue
            }
            let text = try MappingReader.scalar(item, key: "transform", interpolator: interpolator)
            switch text {
            case "trim": out.append(.trim)
            case "collapse": out.append(.collapse)
            case "half-width": out.append(.halfWidth)
            case "upper": out.append(.upper)
            case "lower": out.append(.lower)
            case "replace":
                throw ConfigError("'replace' needs options: { replace: { pattern: REGEX, with: TEXT } }", at: item.position)
            default:
                throw ConfigError("unknown transform '\(text)'\(MappingReader.suggestion(text, Transform.names)) (expected one of: \(Transform.names.joined(separator: ", ")))", at: item.position)
            }
        }
        return out
    }

    static let checkNames = CheckKind.allCases.map(\.rawValue) + ["regex", "range", "enum", "date_range"]

    private func parseChecks(_ node: YAMLNode?, type: FieldType) throws(ConfigError) -> [FieldCheck] {
        var out: [FieldCheck] = []
        for item in items(node) {
            if case .mapping(let entries, _) = item {
                guard entries.count == 1, let entry = entries.first else {
                    throw ConfigError("a check with options has one key, e.g. { regex: '^YW[0-9]{12}$' }", at: item.position)
                }
                out.append(try parameterised(entry, type: type))
                continue
            }
            let text = try MappingReader.scalar(item, key: "check", interpolator: interpolator)
            guard let kind = CheckKind(rawValue: text) else {
                if ["regex", "range", "enum", "date_range"].contains(text) {
                    throw ConfigError("check '\(text)' needs options, e.g. { \(text): … }", at: item.position)
                }
                throw ConfigError("unknown check '\(text)'\(MappingReader.suggestion(text, FieldParser.checkNames)) (expected one of: \(FieldParser.checkNames.joined(separator: ", ")))", at: item.position)
            }
            out.append(.named(kind))
        }
        return out
    }

    private func parameterised(_ entry: YAMLEntry, type: FieldType) throws(ConfigError) -> FieldCheck {
        let at = entry.keyPosition
        switch entry.key {
        case "regex":
            let pattern = try MappingReader.scalar(entry.value, key: "regex", interpolator: interpolator)
            try FieldParser.compile(pattern, at: entry.value.position)
            return .regex(pattern)
        case "enum":
            guard case .sequence(let items, _) = entry.value, !items.isEmpty else {
                throw ConfigError("'enum' must be a non-empty list of values", at: entry.value.position)
            }
            var values: [String] = []
            for item in items { values.append(try MappingReader.scalar(item, key: "enum", interpolator: interpolator)) }
            return .oneOf(values)
        case "range":
            guard type == .int || type == .decimal else {
                throw ConfigError("'range' applies to int and decimal fields (use date_range for dates)", at: at)
            }
            let (low, high) = try bounds(entry, what: "range") { DecimalText.canonical($0) != nil }
            return .range(min: low.flatMap(DecimalText.canonical), max: high.flatMap(DecimalText.canonical))
        case "date_range":
            guard type == .date || type == .datetime else {
                throw ConfigError("'date_range' applies to date and datetime fields", at: at)
            }
            let (low, high) = try bounds(entry, what: "date_range") { $0 == "today" || DateDefaults.date.parse($0) != nil }
            return .dateRange(from: low, to: high)
        default:
            throw ConfigError("unknown check '\(entry.key)'\(MappingReader.suggestion(entry.key, FieldParser.checkNames)) (expected one of: \(FieldParser.checkNames.joined(separator: ", ")))", at: at)
        }
    }

    /// `[low, high]` where either may be `~` (open).
    private func bounds(_ entry: YAMLEntry, what: String, valid: (String) -> Bool) throws(ConfigError) -> (String?, String?) {
        let example = what == "range" ? "[0, 1000000]" : "[1949-10-01, today]"
        guard case .sequence(let items, _) = entry.value, items.count == 2 else {
            throw ConfigError("'\(what)' must be a list of two bounds like \(example) (~ for open)", at: entry.value.position)
        }
        var out: [String?] = []
        for item in items {
            if item.isNull { out.append(nil); continue }
            let text = try MappingReader.scalar(item, key: what, interpolator: interpolator)
            guard valid(text) else {
                throw ConfigError("'\(what)' bound '\(text)' is not \(what == "range" ? "a decimal number" : "a yyyy-MM-dd date or today")", at: item.position)
            }
            out.append(text)
        }
        if out[0] == nil && out[1] == nil { throw ConfigError("'\(what)' needs at least one bound", at: entry.value.position) }
        return (out[0], out[1])
    }

    /// Compiles a pattern once at load time so a bad one is a config error, not a runtime reject.
    static func compile(_ pattern: String, at position: SourcePosition?) throws(ConfigError) {
        do { _ = try NSRegularExpression(pattern: pattern) } catch {
            throw ConfigError("invalid regular expression '\(pattern)'", at: position)
        }
    }
}
