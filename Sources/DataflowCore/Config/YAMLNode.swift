import Foundation
import Yams

/// A YAML node with its position, detached from libyaml so it is `Sendable`.
public indirect enum YAMLNode: Sendable {
    case scalar(String, SourcePosition, plain: Bool)
    case mapping([YAMLEntry], SourcePosition)
    case sequence([YAMLNode], SourcePosition)

    public var position: SourcePosition {
        switch self {
        case .scalar(_, let p, _), .mapping(_, let p), .sequence(_, let p): return p
        }
    }

    /// A short name of the node's kind, for "expected …, found …" messages.
    public var kindName: String {
        switch self {
        case .scalar: return "a scalar"
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        }
    }

    /// True for `~`, `null` or an empty plain scalar.
    public var isNull: Bool {
        if case .scalar(let s, _, let plain) = self, plain, s.isEmpty || s == "~" || s == "null" || s == "Null" || s == "NULL" { return true }
        return false
    }
}

/// A key/value pair of a YAML mapping, with the key's position.
public struct YAMLEntry: Sendable {
    public var key: String
    public var keyPosition: SourcePosition
    public var value: YAMLNode
}

/// Parses YAML into `YAMLNode`s, keeping line and column of every node.
///
/// `${NAME}` references are protected before parsing (they are not valid plain scalars inside
/// flow mappings) without moving any column, and restored on the scalars afterwards.
public enum YAMLDocument {
    static let openMarker: Character = "\u{E000}"
    static let braceMarker: Character = "\u{E001}"
    static let closeMarker: Character = "\u{E002}"

    /// Parses `text` from `file`; an empty document is an empty mapping.
    public static func parse(_ text: String, file: String) throws(ConfigError) -> YAMLNode {
        // A file without `${` is parsed as it is, and nothing in it is taken for a marker: a
        // dictionary converted from GBK can hold the user-defined characters U+E000–U+E002.
        let marked = protectReferences(text)
        if marked != nil, text.unicodeScalars.contains(where: { (0xE000...0xE002).contains($0.value) }) {
            throw ConfigError("the file holds one of the private-use characters U+E000, U+E001, U+E002 and a ${…} reference; "
                              + "dataflow marks references with those characters while it reads the file: move the reference or the character "
                              + "to another file", file: file)
        }
        let protected = marked ?? text
        // Aliases are budgeted on libyaml's events first: composing a bomb would exhaust memory.
        try YAMLAliasBudget.check(protected, file: file)
        let root: Node?
        do {
            // `Resolver.basic`: every scalar is kept as text and typed by the loaders that read it
            // (`convert` keeps no tags), so Yams' default resolver, which compiles seven regular
            // expressions and runs them on every plain scalar, is work for nothing (a fifth of
            // loading a project). The encoding is named: Yams' default reads the environment on
            // every call and, when `YAMS_DEFAULT_ENCODING` is set, prints a line to standard
            // output, which would land in an export written there.
            root = try Yams.compose(yaml: protected, .basic, .default, .utf8)
        } catch let error as YamlError {
            throw describe(error, file: file, text: text)
        } catch {
            throw ConfigError("not valid YAML: \(error)", file: file)
        }
        guard let root else { return .mapping([], SourcePosition(file: file, line: 1, column: 1)) }
        return try convert(root, file: file, restoring: marked != nil)
    }

