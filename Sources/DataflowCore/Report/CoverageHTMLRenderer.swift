import Foundation

/// Renders a `CoverageReport` as one self-contained HTML page: inline CSS, no script, no fonts or
/// images fetched, so it opens from a file or an email attachment and prints on A4.
/// Coverage bars by department and matter type, dataset freshness, 信息项, and the gap list.
///
/// ```swift
/// try CoverageHTMLRenderer.render(report).write(toFile: "coverage.html", atomically: true, encoding: .utf8)
/// ```
public enum CoverageHTMLRenderer {
    public static func render(_ r: CoverageReport) -> String {
        let title = "\(r.county)（\(r.countyCode)）数据回流资源目录与覆盖率"
        var h = """
        <!DOCTYPE html>
        <html lang="zh-CN">
        <head>
        <meta charset="utf-8">
        <meta name="viewport" content="width=device-width, initial-scale=1">
        <meta name="generator" content="dataflow catalog">
        <title>\(esc(title))</title>
        <style>
        \(css)
        </style>
        </head>
        <body>
        <header>
        <h1>\(esc(title))</h1>
        <p class="meta">Generated \(esc(r.generatedAt)) · dictionaries \(esc(r.dictionariesVersion))</p>
        <div class="cards">
        \(card("事项覆盖率 Matters covered", r.matters))
        \(card("职能覆盖率 Functions covered", r.functions))
        <div class="card"><div class="label">缺口 Gaps</div><div class="big">\(r.gaps.count)</div><div class="sub">matters with no fresh data</div></div>
        </div>
        </header>
        <main>
        <section id="departments">
        <h2>按部门覆盖率 Coverage by department</h2>
        <table>
        <thead><tr><th>部门 Department</th><th>事项 Matters</th><th class="barcol"></th><th>职能 Functions</th><th class="barcol"></th></tr></thead>
        <tbody>

        """
        for d in r.departments {
            h += "<tr><td>\(esc(d.department))</td><td class=\"num\">\(ratio(d.matters))</td><td>\(bar(d.matters))</td>"
            h += "<td class=\"num\">\(ratio(d.functions))</td><td>\(bar(d.functions))</td></tr>\n"
        }
        h += """
        </tbody>
        </table>
        </section>
        <section id="types">
        <h2>按事项类型覆盖率 Coverage by matter type</h2>
        <table>
        <thead><tr><th>事项类型 Matter type</th><th>事项 Matters</th><th class="barcol"></th></tr></thead>
        <tbody>

        """
        for t in r.matterTypes {
            h += "<tr><td>\(esc(t.type))</td><td class=\"num\">\(ratio(t.matters))</td><td>\(bar(t.matters))</td></tr>\n"
        }
        h += """
        </tbody>
        </table>
        </section>
        <section id="datasets">
        <h2>数据集与新鲜度 Datasets and freshness</h2>
        <table>
        <thead><tr><th>资源代码</th><th>资源名称</th><th>提供方</th><th>共享类型</th><th>更新周期</th><th>Rows</th><th>Deleted</th><th>Rejects</th><th>Freshness</th><th>Last success</th><th>Last error</th></tr></thead>
        <tbody>

        """
        for d in r.datasets {
            h += "<tr><td><code>\(esc(d.dataset))</code></td><td>\(esc(d.catalogue.title))</td><td>\(esc(d.catalogue.provider))</td>"
            h += "<td>\(esc(d.catalogue.shareType))</td><td>\(esc(d.catalogue.updateCycle))</td><td class=\"num\">\(d.rows)</td>"
            h += "<td class=\"num\">\(d.deletedRows)</td><td class=\"num\">\(d.openRejects)</td>"
            h += "<td><span class=\"badge \(esc(d.freshness))\">\(esc(d.freshness))</span></td><td class=\"ts\">\(esc(d.lastSuccess ?? "—"))</td>"
            h += "<td class=\"error\">\(esc(d.lastError ?? ""))</td></tr>\n"
        }
        h += """
        </tbody>
        </table>
        </section>
        <section id="items">
        <h2>信息项 Information items</h2>

        """
        for d in r.datasets {
            h += "<details open><summary>\(esc(d.catalogue.title)) <code>\(esc(d.dataset))</code> — \(d.catalogue.items.count) 信息项</summary>\n"
            h += "<table class=\"items\"><thead><tr><th>信息项名称</th><th>数据类型</th><th>个人信息</th></tr></thead><tbody>\n"
            for item in d.catalogue.items {
                h += "<tr><td><code>\(esc(item.name))</code></td><td>\(esc(item.dataType))</td><td>\(item.pii ? "是" : "否")</td></tr>\n"
            }
            h += "</tbody></table>\n"
            if !d.unresolvedMatterCodes.isEmpty {
                h += "<p class=\"warn\">Unresolved matter codes: \(d.unresolvedMatterCodes.map { "<code>\(esc($0))</code>" }.joined(separator: ", "))</p>\n"
            }
            if !d.unmappedSourceFields.isEmpty {
                h += "<p class=\"warn\">Source fields not in the mapping: \(d.unmappedSourceFields.map { "<code>\(esc($0))</code>" }.joined(separator: ", "))</p>\n"
            }
            h += "</details>\n"
        }
        h += """
        </section>
        <section id="gaps">
        <h2>缺口清单 Gap list</h2>
        <p>Matters with no fresh, non-empty dataset — what to request from the province (\(r.gaps.count)).</p>

        """
        if r.gaps.isEmpty {
            h += "<p>None: every matter has fresh data.</p>\n"
        } else {
            h += "<table><thead><tr><th>事项编码 Code</th><th>事项名称 Matter</th><th>事项类型 Type</th><th>部门 Department</th></tr></thead><tbody>\n"
            for g in r.gaps {
                h += "<tr><td><code>\(esc(g.code))</code></td><td>\(esc(g.name))</td><td>\(esc(g.type))</td><td>\(esc(g.department))</td></tr>\n"
            }
            h += "</tbody></table>\n"
        }
        h += """
        </section>
        </main>
        </body>
        </html>

        """
        return h
    }

