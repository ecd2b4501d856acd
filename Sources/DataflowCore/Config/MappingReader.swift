import Foundation

/// Reads one YAML mapping strictly: typed accessors with positions in every error, and at the
/// end `finish()` rejects keys nobody asked for, with a did-you-mean.
///
/// ```swift
/// var m = try MappingReader(node, what: "source 'province'", interpolator: env)
/// let url = try m.requiredString("base_url")
/// try m.finish()
/// ```
public struct MappingReader {
    public let node: YAMLNode
    public let what: String
    let interpolator: Interpolator
    private var entries: [YAMLEntry]
    private var known: Set<String> = []

    public init(_ node: YAMLNode, what: String, interpolator: Interpolator) throws(ConfigError) {
        guard case .mapping(let entries, _) = node else {
            throw ConfigError("\(what) must be a mapping, found \(node.kindName)", at: node.position)
        }
        self.node = node
        self.what = what
        self.entries = entries
        self.interpolator = interpolator
    }

    public var position: SourcePosition { node.position }
    public var keys: [String] { entries.map(\.key) }

    /// The raw node at `key`, marking the key as known.
    public mutating func node(_ key: String) -> YAMLNode? {
        known.insert(key)
        guard let entry = entries.first(where: { $0.key == key }), !entry.value.isNull else { return nil }
        return entry.value
    }

    public func keyPosition(_ key: String) -> SourcePosition? { entries.first(where: { $0.key == key })?.keyPosition }

    /// A scalar string as written, `${…}` references left in place (for URLs whose parts are resolved one by one).
    public mutating func rawString(_ key: String) throws(ConfigError) -> String? {
        guard let value = node(key) else { return nil }
        guard case .scalar(let text, _, _) = value else { throw ConfigError("'\(key)' must be a single value", at: value.position) }
        return text
    }

    /// A scalar string with environment references resolved.
    public mutating func string(_ key: String) throws(ConfigError) -> String? {
        guard let value = node(key) else { return nil }
        return try MappingReader.scalar(value, key: key, interpolator: interpolator)
    }

    public mutating func requiredString(_ key: String) throws(ConfigError) -> String {
        guard let value = try string(key) else { throw missing(key) }
        return value
    }

