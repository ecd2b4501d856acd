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

    private func loadTSV(path: String, name: String, display: String) throws(ConfigError) -> CodeTable {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw ConfigError("cannot read code table (expected UTF-8 text)", file: display)
        }
        var map: [String: String] = [:]
        var title: String?
        // "\r\n" is one Character in Swift, so this splits LF and CRLF files alike.
        for (i, line) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            if line.isEmpty { continue }
            if line.hasPrefix("#") {
                if title == nil { title = line.dropFirst().trimmingCharacters(in: .whitespaces) }
                continue
            }
            let columns = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard columns.count >= 2, !columns[0].isEmpty else {
                throw ConfigError("expected CODE<tab>VALUE, found '\(line.prefix(60))'", at: SourcePosition(file: display, line: i + 1, column: 1))
            }
            map[String(columns[0])] = String(columns[1])
        }
        return CodeTable(name: name, title: title, entries: map, file: display)
    }
}
