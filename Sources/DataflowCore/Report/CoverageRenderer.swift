import Foundation

/// Renders a `CoverageReport` as text for a terminal, or as JSON.
public enum CoverageRenderer {
    public static func json(_ report: CoverageReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    public static func table(_ r: CoverageReport) -> String {
        var out = "\(r.county) (\(r.countyCode)) — catalogue coverage, \(r.generatedAt)\n\n"
        out += "Matters covered:   \(r.matters.covered)/\(r.matters.total) (\(r.matters.percent)%)\n"
        out += "Functions covered: \(r.functions.covered)/\(r.functions.total) (\(r.functions.percent)%)\n\n"
        out += TextTable.render(headers: ["department", "matters", "functions"], rows: r.departments.map {
            [$0.department, "\($0.matters.covered)/\($0.matters.total) (\($0.matters.percent)%)", "\($0.functions.covered)/\($0.functions.total) (\($0.functions.percent)%)"]
        })
        out += "\n"
        out += TextTable.render(headers: ["matter type", "matters"], rows: r.matterTypes.map {
            [$0.type, "\($0.matters.covered)/\($0.matters.total) (\($0.matters.percent)%)"]
        })
        out += "\n"
        out += TextTable.render(headers: ["dataset", "title", "rows", "deleted", "rejects", "cycle", "freshness", "last success", "last error"],
                                rows: r.datasets.map {
            [$0.dataset, $0.title, String($0.rows), String($0.deletedRows), String($0.openRejects), $0.updateCycle, $0.freshness,
             $0.lastSuccess ?? "-", $0.lastError.map { String($0.prefix(60)) } ?? "-"]
        })
        let unresolved = r.datasets.filter { !$0.unresolvedMatterCodes.isEmpty }
        if !unresolved.isEmpty {
            out += "\nUnresolved matter codes seen in data (add them as aliases in dictionaries/matters.yml):\n"
            for d in unresolved { out += "  \(d.dataset): \(d.unresolvedMatterCodes.joined(separator: ", "))\n" }
        }
        let drift = r.datasets.filter { !$0.unmappedSourceFields.isEmpty }
        if !drift.isEmpty {
            out += "\nSource fields not in the mapping (schema drift):\n"
            for d in drift { out += "  \(d.dataset): \(d.unmappedSourceFields.joined(separator: ", "))\n" }
        }
        out += "\nGap list — matters with no fresh data (\(r.gaps.count)):\n"
        out += r.gaps.isEmpty ? "  none\n" : TextTable.render(headers: ["code", "matter", "type", "department"],
                                                              rows: r.gaps.map { [$0.code, $0.name, $0.type, $0.department] })
        return out
    }
}

/// A plain text table that lines up CJK text (two columns per wide character).
public enum TextTable {
    public static func render(headers: [String], rows: [[String]]) -> String {
        var widths = headers.map(displayWidth)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], displayWidth(cell)) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = i == cells.count - 1 ? 0 : widths[i] - displayWidth(cell)
                parts.append(cell + String(repeating: " ", count: max(0, pad)))
            }
            return "  " + parts.joined(separator: "  ") + "\n"
        }
        var out = line(headers)
        out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) }
        return out
    }

    /// Terminal columns of `s`: East Asian wide characters count two.
    public static func displayWidth(_ s: String) -> Int {
        s.unicodeScalars.reduce(0) { total, scalar in
            let v = scalar.value
            let wide = (0x1100...0x115F).contains(v) || (0x2E80...0xA4CF).contains(v) || (0xAC00...0xD7A3).contains(v)
                || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v) || (0xFF00...0xFF60).contains(v)
                || (0xFFE0...0xFFE6).contains(v) || (0x20000...0x3FFFD).contains(v)
            return total + (wide ? 2 : 1)
        }
    }
}
