import Foundation

/// Renders one table of a `CoverageReport` as RFC 4180 CSV (CRLF, quoted where needed, cells a
/// spreadsheet would evaluate neutralised as `CSVWriter` does) for Excel/WPS: the dataset
/// catalogue (default), the gap list, or coverage by department or type.
///
/// ```swift
/// let csv = CoverageCSVRenderer.render(report, table: .gaps)
/// ```
public enum CoverageCSVRenderer {
    /// Which table to write.
    public enum Table: String, Sendable, CaseIterable {
        case datasets, gaps, departments, types
        /// The 需求清单 (needs an imported catalogue; just the header without one).
        case demand
    }

    public static func render(_ r: CoverageReport, table: Table = .datasets) -> String {
        var rows: [[String]]
        switch table {
        case .datasets:
            rows = [["资源代码", "资源名称", "提供方", "共享类型", "更新周期", "信息项", "rows", "deleted", "open_rejects", "freshness",
                     "last_success", "last_error", "matters", "unresolved_matter_codes", "unmapped_source_fields"]]
            for d in r.datasets {
                rows.append([d.catalogue.code, d.catalogue.title, d.catalogue.provider, d.catalogue.shareType, d.catalogue.updateCycle,
                             d.catalogue.items.map { "\($0.name):\($0.dataType)" }.joined(separator: ";"),
                             String(d.rows), String(d.deletedRows), String(d.openRejects), d.freshness, d.lastSuccess ?? "",
                             d.lastError ?? "", d.matters.joined(separator: ";"), d.unresolvedMatterCodes.joined(separator: ";"),
                             d.unmappedSourceFields.joined(separator: ";")])
            }
        case .gaps:
            rows = [["code", "matter", "type", "department"]] + r.gaps.map { [$0.code, $0.name, $0.type, $0.department] }
        case .departments:
            rows = [["department", "matters_total", "matters_covered", "matters_percent", "functions_total", "functions_covered", "functions_percent"]]
            rows += r.departments.map {
                [$0.department, String($0.matters.total), String($0.matters.covered), String($0.matters.percent),
                 String($0.functions.total), String($0.functions.covered), String($0.functions.percent)]
            }
        case .demand:
            rows = (r.demand ?? DemandList(requested: [], notShared: [])).csvRows
        case .types:
            rows = [["type", "matters_total", "matters_covered", "matters_percent"]]
            rows += r.matterTypes.map { [$0.type, String($0.matters.total), String($0.matters.covered), String($0.matters.percent)] }
        }
        return rows.map { $0.map { CSVWriter.field($0) }.joined(separator: ",") + "\r\n" }.joined()
    }

    /// The CSV text as bytes in an export encoding: UTF-8, UTF-8 with a BOM (Excel), or GB18030.
    public static func encode(_ csv: String, encoding: CSVWriter.Encoding) throws -> Data {
        switch encoding {
        case .utf8: return Data(csv.utf8)
        case .utf8Bom: return Data([0xEF, 0xBB, 0xBF] + Array(csv.utf8))
        case .gb18030: return Data(try GB18030Converter().convert(Array(csv.utf8)))
        }
    }
}
