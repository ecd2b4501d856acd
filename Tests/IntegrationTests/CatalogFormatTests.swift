import DataflowCore
import Foundation
import Testing

/// Every catalogue format on a fixed warehouse, against golden files and independent readers
/// (headless Chromium for the HTML page, Python rdflib for DCAT JSON-LD).
@Suite("Catalogue formats on a fixed warehouse")
struct CatalogFormatTests {
    static let extensions: [CatalogFormat: String] = [.table: "txt", .json: "json", .csv: "csv", .markdown: "md", .html: "html", .dcat: "jsonld"]

    @Test func everyFormatMatchesItsGoldenFile() throws {
        let fixed = try FixedWarehouse()
        let report = try fixed.report()
        for format in CatalogFormat.allCases {
            try Golden.check(try format.render(report), "catalog.\(Self.extensions[format] ?? format.rawValue)")
        }
        for table in CoverageCSVRenderer.Table.allCases where table != .datasets {
            try Golden.check(CoverageCSVRenderer.render(report, table: table), "catalog-\(table.rawValue).csv")
        }
        try Golden.check(try CatalogFormat.json.render(try fixed.report(department: "市场监管局")), "catalog-department.json")
    }

    /// The figures the goldens hold, checked on their own so a wrong golden cannot hide them.
    @Test func coverageFiguresOfTheFixedWarehouse() throws {
        let report = try FixedWarehouse().report()
        // Covered: 000105001000 and 000105002000 (fresh licences with rows), 001105001000 (fresh weekly
        // job centres). service_cases is stale, relief_payments never synced, 000105003000 has 0 rows.
        #expect(report.matters.total == 8 && report.matters.covered == 3)
        #expect(report.matters.percent == 37.5)
        #expect(report.functions.total == 5 && report.functions.covered == 2)
        #expect(Set(report.gaps.map(\.code)) == ["000105003000", "000205001000", "001105002000", "000605001000", "000114001000"])
        let byName = Dictionary(uniqueKeysWithValues: report.datasets.map { ($0.dataset, $0) })
        #expect(byName["market_licenses"]?.freshness == "fresh")
        #expect(byName["service_cases"]?.freshness == "stale")
        #expect(byName["job_centres"]?.freshness == "fresh")
        #expect(byName["relief_payments"]?.freshness == "never")
        #expect(byName["market_licenses"]?.openRejects == 2)
        #expect(byName["market_licenses"]?.unresolvedMatterCodes == ["000105999000"])
        #expect(byName["market_licenses"]?.unmappedSourceFields == ["JYFW"])
        #expect(byName["service_cases"]?.lastError == "HTTP 503 from /serviceCases.htm, after 5 retries")
        let market = try #require(report.departments.first { $0.department == "市场监管局" })
        #expect(market.matters.covered == 2 && market.matters.total == 4)
        let catalogue = try #require(byName["relief_payments"]?.catalogue)
        #expect(catalogue.shareType == "不予共享" && catalogue.updateCycle == "每月" && catalogue.provider == "省民政厅")
        #expect(catalogue.items.map(\.dataType) == ["字符型C", "字符型C", "数值型N", "日期型D"])
    }

    @Test func catalogueReadsMetadataNotDatasetTables() throws {
        let fixed = try FixedWarehouse()
        // With the dataset tables gone, every figure is still there: nothing scans them.
        for d in fixed.project.datasets { try fixed.db.exec("DROP TABLE \(Identifier.quoted(d.name))") }
        let report = try fixed.report()
        #expect(report.datasets.first { $0.dataset == "market_licenses" }?.rows == 1200)
        #expect(report.matters.covered == 3)
    }

    @Test func filtersByDepartmentAndDataset() throws {
        let fixed = try FixedWarehouse()
        let market = try fixed.report(department: "市场监管局")
        #expect(market.matters.total == 4 && market.functions.total == 2)
        #expect(market.departments.map(\.department) == ["市场监管局"])
        #expect(market.gaps.allSatisfy { $0.department == "市场监管局" })
        let one = try fixed.report(dataset: "job_centres")
        #expect(one.datasets.map(\.dataset) == ["job_centres"])
        #expect(one.matters.covered == 1)
    }

