import DataflowCore
import DataflowHTTP
import Foundation
import Testing

/// `dataflow catalog import` on both warehouse backends: the report of a first import and a
/// re-import, a bad file that changes nothing, and `dataflow catalog` still printing its report.
@Suite("catalog import on SQLite and PostgreSQL")
struct CatalogueCommandTests {
    static let fixtures = Binaries.repositoryRoot.appendingPathComponent("Fixtures/catalogue")

    @Test(arguments: Backend.allCases)
    func importReImportAndABadFile(_ backend: Backend) throws {
        let sandbox = try Sandbox(rows: 20)
        let project = try CountyProject(sandbox: sandbox, backend: backend)
        // The province's column labels (信息资源名称 …) come from the county's Mappings/catalogue.yml.
        try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/catalogue.yml"),
                                         to: project.root.appendingPathComponent("Mappings/catalogue.yml"))
        let first = try project.dataflow("catalog", "import", Self.fixtures.appendingPathComponent("catalogue.xlsx").path)
        #expect(first.status == 0, "\(first.output)")
        #expect(first.output.contains("imported catalogue.xlsx: 4 resources (import 1)") && first.output.contains("  added 4\n"), "\(first.output)")
        let bad = try project.dataflow("catalog", "import", Self.fixtures.appendingPathComponent("catalogue-bad-share-type.xlsx").path)
        #expect(bad.status == 2)
        #expect(bad.output.contains("row 5, column 共享类型 (E): '部分共享' is not a share type") && bad.output.contains("nothing was imported"), "\(bad.output)")
        let later = try project.dataflow("catalog", "import", Self.fixtures.appendingPathComponent("catalogue-2025.xlsx").path)
        #expect(later.status == 0, "\(later.output)")
        #expect(later.output.contains("(import 2)"), "the bad file left no import behind: \(later.output)")
        #expect(later.output.contains("  added 1\n    330000-MZ-0001 最低生活保障对象信息 — 省民政厅\n"), "\(later.output)")
        #expect(later.output.contains("330000-SCJG-0002 食品经营许可证信息 — 省市场监管局: 共享类型 无条件共享 → 有条件共享"))
        #expect(later.output.contains("  withdrawn 1\n    330000-RS-0001 失业保险金发放信息 — 省人力社保厅\n"))
        let db = try project.reader()
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_catalogue WHERE withdrawn_import IS NULL", []) == 4)
        let report = try project.dataflow("catalog", "--format", "json")
        #expect(report.status == 0 && report.output.contains("\"matters\""), "\(report.output)")
    }

    @Test func gapSourcesAndTheDemandList() throws {
        let sandbox = try Sandbox(rows: 20)
        let project = try CountyProject(sandbox: sandbox)
        try FileManager.default.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/catalogue.yml"),
                                         to: project.root.appendingPathComponent("Mappings/catalogue.yml"))
        // Before any import the 需求清单 cannot be built: a usage error (exit 2), said once.
        let unimported = try CountyProject(sandbox: sandbox)
        #expect(try unimported.dataflow("sync", "--quiet").status == 0)
        let early = try unimported.dataflow("catalog", "--format", "csv", "--csv-table", "demand")
        #expect(early.status == 2, "\(early.output)")
        #expect(early.stderr.contains("no provincial catalogue imported yet") && !early.stderr.contains("ExitCode"), "\(early.stderr)")
        #expect(try project.dataflow("catalog", "import", Self.fixtures.appendingPathComponent("catalogue-2025.xlsx").path).status == 0)

        let table = try project.dataflow("catalog")
        #expect(table.status == 0, "\(table.output)")
        // 企业设立登记 is listed for 330000-SCJG-0001, whose title market_licenses already has: configured.
        let lines = table.output.split(separator: "\n").map(String.init)
        #expect(lines.contains { $0.contains("000105001000") && $0.contains("330000-SCJG-0001") && $0.contains("matter code") && $0.contains("market_licenses") }, "\(table.output)")
        #expect(lines.contains { $0.contains("000107002000") && $0.contains("330000-GA-0001") && $0.contains("不予共享") })
        #expect(table.output.contains("需求清单: 2 resource(s) to request, 1 不予共享 (not requested)"), "\(table.output)")

        let csv = try project.dataflow("catalog", "--format", "csv", "--csv-table", "demand")
        #expect(csv.status == 0, "\(csv.output)")
        let rows = csv.output.split(separator: "\r\n").map(String.init)
        #expect(rows.first == "status,资源代码,资源名称,提供方,共享类型,共享条件,共享方式,事项,职能,申请理由")
        #expect(rows.count == 4, "\(csv.output)")
        #expect(rows[1].hasPrefix("申请 request,330000-MZ-0001,最低生活保障对象信息,省民政厅,有条件共享,限社会救助业务,接口,000113001000 "), "\(rows)")
        #expect(rows.contains { $0.hasPrefix("申请 request,330000-SCJG-0002,食品经营许可证信息") && $0.contains("000105004000 食品经营许可") })
        #expect(rows.last?.hasPrefix("不予共享 not requested,330000-GA-0001,居民户籍信息,省公安厅,不予共享") == true)
        #expect(!csv.output.contains("330000-SCJG-0001"), "a configured resource is not requested again")

        let json = try project.dataflow("catalog", "--format", "json")
        #expect(json.output.contains("\"not_shared\"") && json.output.contains("\"resource_code\" : \"330000-MZ-0001\""), "\(json.output.prefix(400))")
        let markdown = try project.dataflow("catalog", "--format", "markdown")
        #expect(markdown.output.contains("## 需求清单 Demand list (2)") && markdown.output.contains("### 不予共享 — not shared, not requested (1)"))
    }

    @Test func theSandboxServesOneCatalogueAsAnAPIAnXLSXAndACSV() throws {
        let sandbox = try Sandbox(rows: 20)
        let project = try CountyProject(sandbox: sandbox)
        let http = try CurlTransport(options: TransportOptions())
        var outputs: [String] = []
        for (path, file) in [("/catalogue/export.xlsx", "catalogue.xlsx"), ("/catalogue/api", "catalogue.json"), ("/catalogue/export.csv", "catalogue.csv")] {
            let response = try http.send(HTTPRequest(url: sandbox.baseURL + path))
            #expect(response.status == 200)
            let target = project.root.appendingPathComponent(file)
            try Data(response.body).write(to: target)
            let result = try project.dataflow("catalog", "import", target.path)
            #expect(result.status == 0, "\(file): \(result.output)")
            outputs.append(result.output)
        }
        #expect(outputs[0].contains("7 resources (import 1)") && outputs[0].contains("added 7"), "\(outputs[0])")
        #expect(outputs[1].contains("unchanged 7") && outputs[2].contains("unchanged 7"), "the three forms agree: \(outputs)")
        // The stored ZIP's CRCs are right: Python's zipfile checks every member.
        let check = try Command.run("/usr/bin/env", ["python3", "-c", "import sys, zipfile; z = zipfile.ZipFile(sys.argv[1]); assert z.testzip() is None; print(len(z.namelist()))",
                                                     project.root.appendingPathComponent("catalogue.xlsx").path], in: project.root)
        #expect(check.status == 0 && check.output.hasPrefix("6"), "\(check.output)")
    }
}