    /// Reads and parses a file.
    public static func load(path: String, displayName: String) throws(ConfigError) -> YAMLNode {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ConfigError("cannot read file", file: displayName)
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("file is not UTF-8 text", file: displayName)
        }
        return try parse(text, file: displayName)
    }

    /// `text` with every `${…}` marked (same columns), or nil when it holds none.
    static func protectReferences(_ text: String) -> String? {
        // Most files hold no reference: one pass over the bytes, and nothing to mark.
        var previous: UInt8 = 0, referenced = false
        for byte in text.utf8 {
            if previous == UInt8(ascii: "$"), byte == UInt8(ascii: "{") { referenced = true; break }
            previous = byte
        }
        guard referenced else { return nil }
        var marked = false
        var out = ""
        out.reserveCapacity(text.utf8.count)
        var chars = text[...]
        while let dollar = chars.firstIndex(of: "$") {
            out += chars[..<dollar]
            let afterDollar = chars.index(after: dollar)
            if afterDollar < chars.endIndex, chars[afterDollar] == "{",
               let close = chars[afterDollar...].firstIndex(of: "}"),
               !chars[afterDollar..<close].contains("\n") {
                marked = true
                out.append(openMarker)
                out.append(braceMarker)
                out += chars[chars.index(after: afterDollar)..<close]
                out.append(closeMarker)
                chars = chars[chars.index(after: close)...]
            } else {
                out.append("$")
                chars = chars[afterDollar...]
            }
        }
        out += chars
        return marked ? out : nil
    }

    /// Restores `${…}` in a scalar that went through `protectReferences`: only the marks it
    /// makes, U+E000 U+E001 … U+E002 in that order; any other of these characters (one written
    /// as an escape, `"\uE000"`, which the check in `parse` cannot see) is left as it is, unless
    /// escapes write exactly that order.
    static func restoreReferences(_ s: String) -> String {
        let open = openMarker.unicodeScalars.first!, brace = braceMarker.unicodeScalars.first!, close = closeMarker.unicodeScalars.first!
        guard s.unicodeScalars.contains(open) else { return s }
        let scalars = Array(s.unicodeScalars)
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            if scalars[i] == open, i + 1 < scalars.count, scalars[i + 1] == brace,
               let end = scalars[(i + 2)...].firstIndex(where: { $0 == close || $0 == open || $0 == brace }), scalars[end] == close {
                out.append(contentsOf: "${".unicodeScalars)
                out.append(contentsOf: scalars[(i + 2)..<end])
                out.append("}")
                i = end + 1
            } else {
                out.append(scalars[i])
                i += 1
            }
        }
        return String(out)
    }

    private static func position(_ mark: Mark?, file: String) -> SourcePosition {
        SourcePosition(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    private static func convert(_ node: Node, file: String, restoring: Bool) throws(ConfigError) -> YAMLNode {
        switch node {
        case .scalar(let scalar):
            return .scalar(restoring ? restoreReferences(scalar.string) : scalar.string, position(scalar.mark, file: file), plain: scalar.style == .plain)
        case .sequence(let sequence):
            var items: [YAMLNode] = []
            for item in sequence { items.append(try convert(item, file: file, restoring: restoring)) }
            return .sequence(items, position(sequence.mark, file: file))
        case .mapping(let mapping):
            var entries: [YAMLEntry] = []
            var seen: [String: SourcePosition] = [:]
            for (key, value) in mapping {
                let keyPosition = position(key.mark, file: file)
                guard case .scalar(let keyScalar) = key else {
                    throw ConfigError("mapping keys must be plain strings", at: keyPosition)
                }
                let name = restoring ? restoreReferences(keyScalar.string) : keyScalar.string
                if let first = seen[name] {
                    throw ConfigError("duplicate key '\(name)' (first at line \(first.line))", at: keyPosition)
                }
                seen[name] = keyPosition
                entries.append(YAMLEntry(key: name, keyPosition: keyPosition, value: try convert(value, file: file, restoring: restoring)))
            }
            return .mapping(entries, position(mapping.mark, file: file))
        case .alias(let alias):
            throw ConfigError("YAML aliases are not supported here", at: position(alias.mark, file: file))
        }
    }

    private static func describe(_ error: YamlError, file: String, text: String) -> ConfigError {
        switch error {
        case .scanner(let context, let problem, let mark, _), .parser(let context, let problem, let mark, _),
             .composer(let context, let problem, let mark, _):
            let detail = context.map { "\(problem) \($0.text)" } ?? problem
            return ConfigError("not valid YAML: \(detail)", at: SourcePosition(file: file, line: mark.line, column: mark.column))
        case .duplicatedKeysInMapping(let duplicates, let context):
            // Yams points at the mapping; point at the second occurrence of the first duplicate.
            let name = duplicates.first ?? ""
            var found: [SourcePosition] = []
            for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isLineBreak).enumerated() where i + 1 >= context.mark.line {
                let indent = line.prefix { $0 == " " }.count
                let rest = line.dropFirst(indent)
                if rest.hasPrefix(name + ":") || rest.hasPrefix("\"" + name + "\":") || rest.hasPrefix("'" + name + "':") {
                    found.append(SourcePosition(file: file, line: i + 1, column: indent + 1))
                }
            }
            if found.count >= 2 {
                return ConfigError("duplicate key '\(name)' (first at line \(found[0].line)); each key, column or field may appear once", at: found[1])
            }
            return ConfigError("duplicate keys \(duplicates.joined(separator: ", ")) in this mapping",
                               at: SourcePosition(file: file, line: context.mark.line, column: context.mark.column))
        default:
            return ConfigError("not valid YAML: \(error)", file: file)
        }
    }
}
