import DataflowCore
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
}