    @Test func tableIsColouredOnlyWhenAsked() throws {
        let report = try FixedWarehouse().report()
        let plain = CoverageRenderer.table(report)
        let coloured = CoverageRenderer.table(report, colour: TerminalColour(enabled: true))
        #expect(!plain.contains("\u{1B}["))
        #expect(coloured.contains("\u{1B}[32mfresh\u{1B}[0m") && coloured.contains("\u{1B}[31mnever\u{1B}[0m"))
        // Colour never shifts the columns: without the escapes it is the plain table.
        let stripped = coloured.replacingOccurrences(of: "\u{1B}\\[[0-9;]*m", with: "", options: .regularExpression)
        #expect(stripped == plain)
        #expect(TerminalColour.shouldUse(isTerminal: true, environment: [:]))
        #expect(!TerminalColour.shouldUse(isTerminal: false, environment: [:]))
        #expect(!TerminalColour.shouldUse(isTerminal: true, environment: ["NO_COLOR": "1"]))
        #expect(TerminalColour.shouldUse(isTerminal: true, environment: ["NO_COLOR": ""]))
        #expect(!TerminalColour.shouldUse(isTerminal: true, environment: ["TERM": "dumb"]))
    }

    @Test func htmlIsSelfContainedAndRendersInHeadlessChromium() throws {
        let fixed = try FixedWarehouse()
        let html = CoverageHTMLRenderer.render(try fixed.report())
        // Nothing fetched: no scripts, links, images, fonts or imports.
        for needle in ["<script", "src=", "href=", "url(", "@import", "http://", "https://"] {
            #expect(!html.contains(needle), "the page references \(needle)")
        }
        #expect(html.contains("公共就业服务机构目录, 含&quot;零工市场&quot;") && html.contains("失业登记 &lt;含补发&gt;"))
        let page = fixed.root.appendingPathComponent("coverage.html")
        try html.write(to: page, atomically: true, encoding: .utf8)

        let browser = try HeadlessChromium(root: fixed.root)
        let dom = try browser.dumpDOM(page)
        #expect(dom.consoleMessages.isEmpty, "console messages: \(dom.consoleMessages)")
        for heading in ["<h1>义乌市（330782）数据回流资源目录与覆盖率</h1>", "<h2>按部门覆盖率 Coverage by department</h2>",
                        "<h2>按事项类型覆盖率 Coverage by matter type</h2>", "<h2>数据集与新鲜度 Datasets and freshness</h2>",
                        "<h2>信息项 Information items</h2>", "<h2>缺口清单 Gap list</h2>"] {
            #expect(dom.output.contains(heading), "rendered DOM lacks \(heading)")
        }
        #expect(dom.output.contains("<code>000114001000</code>"), "gap list row missing from the DOM")

        let shot = fixed.root.appendingPathComponent("coverage.png")
        let render = try browser.screenshot(page, to: shot)
        #expect(render.consoleMessages.isEmpty, "console messages: \(render.consoleMessages)")
        let pixels = try PNGProbe.analyse(shot)
        #expect(pixels.width == 640 && pixels.height == 1200)
        // The coverage bars and badges are painted: pixels of the "good" green (#2e7d32) and "poor" red (#c62828).
        #expect(pixels.count(r: 0x2E, g: 0x7D, b: 0x32) > 100, "no green bar pixels in the screenshot")
        #expect(pixels.count(r: 0xC6, g: 0x28, b: 0x28) > 100, "no red bar pixels in the screenshot")

        // Printable: Chromium prints it to a PDF of at least one A4 page.
        let pdf = fixed.root.appendingPathComponent("coverage.pdf")
        #expect(try browser.printToPDF(page, to: pdf).consoleMessages.isEmpty)
        let pdfText = String(decoding: (try? Data(contentsOf: pdf)) ?? Data(), as: UTF8.self)
        #expect(pdfText.hasPrefix("%PDF-") && pdfText.contains("/MediaBox [0 0 594.9"), "not an A4 PDF")

        // The console check can fail: a page with a script error is caught.
        let broken = fixed.root.appendingPathComponent("broken.html")
        try "<!DOCTYPE html><html><body><h1>x</h1><script>missingFunction()</script></body></html>".write(to: broken, atomically: true, encoding: .utf8)
        #expect(try browser.dumpDOM(broken).consoleMessages.contains { $0.contains("Uncaught ReferenceError") })
    }

