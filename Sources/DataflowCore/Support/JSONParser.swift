import Foundation

/// A strict RFC 8259 JSON parser over bytes that keeps number literals as text.
///
/// An object that names a member twice keeps both, in order (lookups find the first), and lists
/// the repeated names in `JSONObject.duplicateKeys`, so a caller can refuse to guess. Finding them
/// costs no allocation and almost no work per member: a 64-bit mask of name fingerprints (first
/// two bytes, last byte, length) skips the search for almost every name, and only a fingerprint seen
/// before compares the name against the earlier ones.
///
/// ```swift
/// let value = try JSONParser.parse(Array(#"{"a": 1.50}"#.utf8))
/// value["a"]  // .number("1.50")
/// ```
public struct JSONParser {
    /// Where and why a body is not JSON.
    public struct SyntaxError: Error, Sendable, CustomStringConvertible {
        public var offset: Int
        public var message: String
        public var description: String { "invalid JSON at byte \(offset): \(message)" }
    }

    private let bytes: [UInt8]
    private var index = 0
    private var depth = 0
    /// Members of the last object parsed: the records of a page share a shape, so each object's
    /// member list is allocated once at that size instead of grown four or five times.
    private var lastObjectSize = 0
    /// The member names of the objects parsed so far, by position, with their bytes as written
    /// (nil for a name written with escapes): a page's records share their names, so a name whose
    /// bytes equal those of the name last seen at its position is that same `String`, and is
    /// neither scanned nor decoded again (`knownName`).
    private var recentNames: [(bytes: [UInt8], name: String)?] = []

    private init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// Parses one JSON document (surrounding whitespace and a UTF-8 BOM allowed).
    public static func parse(_ bytes: [UInt8]) throws(SyntaxError) -> JSONValue {
        var parser = JSONParser(bytes)
        if bytes.count >= 3, bytes[0] == 0xEF, bytes[1] == 0xBB, bytes[2] == 0xBF { parser.index = 3 }
        parser.skipWhitespace()
        let value = try parser.parseValue()
        parser.skipWhitespace()
        if parser.index != bytes.count { throw parser.error("unexpected trailing data") }
        return value
    }

