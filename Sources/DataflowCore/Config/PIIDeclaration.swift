/// What a `pii:` value says — in a dataset's field and in a glossary term alike, so both accept
/// the same words and answer a typo the same way.
///
/// ```swift
/// try PIIDeclaration.parse("name", at: position)   // .kind(.name)
/// try PIIDeclaration.parse("yes", at: position)    // .personal (the kind comes from the check, else generic)
/// try PIIDeclaration.parse("nmae", at: position)   // ConfigError: unknown pii kind 'nmae' (did you mean 'name'?) …
/// ```
enum PIIDeclaration: Equatable {
    /// `false` (`no`, `off`): not personal data.
    case notPersonal
    /// `true` (`yes`, `on`): personal data, kind left to the caller.
    case personal
    /// A kind by name: `citizen-id`, `phone`, `name`, `address`, `email`, `generic`.
    case kind(PIIKind)

    /// The words `pii:` accepts, for did-you-mean.
    static let names = ["true", "false"] + PIIKind.allCases.map(\.rawValue)

    static func parse(_ text: String, at position: SourcePosition?) throws(ConfigError) -> PIIDeclaration {
        switch text.lowercased() {
        case "true", "yes", "on": return .personal
        case "false", "no", "off": return .notPersonal
        default:
            guard let kind = PIIKind(rawValue: text) else {
                throw ConfigError("unknown pii kind '\(text)'\(MappingReader.suggestion(text, names)) (expected true, false or one of: \(PIIKind.allCases.map(\.rawValue).joined(separator: ", ")))", at: position)
            }
            return .kind(kind)
        }
    }
}