    @Test func dcatIsJSONLDWithTheExpectedTriples() throws {
        let fixed = try FixedWarehouse()
        let file = fixed.root.appendingPathComponent("catalog.jsonld")
        try DCATRenderer.render(try fixed.report()).write(to: file, atomically: true, encoding: .utf8)
        let script = """
        import json, sys
        from rdflib import Graph, Namespace, URIRef, Literal
        from rdflib.namespace import RDF, DCTERMS, FOAF
        DCAT = Namespace("http://www.w3.org/ns/dcat#")
        g = Graph()
        g.parse(sys.argv[1], format="json-ld")
        catalogs = list(g.subjects(RDF.type, DCAT.Catalog))
        datasets = sorted(g.subjects(RDF.type, DCAT.Dataset))
        out = {"triples": len(g), "catalogs": [str(c) for c in catalogs],
               "catalogDatasets": sorted(str(d) for d in g.objects(catalogs[0], DCAT.dataset)) if catalogs else [],
               "datasets": {}}
        for d in datasets:
            publisher = g.value(d, DCTERMS.publisher)
            title = g.value(d, DCTERMS.title)
            out["datasets"][str(g.value(d, DCTERMS.identifier))] = {
                "id": str(d),
                "title": str(title), "titleLang": title.language if isinstance(title, Literal) else None,
                "publisher": str(g.value(publisher, FOAF.name)) if publisher is not None else None,
                "periodicity": str(g.value(d, DCTERMS.accrualPeriodicity)),
                "accessRights": str(g.value(d, DCTERMS.accessRights)),
                "distributions": sorted(str(g.value(x, DCAT.mediaType) or g.value(x, DCTERMS.format)) for x in g.objects(d, DCAT.distribution)),
                "distributionTypes": sorted(str(t) for x in g.objects(d, DCAT.distribution) for t in g.objects(x, RDF.type)),
                "modified": str(g.value(d, DCTERMS.modified)) if g.value(d, DCTERMS.modified) is not None else None,
            }
        print(json.dumps(out, ensure_ascii=False))
        """
        let result = try Command.run(try TestTools.python(), ["-c", script, file.path], in: fixed.root)
        #expect(result.status == 0, "rdflib: \(result.stderr)")
        let parsed = try JSONParser.parse(Array(result.stdout.utf8))
        #expect(parsed["catalogs"] == .array([.string("urn:dataflow:330782:catalog")]))
        let ids = ["job_centres", "market_licenses", "relief_payments", "service_cases"]
        #expect(parsed["catalogDatasets"] == .array(ids.map { .string("urn:dataflow:330782:dataset:\($0)") }))
        let freq = "http://publications.europa.eu/resource/authority/frequency/"
        let access = "http://publications.europa.eu/resource/authority/access-right/"
        let expected: [String: (title: String, publisher: String, periodicity: String, access: String)] = [
            "market_licenses": ("企业营业执照信息", "省市场监管局", freq + "DAILY", access + "RESTRICTED"),
            "service_cases": ("政务服务办件信息", "省大数据局", freq + "DAILY", access + "RESTRICTED"),
            "job_centres": ("公共就业服务机构目录, 含\"零工市场\"", "省人力社保厅 & 省大数据局", freq + "WEEKLY", access + "PUBLIC"),
            "relief_payments": ("最低生活保障金发放信息", "省民政厅", freq + "MONTHLY", access + "NON_PUBLIC"),
        ]
        for (id, e) in expected {
            let d = try #require(parsed.value(at: ["datasets", id]), "dataset \(id) not in the graph")
            #expect(d["title"]?.text == e.title && d["titleLang"]?.text == "zh")
            #expect(d["publisher"]?.text == e.publisher)
            #expect(d["periodicity"]?.text == e.periodicity)
            #expect(d["accessRights"]?.text == e.access)
            #expect(d["distributions"] == .array([.string("NDJSON"), .string("https://www.iana.org/assignments/media-types/text/csv")]))
            #expect(d["distributionTypes"] == .array([.string("http://www.w3.org/ns/dcat#Distribution"), .string("http://www.w3.org/ns/dcat#Distribution")]))
        }
        #expect(parsed.value(at: ["datasets", "market_licenses", "modified"])?.text == "2026-11-29T02:00:10+00:00")  // parsed as xsd:dateTime
        #expect(parsed.value(at: ["datasets", "relief_payments", "modified"]) == .null)
    }