    /// A secret: `key: ${ENV}` or `key_file: /path/to/file` (first line, trimmed).
    public mutating func secret(_ key: String) throws(ConfigError) -> Secret? {
        if let fileNode = node("\(key)_file") {
            let path = try MappingReader.scalar(fileNode, key: "\(key)_file", interpolator: interpolator)
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                throw ConfigError("cannot read \(key)_file '\(path)'", at: fileNode.position)
            }
            return Secret(text.trimmingCharacters(in: .whitespacesAndNewlines))
        }
        return try string(key).map(Secret.init)
    }

    /// A secret that must be there (`KEY` or `KEY_file`).
    public mutating func requiredSecret(_ key: String) throws(ConfigError) -> Secret {
        guard let secret = try secret(key) else { throw missing(key) }
        return secret
    }

    public mutating func int(_ key: String, range: ClosedRange<Int>? = nil) throws(ConfigError) -> Int? {
        guard let value = node(key) else { return nil }
        let text = try MappingReader.scalar(value, key: key, interpolator: interpolator)
        guard let n = Int(text) else { throw ConfigError("'\(key)' must be a whole number, found '\(text)'", at: value.position) }
        if let range, !range.contains(n) {
            throw ConfigError("'\(key)' must be between \(range.lowerBound) and \(range.upperBound), found \(n)", at: value.position)
        }
        return n
    }

    public mutating func bool(_ key: String) throws(ConfigError) -> Bool? {
        guard let value = node(key) else { return nil }
        let text = try MappingReader.scalar(value, key: key, interpolator: interpolator)
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default: throw ConfigError("'\(key)' must be true or false, found '\(text)'", at: value.position)
        }
    }

    /// A duration: `30s`, `10m`, `2h`, `1d`, `500ms`, or a bare number of seconds, within `range`
    /// (every duration key has one; see ``DurationRange``).
    public mutating func duration(_ key: String, range: DurationRange) throws(ConfigError) -> Double? {
        guard let value = node(key) else { return nil }
        let text = try MappingReader.scalar(value, key: key, interpolator: interpolator)
        guard let seconds = MappingReader.parseDuration(text) else {
            throw ConfigError("'\(key)' must be a duration like 30s, 10m, 2h or 500ms (\(range.phrase)), found '\(text)'", at: value.position)
        }
        guard range.contains(seconds) else {
            throw ConfigError("'\(key)' must be \(range.phrase), found '\(text)'", at: value.position)
        }
        return seconds
    }

    /// `max_tombstones:` — a share of the live rows (`10%`) or a number of rows (`500`).
    public mutating func tombstoneLimit(_ key: String) throws(ConfigError) -> TombstoneLimit? {
        guard let value = node(key) else { return nil }
        let text = try MappingReader.scalar(value, key: key, interpolator: interpolator)
        guard let limit = TombstoneLimit.parse(text) else {
            throw ConfigError("'\(key)' must be a share of the live rows like 10% (0–100%) or a number of rows like 500, found '\(text)'", at: value.position)
        }
        return limit
    }

    /// A size in bytes: `500MB`, `2GiB`, `64 KiB`, or a bare number of bytes. KB/MB/GB count in
    /// thousands, KiB/MiB/GiB in 1024s.
    public mutating func byteSize(_ key: String, range: ClosedRange<Int> = 1...Int.max) throws(ConfigError) -> Int? {
        guard let value = node(key) else { return nil }
        let text = try MappingReader.scalar(value, key: key, interpolator: interpolator)
        guard let bytes = MappingReader.parseByteSize(text) else {
            throw ConfigError("'\(key)' must be a size like 500MB, 2GiB or a number of bytes, found '\(text)'", at: value.position)
        }
        guard range.contains(bytes) else {
            throw ConfigError("'\(key)' must be between \(range.lowerBound) and \(range.upperBound) bytes, found \(bytes)", at: value.position)
        }
        return bytes
    }

    static func parseByteSize(_ text: String) -> Int? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("KiB", 1024), ("MiB", 1_048_576), ("GiB", 1_073_741_824), ("TiB", 1_099_511_627_776),
                                         ("KB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12), ("B", 1)]
        var number = Substring(t), factor = 1.0
        for (suffix, f) in units where t.uppercased().hasSuffix(suffix.uppercased()) {
            number = t.dropLast(suffix.count)
            factor = f
            break
        }
        guard let n = Double(number.trimmingCharacters(in: .whitespaces)), n >= 0, n.isFinite else { return nil }
        let bytes = (n * factor).rounded()
        guard bytes < 9e18 else { return nil }
        return Int(bytes)
    }

    /// One of a fixed set of words.
    public mutating func choice(_ key: String, _ options: [String]) throws(ConfigError) -> String? {
        guard let value = node(key) else { return nil }
        let text = try MappingReader.scalar(value, key: key, interpolator: interpolator)
        guard options.contains(text) else {
            throw ConfigError("unknown \(key) '\(text)'\(MappingReader.suggestion(text, options)) (expected one of: \(options.joined(separator: ", ")))", at: value.position)
        }
        return text
    }

    /// A list of scalars; a single scalar counts as a list of one.
    public mutating func stringList(_ key: String) throws(ConfigError) -> [String]? {
        guard let value = node(key) else { return nil }
        switch value {
        case .sequence(let items, _):
            var out: [String] = []
            for item in items { out.append(try MappingReader.scalar(item, key: key, interpolator: interpolator)) }
            return out
        case .scalar:
            return [try MappingReader.scalar(value, key: key, interpolator: interpolator)]
        case .mapping:
            throw ConfigError("'\(key)' must be a list, found a mapping", at: value.position)
        }
    }

    /// A nested mapping reader.
    public mutating func mapping(_ key: String, what: String? = nil) throws(ConfigError) -> MappingReader? {
        guard let value = node(key) else { return nil }
        return try MappingReader(value, what: what ?? "'\(key)'", interpolator: interpolator)
    }

    /// Scalar map (`{ name: value }`), in source order.
    public mutating func stringMap(_ key: String) throws(ConfigError) -> [(String, String)]? {
        guard let value = node(key) else { return nil }
        guard case .mapping(let entries, _) = value else {
            throw ConfigError("'\(key)' must be a mapping, found \(value.kindName)", at: value.position)
        }
        var out: [(String, String)] = []
        for entry in entries {
            out.append((entry.key, try MappingReader.scalar(entry.value, key: entry.key, interpolator: interpolator)))
        }
        return out
    }

    public func missing(_ key: String) -> ConfigError {
        ConfigError("\(what) is missing required key '\(key)'", at: position)
    }

    /// Rejects keys that were never read.
    public func finish() throws(ConfigError) {
        for entry in entries where !known.contains(entry.key) {
            let hint = MappingReader.suggestion(entry.key, Array(known))
            throw ConfigError("unknown key '\(entry.key)' in \(what)\(hint) (expected one of: \(known.sorted().joined(separator: ", ")))", at: entry.keyPosition)
        }
    }

    static func scalar(_ node: YAMLNode, key: String, interpolator: Interpolator) throws(ConfigError) -> String {
        guard case .scalar(let text, let position, _) = node else {
            throw ConfigError("'\(key)' must be a single value, found \(node.kindName)", at: node.position)
        }
        return try interpolator.resolve(text, at: position)
    }

    /// Seconds, with their sign; nil for text that is no duration or whose value is not finite
    /// (`1e400s`, `nan`). The caller checks the range.
    static func parseDuration(_ text: String) -> Double? {
        let t = text.trimmingCharacters(in: .whitespaces)
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86400)]
        var number = Substring(t), factor = 1.0
        for (suffix, f) in units where t.hasSuffix(suffix) {
            number = t.dropLast(suffix.count)
            factor = f
            break
        }
        guard let n = Double(number), n.isFinite, (n * factor).isFinite else { return nil }
        return n * factor
    }

    /// `" (did you mean 'x'?)"` when a known word is within two edits.
    public static func suggestion(_ word: String, _ candidates: [String]) -> String {
        var best: (String, Int)?
        for candidate in candidates {
            let d = editDistance(word, candidate)
            if d <= max(2, word.count / 4), d < (best?.1 ?? Int.max) { best = (candidate, d) }
        }
        return best.map { " (did you mean '\($0.0)'?)" } ?? ""
    }

    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        if a.isEmpty { return b.count }
        if b.isEmpty { return a.count }
        var previous = Array(0...b.count)
        for i in 1...a.count {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...b.count {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
