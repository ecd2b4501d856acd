import Foundation

/// The output formats of `dataflow catalog` (docs/catalog.md describes each).
public enum CatalogFormat: String, Sendable, CaseIterable {
    case table, json, csv, markdown, html, dcat

    /// Renders `report`; `colour` applies to `table` only.
    public func render(_ report: CoverageReport, colour: TerminalColour = TerminalColour(enabled: false)) throws -> String {
        switch self {
        case .table: return CoverageRenderer.table(report, colour: colour)
        case .json: return try CoverageRenderer.json(report)
        case .csv: return CoverageCSVRenderer.render(report)
        case .markdown: return CoverageMarkdownRenderer.render(report)
        case .html: return CoverageHTMLRenderer.render(report)
        case .dcat: return try DCATRenderer.render(report)
        }
    }
}