    /// Parses newline-delimited JSON: one document per non-empty line.
    public static func parseLines(_ bytes: [UInt8]) throws(SyntaxError) -> [JSONValue] {
        var values: [JSONValue] = []
        var start = 0
        var lineStart = 0
        while start <= bytes.count {
            let end = bytes[start...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
            let line = Array(bytes[start..<end])
            if line.contains(where: { $0 != 0x20 && $0 != 0x0D && $0 != 0x09 }) {
                do { values.append(try parse(line)) } catch {
                    throw SyntaxError(offset: lineStart + error.offset, message: error.message)
                }
            }
            start = end + 1
            lineStart = start
        }
        return values
    }

    private func error(_ message: String) -> SyntaxError { SyntaxError(offset: index, message: message) }

    private mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    private mutating func parseValue() throws(SyntaxError) -> JSONValue {
        guard index < bytes.count else { throw error("unexpected end of input") }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try parseObject()
        case UInt8(ascii: "["): return try parseArray()
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try parseNumber())
        default:
            // A byte from 0x80 starts a character of several bytes: named by its value, not as the
            // Latin-1 letter it would be on its own (a body starting with 中 said 'ä').
            let b = bytes[index]
            throw error(b < 0x80 ? "unexpected character '\(Character(Unicode.Scalar(b)))'" : "unexpected byte 0x\(String(b, radix: 16, uppercase: true))")
        }
    }

    private mutating func expectLiteral(_ literal: String) throws(SyntaxError) {
        let expected = Array(literal.utf8)
        guard index + expected.count <= bytes.count else { throw error("unexpected end of input") }
        for (offset, b) in expected.enumerated() where bytes[index + offset] != b { throw error("invalid literal") }
        index += expected.count
    }

    private mutating func parseObject() throws(SyntaxError) -> JSONValue {
        depth += 1
        guard depth < 512 else { throw error("nesting too deep") }
        defer { depth -= 1 }
        index += 1
        var members: [(key: String, value: JSONValue)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") { index += 1; return .object(JSONObject(members)) }
        members.reserveCapacity(lastObjectSize)
        // Duplicate names: a 64-bit mask of (first two bytes, last byte, length) fingerprints; only a
        // fingerprint seen before sends the name to compare against the earlier ones.
        var seen: UInt64 = 0
        var escapedName = false
        // Names that are not all ASCII may be canonically equal in other bytes (é and e + U+0301,
        // K and the Kelvin sign), which the byte fingerprints cannot see.
        var asciiNames = true
        var duplicates: [String] = []
        while true {
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else { throw error("expected a member name") }
            let nameStart = index + 1
            let position = members.count
            let key: String
            if position < recentNames.count, let recent = recentNames[position], let known = knownName(recent) {
                key = known
            } else {
                key = try parseString()
                // Raw bytes as long as the text's UTF-8: written without escapes (each escape is
                // longer than what it stands for), so those bytes are exactly this name.
                let entry = index - 1 - nameStart == key.utf8.count ? (bytes: Array(bytes[nameStart..<(index - 1)]), name: key) : nil
                if position < recentNames.count { recentNames[position] = entry } else if position == recentNames.count { recentNames.append(entry) }
            }
            let length = index - 1 - nameStart
            if length != key.utf8.count { escapedName = true }
            if asciiNames { for i in nameStart..<(index - 1) where bytes[i] >= 0x80 { asciiNames = false; break } }
            let fingerprint = length < 2 ? UInt64(length) : (UInt64(bytes[nameStart]) << 24 | UInt64(bytes[nameStart + 1]) << 16 | UInt64(bytes[index - 2]) << 8 | UInt64(length)) &* 0x9E37_79B9_7F4A_7C15
            let bit: UInt64 = 1 << (fingerprint >> 58)
            if seen & bit != 0 { JSONParser.noteIfRepeated(key, in: members, into: &duplicates) }
            seen |= bit
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw error("expected ':'") }
            index += 1
            skipWhitespace()
            let value = try parseValue()
            members.append((key, value))
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in object") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "}") {
                index += 1
                lastObjectSize = members.count
                var object = JSONObject(members)
                // A name written with escapes has other bytes than its text: compare all (rare).
                if escapedName { duplicates = JSONParser.repeatedNames(members) }
                if !duplicates.isEmpty { object.duplicateKeys = duplicates }
                object.namesAreUnique = duplicates.isEmpty && asciiNames
                return .object(object)
            }
            throw error("expected ',' or '}'")
        }
    }

    private mutating func parseArray() throws(SyntaxError) -> JSONValue {
        depth += 1
        guard depth < 512 else { throw error("nesting too deep") }
        defer { depth -= 1 }
        index += 1
        var items: [JSONValue] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
        while true {
            skipWhitespace()
            items.append(try parseValue())
            skipWhitespace()
            guard index < bytes.count else { throw error("unexpected end of input in array") }
            if bytes[index] == UInt8(ascii: ",") { index += 1; continue }
            if bytes[index] == UInt8(ascii: "]") { index += 1; return .array(items) }
            throw error("expected ',' or ']'")
        }
    }

    private mutating func parseNumber() throws(SyntaxError) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
        if bytes[index] == UInt8(ascii: "0") { index += 1 } else { while index < bytes.count, isDigit(bytes[index]) { index += 1 } }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: "e") || bytes[index] == UInt8(ascii: "E") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw error("invalid number") }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        return String(decoding: bytes[start..<index], as: UTF8.self)
    }

    /// Adds `key` to `duplicates` when an earlier member has that name (kept out of line: it runs
    /// only when a name's fingerprint was seen before).
    @inline(never)
    static func noteIfRepeated(_ key: String, in members: [(key: String, value: JSONValue)], into duplicates: inout [String]) {
        let count = key.utf8.count
        for member in members where member.key.utf8.count == count && member.key == key {
            if !duplicates.contains(key) { duplicates.append(key) }
            return
        }
    }

    /// Names that occur more than once among `members`, in first-repeat order.
    static func repeatedNames(_ members: [(key: String, value: JSONValue)]) -> [String] {
        var out: [String] = []
        for (i, m) in members.enumerated() where !out.contains(m.key) && members[..<i].contains(where: { $0.key == m.key }) {
            out.append(m.key)
        }
        return out
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= UInt8(ascii: "0") && b <= UInt8(ascii: "9") }

    /// Whether `s` holds exactly `bytes` as UTF-8: one `memcmp` (a generic `elementsEqual` over
    /// the two sequences was 1.5 % of a sync's instructions).
    private static func sameBytes(_ s: String, _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        s.withUTF8Bytes { a in
            a.count == b.count && (a.isEmpty || memcmp(a.baseAddress!, b.baseAddress!, a.count) == 0)
        }
    }

    /// The name at `index` (its opening quote) if it is written as `recent.bytes` followed by the
    /// closing quote; `index` then moves past that quote. `recent.bytes` came from a name parsed
    /// without escapes (no quote, backslash or control byte; valid UTF-8), so the same bytes
    /// between two quotes are the same name.
    private mutating func knownName(_ recent: (bytes: [UInt8], name: String)) -> String? {
        let start = index + 1, end = start + recent.bytes.count
        guard end < bytes.count, bytes[end] == UInt8(ascii: "\"") else { return nil }
        let same = bytes.withUnsafeBufferPointer { all in
            recent.bytes.withUnsafeBufferPointer { known in
                known.indices.allSatisfy { all[start + $0] == known[$0] }
            }
        }
        guard same else { return nil }
        index = end + 1
        return recent.name
    }

    private mutating func parseString() throws(SyntaxError) -> String {
        index += 1
        let start = index
        // Fast path: no escapes. `String(decoding:)` takes the standard library's fast UTF-8
        // path and repairs what is not UTF-8, so a string whose bytes came out changed was not
        // UTF-8 (`String(validating:)` ran its unspecialized generic path: 4 % of a sync).
        // Repairs can keep the length (three bytes of a cut sequence become one U+FFFD), so the
        // bytes are compared, not only counted.
        var ascii = true
        // Eight bytes at a time while none of them is a quote, a backslash or a control character
        // (a byte from 0x80 only makes the string not ASCII); the loop below reads the rest, from
        // the word that holds one of them. About a fifth of the instructions of the byte loop alone.
        bytes.withUnsafeBytes { raw in
            let ones: UInt64 = 0x0101_0101_0101_0101, highs: UInt64 = 0x8080_8080_8080_8080
            var seen: UInt64 = 0
            while index + 8 <= raw.count {
                let word = raw.loadUnaligned(fromByteOffset: index, as: UInt64.self)
                let quote = word ^ (ones &* 0x22), backslash = word ^ (ones &* 0x5C)
                // Nonzero exactly when some byte is zero (the quote or backslash) or below 0x20.
                let stop = ((quote &- ones) & ~quote) | ((backslash &- ones) & ~backslash) | ((word &- ones &* 0x20) & ~word)
                if stop & highs != 0 { break }
                seen |= word
                index += 8
            }
            if seen & highs != 0 { ascii = false }
        }
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let end = index
                index += 1
                // Read through a pointer: a slice of `bytes` retained and released the whole body.
                let s = bytes.withUnsafeBufferPointer { all in
                    let raw = UnsafeBufferPointer(rebasing: all[start..<end])
                    let s = String(decoding: raw, as: UTF8.self)
                    return ascii || Self.sameBytes(s, raw) ? s : nil
                }
                guard let s else { throw SyntaxError(offset: start, message: "string is not valid UTF-8") }
                return s
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw error("control character in string") }
            if b >= 0x80 { ascii = false }
            index += 1
        }
        var buffer = Array(bytes[start..<index])
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                index += 1
                guard let s = String(validating: buffer, as: UTF8.self) else {
                    throw SyntaxError(offset: start, message: "string is not valid UTF-8")
                }
                return s
            }
            if b < 0x20 { throw error("control character in string") }
            if b != UInt8(ascii: "\\") { buffer.append(b); index += 1; continue }
            index += 1
            guard index < bytes.count else { break }
            let e = bytes[index]
            index += 1
            switch e {
            case UInt8(ascii: "\""): buffer.append(0x22)
            case UInt8(ascii: "\\"): buffer.append(0x5C)
            case UInt8(ascii: "/"): buffer.append(0x2F)
            case UInt8(ascii: "b"): buffer.append(0x08)
            case UInt8(ascii: "f"): buffer.append(0x0C)
            case UInt8(ascii: "n"): buffer.append(0x0A)
            case UInt8(ascii: "r"): buffer.append(0x0D)
            case UInt8(ascii: "t"): buffer.append(0x09)
            case UInt8(ascii: "u"):
                var code = try parseHex4()
                if (0xD800...0xDBFF).contains(code) {
                    guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                        throw error("unpaired surrogate")
                    }
                    index += 2
                    let low = try parseHex4()
                    guard (0xDC00...0xDFFF).contains(low) else { throw error("invalid surrogate pair") }
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                } else if (0xDC00...0xDFFF).contains(code) {
                    throw error("unpaired surrogate")
                }
                guard let scalar = Unicode.Scalar(code) else { throw error("invalid escape") }
                buffer.append(contentsOf: Array(String(Character(scalar)).utf8))
            default: throw error("invalid escape")
            }
        }
        throw error("unterminated string")
    }

    private mutating func parseHex4() throws(SyntaxError) -> UInt32 {
        guard index + 4 <= bytes.count else { throw error("truncated \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt32
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = UInt32(b - UInt8(ascii: "0"))
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = UInt32(b - UInt8(ascii: "a") + 10)
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = UInt32(b - UInt8(ascii: "A") + 10)
            default: throw error("invalid \\u escape")
            }
            value = value << 4 | digit
            index += 1
        }
        return value
    }
}
