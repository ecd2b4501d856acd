import Foundation

/// Readable column names for the abbreviations Chinese gateways use (TYSHXYDM → uscc, XM → name)
/// and for Chinese headers (统一社会信用代码 → uscc), loaded from `Mappings/glossary.yml` so a county
/// can extend it.
///
/// ```swift
/// let glossary = try Glossary.load(mappingsPath: "Mappings", displayPrefix: "Mappings")
/// glossary.term(for: "tyshxydm")?.column   // "uscc"
/// ```
public struct Glossary: Sendable {
    /// One entry: the column name and whether the field is personal data.
    public struct Term: Sendable, Equatable {
        public var column: String
        public var pii: Bool
        /// How to mask it (`pii: name` in the glossary); nil with `pii: true` = by its check, else generic.
        public var kind: PIIKind?

        public init(column: String, pii: Bool, kind: PIIKind? = nil) {
            self.column = column
            self.pii = pii || kind != nil
            self.kind = kind
        }
    }

    /// Keys upper-cased (ASCII), Chinese as written.
    public private(set) var terms: [String: Term]
    /// The file it came from, for evidence comments; nil when the project has none.
    public var file: String?

    public init(terms: [String: Term] = [:], file: String? = nil) {
        self.terms = [:]
        for (key, term) in terms { self.terms[key.uppercased()] = term }
        self.file = file
    }

    public func term(for sourceName: String) -> Term? { terms[sourceName.uppercased()] }

    /// `Mappings/glossary.yml`, or an empty glossary when the file does not exist.
    public static func load(mappingsPath: String, displayPrefix: String, environment: [String: String] = [:]) throws(ConfigError) -> Glossary {
        let path = mappingsPath + "/glossary.yml"
        guard FileManager.default.fileExists(atPath: path) else { return Glossary() }
        let display = displayPrefix + "/glossary.yml"
        let interpolator = Interpolator(environment: environment)
        var root = try MappingReader(try YAMLDocument.load(path: path, displayName: display), what: display, interpolator: interpolator)
        var glossary = Glossary(file: display)
        if let node = root.node("terms") {
            guard case .mapping(let entries, _) = node else { throw ConfigError("'terms' must map source names to column names", at: node.position) }
            for entry in entries {
                let term: Term
                switch entry.value {
                case .scalar:
                    term = Term(column: try MappingReader.scalar(entry.value, key: entry.key, interpolator: interpolator), pii: false)
                default:
                    var m = try MappingReader(entry.value, what: "glossary term '\(entry.key)'", interpolator: interpolator)
                    let column = try m.requiredString("column")
                    let position = m.node("pii")?.position ?? entry.value.position
                    switch try PIIDeclaration.parse(m.string("pii") ?? "false", at: position) {
                    case .personal: term = Term(column: column, pii: true)
                    case .notPersonal: term = Term(column: column, pii: false)
                    case .kind(let kind): term = Term(column: column, pii: true, kind: kind)
                    }
                    try m.finish()
                }
                if let problem = Identifier.problem(term.column, what: "column name") {
                    throw ConfigError(problem, at: entry.value.position)
                }
                glossary.terms[entry.key.uppercased()] = term
            }
        }
        try root.finish()
        return glossary
    }

    /// A column name for `sourceName`: the glossary's, else its safe lower-case ASCII form.
    public func columnName(for sourceName: String) -> Inference<String> {
        if let term = term(for: sourceName) {
            return Inference(term.column, "\(sourceName) → \(term.column) (\(file ?? "glossary"))")
        }
        var name = ""
        var previousUnderscore = false
        for scalar in sourceName.lowercased().unicodeScalars {
            let ok = ("a"..."z").contains(scalar) || ("0"..."9").contains(scalar)
            if ok { name.unicodeScalars.append(scalar); previousUnderscore = false }
            else if !previousUnderscore, !name.isEmpty { name.append("_"); previousUnderscore = true }
        }
        while name.hasSuffix("_") { name.removeLast() }
        if name.isEmpty {
            return Inference("field", "\(sourceName) is not in the glossary and has no ASCII letters: name the column (and add it to Mappings/glossary.yml)", .uncertain)
        }
        if let first = name.unicodeScalars.first, !("a"..."z").contains(first) { name = "f_" + name }
        if Identifier.reservedWords.contains(name) { name += "_value" }
        if name.count > 63 { name = String(name.prefix(63)) }
        return Inference(name, "\(sourceName) is not in the glossary: lower-cased")
    }
}