    /// docs/catalog.schema.json is the documented schema: every key the report writes must be in it
    /// (additionalProperties: false), checked by Python's jsonschema.
    @Test func jsonMatchesTheDocumentedSchema() throws {
        let fixed = try FixedWarehouse()
        var files: [String] = []
        for (name, report) in [("all", try fixed.report()), ("department", try fixed.report(department: "市场监管局")),
                               ("dataset", try fixed.report(dataset: "relief_payments"))] {
            let file = fixed.root.appendingPathComponent("catalog-\(name).json")
            try CoverageRenderer.json(report).write(to: file, atomically: true, encoding: .utf8)
            files.append(file.path)
        }
        let script = """
        import json, sys
        from jsonschema import Draft202012Validator
        schema = json.load(open(sys.argv[1]))
        Draft202012Validator.check_schema(schema)
        validator = Draft202012Validator(schema)
        errors = []
        for path in sys.argv[2:]:
            for e in validator.iter_errors(json.load(open(path))):
                errors.append('%s: %s at %s' % (path, e.message, list(e.absolute_path)))
        # The validator must reject what the schema does not document.
        bad = json.load(open(sys.argv[2])); bad['undocumented'] = 1
        if validator.is_valid(bad): errors.append('an undocumented key was accepted')
        print(json.dumps(errors, ensure_ascii=False))
        """
        let schema = Binaries.repositoryRoot.appendingPathComponent("docs/catalog.schema.json").path
        let result = try Command.run(try TestTools.python(), ["-c", script, schema] + files, in: fixed.root)
        #expect(result.status == 0, "\(result.stderr)")
        #expect(result.stdout.trimmingCharacters(in: .whitespacesAndNewlines) == "[]", "\(result.stdout)")
    }

    @Test func catalogCSVIsReadBackByPythonsCSVModuleInEveryEncoding() throws {
        let fixed = try FixedWarehouse()
        let report = try fixed.report()
        let expected: [[String]] = [["资源代码", "资源名称", "提供方", "共享类型", "更新周期"]] + report.datasets.map {
            [$0.catalogue.code, $0.catalogue.title, $0.catalogue.provider, $0.catalogue.shareType, $0.catalogue.updateCycle]
        }
        for (encoding, python) in [("utf8", "utf-8"), ("utf8-bom", "utf-8-sig"), ("gb18030", "gb18030")] {
            let file = fixed.root.appendingPathComponent("catalogue-\(encoding).csv").path
            let result = try Command.run(Binaries.dataflow, ["catalog", "--format", "csv", "--encoding", encoding, "-o", file, "--project", fixed.root.path], in: fixed.root)
            #expect(result.status == 0, "\(result.output)")
            let bytes = try Data(contentsOf: URL(fileURLWithPath: file))
            #expect((bytes.prefix(3) == Data([0xEF, 0xBB, 0xBF])) == (encoding == "utf8-bom"))
            let script = """
            import csv, json, sys
            with open(sys.argv[1], newline='', encoding='\(python)') as f:
                rows = [row[:5] for row in csv.reader(f)]
            print(json.dumps(rows, ensure_ascii=False))
            """
            let py = try Command.run("/usr/bin/env", ["python3", "-c", script, file], in: fixed.root)
            #expect(py.status == 0, "\(py.stderr)")
            #expect(try JSONParser.parse(Array(py.stdout.utf8)) == .array(expected.map { .array($0.map(JSONValue.string)) }), "\(encoding) differs")
        }
        let wrong = try Command.run(Binaries.dataflow, ["catalog", "--format", "json", "--encoding", "gb18030", "--project", fixed.root.path], in: fixed.root)
        #expect(wrong.status == 2 && wrong.stderr.contains("--format csv only"))
    }

