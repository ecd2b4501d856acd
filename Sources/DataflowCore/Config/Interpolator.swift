/// Resolves `${NAME}` and `${NAME:-default}` from the environment in configuration values.
/// References with a dot (`${county.code}`, `${cursor}` is not one) are request templates and are
/// left for the request builder.
public struct Interpolator: Sendable {
    public var environment: [String: String]

    public init(environment: [String: String]) { self.environment = environment }

    /// Resolves environment references in `text`; an unset variable without a default is an error.
    public func resolve(_ text: String, at position: SourcePosition) throws(ConfigError) -> String {
        guard text.contains("${") else { return text }
        var out = ""
        var rest = text[...]
        while let start = rest.range(of: "${") {
            out += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                throw ConfigError("unclosed '${' in value", at: position)
            }
            let inner = String(rest[start.upperBound..<end])
            let (name, fallback) = Interpolator.split(inner)
            // A reference ends at its first `}`: a default holding another reference would be cut
            // there and its rest left in the value (`${A:-${B}}` gave A's value and a stray `}`).
            if let fallback, fallback.contains("${") {
                throw ConfigError("'${\(inner)}}': a default cannot hold another ${…} reference (a reference ends at its first '}'); "
                                  + "set \(name) in the environment, or write the default out", at: position)
            }
            if Interpolator.isTemplateName(name) {
                out += "${\(inner)}"
            } else {
                guard Interpolator.isEnvironmentName(name) else {
                    throw ConfigError("'${\(inner)}' is not a valid reference (expected ${ENV_NAME}, ${ENV_NAME:-default} or ${county.code})", at: position)
                }
                if let value = environment[name], !value.isEmpty {
                    out += value
                } else if let fallback {
                    out += fallback
                } else {
                    throw ConfigError("environment variable \(name) is \(environment[name] == nil ? "not set" : "empty") (referenced as ${\(name)})", at: position)
                }
            }
            rest = rest[rest.index(after: end)...]
        }
        out += rest
        return out
    }

    static func split(_ inner: String) -> (String, String?) {
        if let r = inner.range(of: ":-") { return (String(inner[..<r.lowerBound]), String(inner[r.upperBound...])) }
        return (inner, nil)
    }

    static func isTemplateName(_ name: String) -> Bool { name.contains(".") }

    static func isEnvironmentName(_ name: String) -> Bool {
        let scalars = Array(name.unicodeScalars)
        guard let first = scalars.first, first == "_" || ("A"..."Z").contains(first) || ("a"..."z").contains(first) else { return false }
        return scalars.allSatisfy { $0 == "_" || ("A"..."Z").contains($0) || ("a"..."z").contains($0) || ("0"..."9").contains($0) }
    }
}
