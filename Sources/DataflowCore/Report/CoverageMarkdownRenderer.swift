import Foundation

/// Renders a `CoverageReport` as GitHub-flavoured Markdown (for a wiki page or a weekly email).
///
/// ```swift
/// try CoverageMarkdownRenderer.render(report).write(toFile: "coverage.md", atomically: true, encoding: .utf8)
/// ```
public enum CoverageMarkdownRenderer {
    public static func render(_ r: CoverageReport) -> String {
        func ratio(_ x: CoverageReport.Ratio) -> String { "\(x.covered)/\(x.total) (\(x.percent)%)" }
        var out = "# \(cell(r.county))（\(r.countyCode)）数据回流资源目录与覆盖率\n\n"
        out += "Generated \(r.generatedAt) · dictionaries \(cell(r.dictionariesVersion))\n\n"
        out += "- **Matters covered:** \(ratio(r.matters))\n"
        out += "- **Functions covered:** \(ratio(r.functions))\n\n"
        out += "## Coverage by department\n\n"
        out += table(["Department", "Matters", "Functions"], r.departments.map { [$0.department, ratio($0.matters), ratio($0.functions)] })
        out += "\n## Coverage by matter type\n\n"
        out += table(["Matter type", "Matters"], r.matterTypes.map { [$0.type, ratio($0.matters)] })
        out += "\n## Datasets and freshness\n\n"
        out += table(["资源代码", "资源名称", "提供方", "共享类型", "更新周期", "Rows", "Deleted", "Rejects", "Freshness", "Last success", "Last error"],
                     r.datasets.map {
            [$0.catalogue.code, $0.catalogue.title, $0.catalogue.provider, $0.catalogue.shareType, $0.catalogue.updateCycle,
             String($0.rows), String($0.deletedRows), String($0.openRejects), $0.freshness, $0.lastSuccess ?? "—", $0.lastError.map(Redactor.escapingControls) ?? "—"]
        })
        out += "\n## 信息项 (information items)\n\n"
        for d in r.datasets {
            out += "### \(cell(d.catalogue.title)) (`\(d.dataset)`)\n\n"
            out += table(["信息项名称", "数据类型", "个人信息"], d.catalogue.items.map { [$0.name, $0.dataType, $0.pii ? "是" : "否"] })
            if !d.unresolvedMatterCodes.isEmpty {
                out += "\nUnresolved matter codes: \(d.unresolvedMatterCodes.map(code).joined(separator: ", "))\n"
            }
            if !d.unmappedSourceFields.isEmpty {
                out += "\nSource fields not in the mapping: \(d.unmappedSourceFields.map(code).joined(separator: ", "))\n"
            }
            out += "\n"
        }
        out += "## Gap list (\(r.gaps.count))\n\n"
        out += r.gaps.isEmpty ? "None: every matter has fresh data.\n"
            : table(["Code", "Matter", "Type", "Department"], r.gaps.map { [$0.code, $0.name, $0.type, $0.department] })
        if let demand = r.demand {
            out += "\n## 需求清单 Demand list (\(demand.requested.count))\n\n"
            let headers = ["资源代码", "资源名称", "提供方", "共享类型", "共享条件", "事项 matters", "职能 functions", "申请理由 why"]
            func rows(_ items: [DemandList.Item]) -> [[String]] {
                items.map { [$0.resourceCode, $0.resource, $0.provider, $0.shareType, $0.shareCondition,
                             $0.matters.joined(separator: "; "), $0.functions.joined(separator: "; "), $0.reason] }
            }
            out += demand.requested.isEmpty ? "Nothing to request: no catalogue resource covers a gap that is not configured yet.\n" : table(headers, rows(demand.requested))
            if !demand.notShared.isEmpty {
                out += "\n### 不予共享 — not shared, not requested (\(demand.notShared.count))\n\n" + table(headers, rows(demand.notShared))
            }
        }
        return out
    }

    static func table(_ headers: [String], _ rows: [[String]]) -> String {
        var out = "| " + headers.map(cell).joined(separator: " | ") + " |\n"
        out += "|" + String(repeating: " --- |", count: headers.count) + "\n"
        for row in rows { out += "| " + row.map(cell).joined(separator: " | ") + " |\n" }
        return out
    }

    /// A code span that shows `s` literally, whatever it holds: a gateway's member name or matter
    /// code may carry backticks, HTML or a link. CommonMark ends a code span only at a backtick run
    /// as long as the opening one, so the fence is one backtick longer than the longest run in the
    /// text; inside, `<`, `[`, `*`, `\` and `|` are plain characters (this line is no table row).
    /// Line breaks and other control characters are written as escapes, so the text cannot end
    /// the paragraph. A text that starts or ends with a backtick is padded with one space on each
    /// side, which CommonMark strips again.
    ///
    /// ```swift
    /// CoverageMarkdownRenderer.code("a`<b>`")   // "`` a`<b>` ``"
    /// ```
    static func code(_ s: String) -> String {
        let text = Redactor.escapingControls(s)
        var longest = 0, run = 0
        for byte in text.utf8 {
            run = byte == UInt8(ascii: "`") ? run + 1 : 0
            longest = max(longest, run)
        }
        let fence = String(repeating: "`", count: longest + 1)
        let allSpaces = text.utf8.allSatisfy { $0 == UInt8(ascii: " ") }
        let pad = text.hasPrefix("`") || text.hasSuffix("`") || (text.hasPrefix(" ") && text.hasSuffix(" ") && !allSpaces) || text.isEmpty
            ? " " : ""
        return fence + pad + text + pad + fence
    }

    /// Escapes what would break a table cell or start markup, scalar by scalar (a loop over
    /// `Character`s missed a `|` or `<` after a prepended mark such as U+0600, and CR LF, which is
    /// one `Character`); line breaks become spaces, other control characters visible escapes.
    static func cell(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "|", "\\", "*", "_", "`", "[", "]", "<", ">": out += "\\"; out.unicodeScalars.append(scalar)
            case "\n", "\r": out += " "
            default: out.unicodeScalars.append(scalar)
            }
        }
        return Redactor.escapingControls(out)
    }
}