    @Test func commandWritesEveryFormat() throws {
        let fixed = try FixedWarehouse()
        func run(_ args: String...) throws -> CommandResult {
            try Command.run(Binaries.dataflow, args + ["--project", fixed.root.path], environment: ["NO_COLOR": "1"], in: fixed.root)
        }
        for format in CatalogFormat.allCases {
            let result = try run("catalog", "--format", format.rawValue)
            #expect(result.status == 0, "\(format): \(result.output)")
            #expect(!result.stdout.contains("\u{1B}["), "\(format) output is coloured although not a terminal")
            switch format {
            case .json, .dcat: #expect((try? JSONParser.parse(Array(result.stdout.utf8))) != nil, "\(format) is not JSON")
            case .csv: #expect(result.stdout.hasPrefix("资源代码,资源名称,提供方,共享类型,更新周期,信息项,"))
            case .markdown: #expect(result.stdout.hasPrefix("# 义乌市"))
            case .html: #expect(result.stdout.hasPrefix("<!DOCTYPE html>"))
            case .table: #expect(result.stdout.contains("Gap list"))
            }
        }
        // On a terminal (script(1) gives a pseudo-terminal) the table is coloured, unless NO_COLOR is set.
        let command = [Binaries.dataflow, "catalog", "--project", fixed.root.path].map { "'\($0)'" }.joined(separator: " ")
        let tty = try Command.run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: ["NO_COLOR": "", "TERM": "xterm"], in: fixed.root)
        // The command reads the real clock (the fixed warehouse's last successes age day by day), so
        // the freshness is green or yellow by the date the test runs; coloured it is either way.
        #expect(tty.status == 0 && tty.stdout.contains(#/\u{1B}\[3[23]m(fresh|stale)\u{1B}\[0m/#), "no colour on a terminal: \(tty.stdout.debugDescription)")
        let noColor = try Command.run("/usr/bin/script", ["-qec", command, "/dev/null"], environment: ["NO_COLOR": "1", "TERM": "xterm"], in: fixed.root)
        #expect(noColor.status == 0 && noColor.stdout.contains("fresh") && !noColor.stdout.contains("\u{1B}["), "NO_COLOR not honoured")

