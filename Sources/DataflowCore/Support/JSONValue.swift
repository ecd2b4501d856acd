/// A parsed JSON value. Numbers keep their literal text so decimals stay exact
/// (no binary floating point ever touches a gateway's money values).
public enum JSONValue: Sendable, Equatable {
    case null
    case bool(Bool)
    case number(String)
    case string(String)
    case array([JSONValue])
    case object(JSONObject)

    /// The value as text the way a gateway meant it: strings as-is, numbers as their literal.
    public var text: String? {
        switch self {
        case .string(let s): return s
        case .number(let n): return n
        case .bool(let b): return b ? "true" : "false"
        case .null, .array, .object: return nil
        }
    }

    /// True for `null`.
    public var isNull: Bool { if case .null = self { return true } else { return false } }

    /// Member of an object, or nil.
    public subscript(key: String) -> JSONValue? {
        if case .object(let o) = self { return o[key] }
        return nil
    }

    /// Follows a dotted path. A JSON *string* met on the way that holds an object or array is
    /// decoded and followed into (some gateways wrap their payload as a string).
    public func value(at path: [String]) -> JSONValue? {
        var current = self
        for component in path {
            if case .string(let s) = current, let decoded = try? JSONParser.parse(Array(s.utf8)) {
                current = decoded
            }
            guard let next = current[component] else { return nil }
            current = next
        }
        if case .string(let s) = current, let first = s.utf8.first(where: { $0 != 0x20 }),
           first == UInt8(ascii: "[") || first == UInt8(ascii: "{"),
           let decoded = try? JSONParser.parse(Array(s.utf8)) {
            return decoded
        }
        return current
    }
}

/// A JSON object that keeps its members in source order (records are small; lookup is linear).
public struct JSONObject: Sendable, Equatable {
    /// Members in the order the source sent them.
    public var members: [(key: String, value: JSONValue)]
    /// Member names the source sent more than once (set by `JSONParser`, and for a CSV header or
    /// an exchange query's columns by their builders; empty as a rule).
    public var duplicateKeys: [String] = []
    /// Set by the builder that knows it (`JSONParser`, `CSVReader`) when no two names are equal,
    /// even canonically: only then may `value(forKey:hint:)` trust a name found at its hint.
    public var namesAreUnique = false

    public init(_ members: [(key: String, value: JSONValue)] = []) { self.members = members }

    /// The names that appear more than once in `names` (equal as Swift compares them, so also
    /// canonically), each once, in order of their second appearance.
    public static func repeatedNames(_ names: [String]) -> [String] {
        var seen: Set<String> = [], repeated: [String] = []
        for name in names where !seen.insert(name).inserted && !repeated.contains(name) { repeated.append(name) }
        return repeated
    }

    public subscript(key: String) -> JSONValue? {
        for member in members where member.key == key { return member.value }
        return nil
    }

    /// `self[key]`, looking first at position `hint` and leaving there where the key was found:
    /// the records of a page name their members in the same order, so a mapper that keeps one
    /// hint per field compares one name instead of searching. Unless the builder vouched that no
    /// two names are equal (`namesAreUnique`), the search starts at the first member, so the
    /// first of repeated names wins as with the subscript.
    public func value(forKey key: String, hint: inout Int) -> JSONValue? {
        if namesAreUnique, hint < members.count, members[hint].key == key { return members[hint].value }
        for (i, member) in members.enumerated() where member.key == key { hint = i; return member.value }
        return nil
    }

    public static func == (lhs: JSONObject, rhs: JSONObject) -> Bool {
        lhs.members.count == rhs.members.count
            && zip(lhs.members, rhs.members).allSatisfy { $0.key == $1.key && $0.value == $1.value }
    }
}

extension JSONValue {
    /// Serializes compactly (members in order), for storing a rejected record whole.
    public func serialized() -> String {
        var out = ""
        write(to: &out)
        return out
    }

    func write(to out: inout String) {
        switch self {
        case .null: out += "null"
        case .bool(let b): out += b ? "true" : "false"
        case .number(let n): out += n
        case .string(let s): JSONValue.writeString(s, to: &out)
        case .array(let items):
            out += "["
            for (i, item) in items.enumerated() {
                if i > 0 { out += "," }
                item.write(to: &out)
            }
            out += "]"
        case .object(let o):
            out += "{"
            for (i, member) in o.members.enumerated() {
                if i > 0 { out += "," }
                JSONValue.writeString(member.key, to: &out)
                out += ":"
                member.value.write(to: &out)
            }
            out += "}"
        }
    }

    /// Writes `s` as a JSON string literal.
    public static func writeString(_ s: String, to out: inout String) {
        out += "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if scalar.value < 0x20 {
                    let hex = String(scalar.value, radix: 16)
                    out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        out += "\""
    }

    /// A JSON string literal for `s`.
    public static func quoted(_ s: String) -> String {
        var out = ""
        writeString(s, to: &out)
        return out
    }
}