    static func ratio(_ x: CoverageReport.Ratio) -> String { "\(x.covered)/\(x.total) (\(x.percent)%)" }

    static func card(_ label: String, _ x: CoverageReport.Ratio) -> String {
        "<div class=\"card\"><div class=\"label\">\(esc(label))</div><div class=\"big\">\(x.percent)%</div><div class=\"sub\">\(x.covered) of \(x.total)</div>\(bar(x))</div>"
    }

    /// A horizontal bar as two nested divs (no script, prints with colour-adjust).
    static func bar(_ x: CoverageReport.Ratio) -> String {
        let level = x.percent >= 80 ? "good" : x.percent >= 50 ? "fair" : "poor"
        return "<div class=\"bar\" role=\"img\" aria-label=\"\(x.percent)%\"><div class=\"fill \(level)\" style=\"width:\(x.percent)%\"></div></div>"
    }

    /// HTML-escapes text for element content and attribute values, scalar by scalar: a `<` after
    /// a prepended mark (U+0600 and its kind join the next character into one `Character`) was
    /// let through by a loop over `Character`s, and a gateway's matter code ran a script in the
    /// report. Control characters other than HTML's own white space (tab, line feed, carriage
    /// return) are written as visible escapes (`\u{1B}`), as on the terminal.
    static func esc(_ s: String) -> String {
        var out = ""
        out.reserveCapacity(s.utf8.count)
        for scalar in s.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if Redactor.needsEscape(scalar) { out += Redactor.escapingControls(String(scalar)) } else { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    static let css = """
    :root { --good: #2e7d32; --fair: #f9a825; --poor: #c62828; --line: #d0d7de; --muted: #57606a; }
    * { box-sizing: border-box; }
    body { font-family: "Noto Sans CJK SC", "Microsoft YaHei", "PingFang SC", sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1f2328; }
    h1 { font-size: 1.6rem; margin-bottom: .25rem; }
    h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid var(--line); padding-bottom: .25rem; }
    .meta { color: var(--muted); margin-top: 0; }
    .cards { display: flex; gap: 1rem; flex-wrap: wrap; margin: 1rem 0; }
    .card { border: 1px solid var(--line); border-radius: 6px; padding: .75rem 1rem; min-width: 14rem; }
    .card .label { color: var(--muted); font-size: .9rem; }
    .card .big { font-size: 2rem; font-weight: 600; }
    .card .sub { color: var(--muted); font-size: .85rem; margin-bottom: .4rem; }
    table { border-collapse: collapse; width: 100%; font-size: .9rem; }
    th, td { border-bottom: 1px solid var(--line); padding: .35rem .5rem; text-align: left; vertical-align: top; }
    th { background: #f6f8fa; }
    td.ts { white-space: nowrap; }
    td.num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
    th.barcol { width: 18%; }
    .bar { background: #eaeef2; border-radius: 3px; height: .8rem; width: 100%; min-width: 8rem; overflow: hidden; }
    .fill { height: 100%; }
    .fill.good { background: var(--good); } .fill.fair { background: var(--fair); } .fill.poor { background: var(--poor); }
    .badge { border-radius: 3px; padding: 0 .4rem; color: #fff; font-size: .8rem; }
    .badge.fresh { background: var(--good); } .badge.stale { background: var(--fair); color: #1f2328; } .badge.never { background: var(--poor); }
    .error { color: var(--poor); max-width: 20rem; overflow-wrap: anywhere; }
    .warn { color: #9a6700; }
    details { margin: .5rem 0 1rem; } summary { cursor: pointer; font-weight: 600; }
    table.items { width: auto; min-width: 24rem; }
    code { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: .85em; }
    @media print {
      body { margin: 0; max-width: none; font-size: 10pt; }
      * { -webkit-print-color-adjust: exact; print-color-adjust: exact; }
      section { break-inside: avoid-page; }
      tr { break-inside: avoid; }
      details > summary { list-style: none; }
    }
    @page { size: A4; margin: 15mm; }
    """
}