        let file = fixed.root.appendingPathComponent("gaps.csv").path
        #expect(try run("catalog", "--format", "csv", "--csv-table", "gaps", "-o", file).status == 0)
        #expect(try String(contentsOfFile: file, encoding: .utf8).hasPrefix("code,matter,type,department\r\n"))
        let badDepartment = try run("catalog", "--department", "市场监督局")
        #expect(badDepartment.status == 2 && badDepartment.stderr.contains("unknown department '市场监督局'"))
        let badFormat = try run("catalog", "--format", "pdf")
        #expect(badFormat.status == 2 && badFormat.stderr.contains("pdf"))
        // The command's clock is the real one, so only thresholds that hold at any date.
        #expect(try run("catalog", "--fail-under", "100").status == 4)
        #expect(try run("catalog", "--fail-under", "0").status == 0)
    }

    /// The texts of a line of CommonMark code spans separated by ", ", read by CommonMark's rules
    /// (a span ends at the next backtick run of the opening run's length; one space is stripped
    /// from each end when both are spaces and the text is not all spaces), or nil when anything
    /// in the line falls outside a code span.
    static func codeSpans(_ line: Substring) -> [String]? {
        var rest = line[...], spans: [String] = []
        while !rest.isEmpty {
            let open = rest.prefix { $0 == "`" }.count
            guard open > 0 else { return nil }
            rest = rest.dropFirst(open)
            var content = "", closed = false
            while !rest.isEmpty {
                let run = rest.prefix { $0 == "`" }.count
                if run == open { rest = rest.dropFirst(run); closed = true; break }
                if run > 0 { content += rest.prefix(run); rest = rest.dropFirst(run) } else { content.append(rest.removeFirst()) }
            }
            guard closed else { return nil }
            if content.count > 2, content.hasPrefix(" "), content.hasSuffix(" "), content.contains(where: { $0 != " " }) {
                content = String(content.dropFirst().dropLast())
            }
            spans.append(content)
            if rest.isEmpty { break }
            guard rest.hasPrefix(", ") else { return nil }
            rest = rest.dropFirst(2)
        }
        return spans
    }

    /// A gateway member name or matter code with backticks, HTML, a link, pipes or line breaks is
    /// shown as code in the Markdown catalogue: before, it was written raw between single
    /// backticks, so its own backtick ended the code span and the `<img>` and the link rendered.
    @Test func hostileMemberNamesAndMatterCodesStayInsideCodeSpansInMarkdown() throws {
        var report = try FixedWarehouse().report()
        let i = try #require(report.datasets.firstIndex { $0.dataset == "market_licenses" })
        let hostile = "x`<img src=x onerror=alert(1)>`[登录](https://evil.example/)"
        let fields = [hostile, "JYFW", "a\n\n<script>alert(1)</script>\n# 标题", "``|`", " <b> "]
        let codes = ["000105999000", "1|2`<i>x</i>`[y](z)", "`"]
        report.datasets[i].unmappedSourceFields = fields
        report.datasets[i].unresolvedMatterCodes = codes
        let markdown = CoverageMarkdownRenderer.render(report)
        let lines = markdown.split(separator: "\n")
        func spans(after prefix: String) -> [String]? {
            lines.first { $0.hasPrefix(prefix) }.flatMap { Self.codeSpans($0.dropFirst(prefix.count)) }
        }
        #expect(spans(after: "Source fields not in the mapping: ") == fields.map(Redactor.escapingControls), "\(markdown)")
        #expect(spans(after: "Unresolved matter codes: ") == codes, "\(markdown)")
        // A plain name is written as before (`JYFW`; the golden file holds it too).
        #expect(markdown.contains("Source fields not in the mapping: ``x`<img src=x onerror=alert(1)>`[登录](https://evil.example/)``, `JYFW`, "))
    }

    /// U+0600 (and the other prepended marks) joins the character after it into one `Character`:
    /// the HTML and Markdown escapers compared whole `Character`s, so `\u{0600}<` went out as a
    /// raw `<`, and a matter code or member name from a gateway ran a script in the report (headless
    /// Chromium: the `<img onerror>` fired and retitled the page). CR LF, one `Character` too, split
    /// a Markdown table row; ESC and BEL went out raw.
    @Test func aMarkJoinedToMarkupDoesNotSlipPastTheEscapers() throws {
        let fixed = try FixedWarehouse()
        var report = try fixed.report()
        let i = try #require(report.datasets.firstIndex { $0.dataset == "market_licenses" })
        let payload = "\u{0600}<img src=x onerror=document.title=31337 \u{0600}>"
        report.datasets[i].unmappedSourceFields = [payload]
        report.datasets[i].unresolvedMatterCodes = [payload]
        report.datasets[i].catalogue.title = "X\u{0600}|Y\u{0600}<b\u{0600}>bold\r\n第二行\u{1B}]0;pwned\u{07}"
        let html = CoverageHTMLRenderer.render(report)
        #expect(!html.contains("<img") && !html.contains("<b\u{0600}>") && !html.contains("\u{1B}"), "raw markup or ESC in the HTML")
        let page = fixed.root.appendingPathComponent("joined.html")
        try html.write(to: page, atomically: true, encoding: .utf8)
        let dom = try HeadlessChromium(root: fixed.root).dumpDOM(page)
        #expect(dom.consoleMessages.isEmpty, "\(dom.consoleMessages)")
        #expect(!dom.output.contains("<img") && !dom.output.contains("31337</title>"), "the gateway's markup rendered")
        #expect(dom.output.contains("\u{0600}&lt;img src=x onerror=document.title=31337 \u{0600}&gt;"), "the text is shown as text")

        let markdown = CoverageMarkdownRenderer.render(report)
        let row = try #require(markdown.split(separator: "\n").first { $0.contains("第二行") })
        #expect(row.contains("X\u{0600}\\|Y\u{0600}\\<b\u{0600}\\>bold  第二行\\u{1B}\\]0;pwned\\u{7}"), "\(row)")
        #expect(!markdown.contains("\u{1B}") && !markdown.contains("\u{07}") && !markdown.contains("\r"))
    }
}
