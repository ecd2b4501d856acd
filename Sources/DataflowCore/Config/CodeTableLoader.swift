import Foundation

/// Loads `Mappings/codes/*.yml` (`codes:` mapping, optional `title:`) and `*.tsv` (code, tab,
/// value, optional further columns; `#` lines are comments; a repeated code keeps its last row).
struct CodeTableLoader {
    let interpolator: Interpolator

    func load(mappingsPath: String, displayPrefix: String) throws(ConfigError) -> CodeTables {
        let dir = mappingsPath + "/codes"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? []).sorted()
        var tables: [CodeTable] = []
        var seen: [String: String] = [:]
        for file in files {
            let display = "\(displayPrefix)/codes/\(file)"
            let name: String
            let table: CodeTable
            if file.hasSuffix(".tsv") {
                name = String(file.dropLast(4))
                table = try loadTSV(path: dir + "/" + file, name: name, display: display)
            } else if file.hasSuffix(".yml") || file.hasSuffix(".yaml") {
                name = String(file.prefix(upTo: file.lastIndex(of: ".") ?? file.endIndex))
                table = try loadYAML(path: dir + "/" + file, name: name, display: display)
            } else {
                continue
            }
            if let other = seen[name] {
                throw ConfigError("code table '\(name)' is also defined in \(other)", file: display)
            }
            seen[name] = display
            tables.append(table)
        }
        return CodeTables(tables)
    }

    private func loadYAML(path: String, name: String, display: String) throws(ConfigError) -> CodeTable {
        let node = try YAMLDocument.load(path: path, displayName: display)
        var m = try MappingReader(node, what: display, interpolator: interpolator)
        let title = try m.string("title")
        _ = try m.string("source")
        _ = try m.string("as_of")
        guard let entries = try m.stringMap("codes") else { throw m.missing("codes") }
        try m.finish()
        var map: [String: String] = [:]
        for (code, value) in entries { map[code] = value }
        return CodeTable(name: name, title: title, entries: map, file: display)
    }

    /// Reads the file as UTF-8 bytes: splitting it into `Character`s was two thirds of loading the
    /// GB/T 2260 table (8,349 lines), which every command does at start-up.
    private func loadTSV(path: String, name: String, display: String) throws(ConfigError) -> CodeTable {
        guard let data = FileManager.default.contents(atPath: path), var file = String(data: data, encoding: .utf8) else {
            throw ConfigError("cannot read code table (expected UTF-8 text)", file: display)
        }
        let loaded: Result<CodeTable, ConfigError> = file.withUTF8 { bytes in
            Result { () throws(ConfigError) in try table(bytes, name: name, display: display) }
        }
        return try loaded.get()
    }

    private func table(_ bytes: UnsafeBufferPointer<UInt8>, name: String, display: String) throws(ConfigError) -> CodeTable {
        func text(_ range: Range<Int>) -> String { String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self) }
        var map: [String: String] = [:]
        var title: String?
        var lineNumber = 0
        var failure: ConfigError?
        Self.forEachLine(bytes) { line in
            lineNumber += 1
            guard !line.isEmpty else { return true }
            if bytes[line.lowerBound] == UInt8(ascii: "#") {
                if title == nil { title = text(line.lowerBound + 1 ..< line.upperBound).trimmingCharacters(in: .whitespaces) }
                return true
            }
            guard let tab = bytes[line].firstIndex(of: 9), tab > line.lowerBound else {
                failure = ConfigError("expected CODE<tab>VALUE, found '\(text(line).prefix(60))'",
                                      at: SourcePosition(file: display, line: lineNumber, column: 1))
                return false
            }
            let valueEnd = bytes[tab + 1 ..< line.upperBound].firstIndex(of: 9) ?? line.upperBound
            map[text(line.lowerBound ..< tab)] = text(tab + 1 ..< valueEnd)
            return true
        }
        if let failure { throw failure }
        return CodeTable(name: name, title: title, entries: map, file: display)
    }

    /// Calls `body` with each line's byte range (without its line break), until it returns false.
    /// Line breaks are those of `Character.isNewline`: LF, CR, CR LF (one break), VT, FF, NEL
    /// (U+0085), LS (U+2028) and PS (U+2029); a break at the very end leaves an empty last line.
    static func forEachLine(_ bytes: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Bool) {
        var start = 0, i = 0
        let n = bytes.count
        while i < n {
            let b = bytes[i]
            var breakLength = 0
            switch b {
            case 0x0A, 0x0B, 0x0C: breakLength = 1
            case 0x0D: breakLength = i + 1 < n && bytes[i + 1] == 0x0A ? 2 : 1
            case 0xC2 where i + 1 < n && bytes[i + 1] == 0x85: breakLength = 2
            case 0xE2 where i + 2 < n && bytes[i + 1] == 0x80 && (bytes[i + 2] == 0xA8 || bytes[i + 2] == 0xA9): breakLength = 3
            default: break
            }
            if breakLength == 0 { i += 1; continue }
            if !body(start ..< i) { return }
            i += breakLength
            start = i
        }
        _ = body(start ..< n)
    }
}
