import Foundation

/// Renders a `CoverageReport` as text for a terminal (optionally coloured), or as JSON.
///
/// ```swift
/// print(CoverageRenderer.table(report, colour: TerminalColour(enabled: false)))
/// ```
public enum CoverageRenderer {
    /// The stable JSON schema of docs/catalog.md: sorted keys, two-space indent.
    public static func json(_ report: CoverageReport) throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(report), as: UTF8.self) + "\n"
    }

    public static func table(_ r: CoverageReport, colour c: TerminalColour = TerminalColour(enabled: false)) -> String {
        func ratio(_ x: CoverageReport.Ratio) -> String { c.percent(x.percent, "\(x.covered)/\(x.total) (\(x.percent)%)") }
        var out = c.bold("\(r.county) (\(r.countyCode)) — catalogue coverage, \(r.generatedAt)") + "\n\n"
        out += "Matters covered:   \(ratio(r.matters))\n"
        out += "Functions covered: \(ratio(r.functions))\n\n"
        out += TextTable.render(headers: ["department", "matters", "functions"], rows: r.departments.map {
            [$0.department, ratio($0.matters), ratio($0.functions)]
        })
        out += "\n"
        out += TextTable.render(headers: ["matter type", "matters"], rows: r.matterTypes.map { [$0.type, ratio($0.matters)] })
        out += "\n"
        out += TextTable.render(headers: ["dataset", "title", "rows", "deleted", "rejects", "cycle", "freshness", "last success", "last error"],
                                rows: r.datasets.map {
            [$0.dataset, $0.title, String($0.rows), String($0.deletedRows), String($0.openRejects), $0.updateCycle, c.freshness($0.freshness),
             $0.lastSuccess ?? "-", $0.lastError.map { c.red(String(Redactor.escapingControls($0).prefix(60))) } ?? "-"]
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
        out += "\n" + c.bold("Gap list — matters with no fresh data (\(r.gaps.count)):") + "\n"
        out += r.gaps.isEmpty ? "  none\n" : TextTable.render(headers: ["code", "matter", "type", "department"],
                                                              rows: r.gaps.map { [$0.code, $0.name, $0.type, $0.department] })
        if r.demand != nil {
            out += "\n" + c.bold("Where the gaps could come from (imported catalogue):") + "\n"
            var rows: [[String]] = []
            for gap in r.gaps {
                for s in gap.sources ?? [] {
                    rows.append([gap.code, gap.name, s.resourceCode, s.resource, s.provider, s.shareType, s.match,
                                 s.configured.isEmpty ? "—" : s.configured.joined(separator: ", ")])
                }
            }
            let none = r.gaps.filter { $0.sources?.isEmpty ?? true }.count
            out += rows.isEmpty ? "  no catalogue resource matches an uncovered matter\n"
                : TextTable.render(headers: ["code", "matter", "resource", "name", "provider", "share type", "match", "configured"], rows: rows)
            if none > 0 { out += "  \(none) uncovered matter(s) have no candidate resource in the catalogue\n" }
            if let demand = r.demand {
                out += "  需求清单: \(demand.requested.count) resource(s) to request, \(demand.notShared.count) 不予共享 (not requested) — catalog --format csv --csv-table demand\n"
            }
        }
        return out
    }
}
