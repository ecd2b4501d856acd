/// A small pull scanner for the XML inside .xlsx files: start and end tags with attributes,
/// and text with the five entities and character references decoded. No DTDs, no namespaces
/// beyond dropping a `prefix:` from names — enough for SpreadsheetML, not a general parser.
///
/// ```swift
/// var scanner = XMLScanner(bytes)
/// while let event = scanner.next() { if case .start("row", let attributes) = event { … } }
/// ```
struct XMLScanner {
    enum Event: Equatable {
        case start(String, [String: String])
        case end(String)
        case text(String)
    }

    let bytes: [UInt8]
    var i = 0
    /// A self-closing tag's end event, delivered next.
    private var pendingEnd: String?

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    mutating func next() -> Event? {
        if let name = pendingEnd { pendingEnd = nil; return .end(name) }
        while i < bytes.count {
            if bytes[i] != UInt8(ascii: "<") {
                let start = i
                while i < bytes.count, bytes[i] != UInt8(ascii: "<") { i += 1 }
                return .text(Self.decode(bytes[start..<i]))
            }
            if starts("<?") { skip(past: "?>"); continue }
            if starts("<!--") { skip(past: "-->"); continue }
            if starts("<![CDATA[") {
                i += 9
                let start = i
                skip(past: "]]>")
                return .text(String(decoding: bytes[start..<max(start, i - 3)], as: UTF8.self))
            }
            if starts("<!") { skip(past: ">"); continue }
            i += 1
            let closing = i < bytes.count && bytes[i] == UInt8(ascii: "/")
            if closing { i += 1 }
            let name = readName()
            var attributes: [String: String] = [:]
            while i < bytes.count {
                skipSpace()
                guard i < bytes.count else { break }
                if bytes[i] == UInt8(ascii: ">") { i += 1; break }
                if bytes[i] == UInt8(ascii: "/"), i + 1 < bytes.count, bytes[i + 1] == UInt8(ascii: ">") {
                    i += 2
                    pendingEnd = name
                    break
                }
                let key = readName()
                skipSpace()
                guard i < bytes.count, bytes[i] == UInt8(ascii: "=") else { if key.isEmpty { i += 1 }; continue }
                i += 1
                skipSpace()
                guard i < bytes.count else { break }
                let quote = bytes[i]
                i += 1
                let start = i
                while i < bytes.count, bytes[i] != quote { i += 1 }
                attributes[key] = Self.decode(bytes[start..<min(i, bytes.count)])
                i += 1
            }
            return closing ? .end(name) : .start(name, attributes)
        }
        return nil
    }

    private func starts(_ s: StaticString) -> Bool {
        let n = s.utf8CodeUnitCount
        guard i + n <= bytes.count else { return false }
        return s.withUTF8Buffer { buffer in (0..<n).allSatisfy { bytes[i + $0] == buffer[$0] } }
    }

    private mutating func skip(past s: StaticString) {
        while i < bytes.count, !starts(s) { i += 1 }
        i = min(bytes.count, i + s.utf8CodeUnitCount)
    }

    private mutating func skipSpace() {
        while i < bytes.count, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[i]) { i += 1 }
    }

    /// A tag or attribute name, without its namespace prefix.
    private mutating func readName() -> String {
        let start = i
        while i < bytes.count, ![0x20, 0x09, 0x0A, 0x0D, UInt8(ascii: ">"), UInt8(ascii: "/"), UInt8(ascii: "=")].contains(bytes[i]) { i += 1 }
        let name = String(decoding: bytes[start..<i], as: UTF8.self)
        if let colon = name.lastIndex(of: ":"), !name.hasPrefix("xmlns") { return String(name[name.index(after: colon)...]) }
        return name
    }

    /// Text with `&amp; &lt; &gt; &quot; &apos;` and `&#N;`/`&#xN;` decoded.
    static func decode(_ slice: ArraySlice<UInt8>) -> String {
        guard slice.contains(UInt8(ascii: "&")) else { return String(decoding: slice, as: UTF8.self) }
        let text = String(decoding: slice, as: UTF8.self)
        var out = ""
        var rest = Substring(text)
        while let amp = rest.firstIndex(of: "&") {
            out += rest[..<amp]
            guard let semi = rest[amp...].firstIndex(of: ";"), rest.distance(from: amp, to: semi) <= 10 else {
                out.append("&"); rest = rest[rest.index(after: amp)...]; continue
            }
            let entity = rest[rest.index(after: amp)..<semi]
            switch entity {
            case "amp": out.append("&")
            case "lt": out.append("<")
            case "gt": out.append(">")
            case "quot": out.append("\"")
            case "apos": out.append("'")
            default:
                var scalar: Unicode.Scalar?
                if entity.hasPrefix("#x") || entity.hasPrefix("#X") { scalar = UInt32(entity.dropFirst(2), radix: 16).flatMap(Unicode.Scalar.init) }
                else if entity.hasPrefix("#") { scalar = UInt32(entity.dropFirst()).flatMap(Unicode.Scalar.init) }
                if let scalar { out.unicodeScalars.append(scalar) } else { out += "&" + entity + ";" }
            }
            rest = rest[rest.index(after: semi)...]
        }
        return out + rest
    }
}
