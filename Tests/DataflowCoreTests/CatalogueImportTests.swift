import Foundation
import Testing
@testable import DataflowCore

/// `catalog import`: the provincial catalogue from .xlsx (shared and inline strings, a merged
/// two-row header, serial dates) and CSV (UTF-8 with BOM, GB18030), a bad file's row and column,
/// and a re-import's added / changed / withdrawn.
@Suite("Catalogue import: xlsx, CSV, errors and re-import")
struct CatalogueImportTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/catalogue")
    static let repositoryMappings = fixtures.deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Mappings")

    static func importer() throws -> CatalogueImporter {
        CatalogueImporter(columns: try CatalogueColumnMap.load(mappingsPath: repositoryMappings.path, displayPrefix: "Mappings"))
    }

    static func read(_ name: String) throws -> [CatalogueResource] {
        try importer().read(path: fixtures.appendingPathComponent(name).path)
    }

    @Test func anXLSXWithSharedAndInlineStringsAMergedHeaderAndSerialDates() throws {
        let resources = try Self.read("catalogue.xlsx")
        #expect(resources.map(\.code) == ["330000-SCJG-0001", "330000-SCJG-0002", "330000-GA-0001", "330000-RS-0001"])
        let licences = try #require(resources.first)
        // 信息资源名称 (a province's label, inline strings in the sheet) → 资源名称; rich-text shared strings joined.
        #expect(licences.name == "企业营业执照信息" && licences.provider == "省市场监管局")
        #expect(licences.published == "2024-01-01", "serial 45292 with a 年月日 date format")
        #expect(licences.items.map(\.name) == ["统一社会信用代码", "企业名称", "法定代表人", "成立日期"])
        #expect(licences.items.last?.type == "日期型D")
        #expect(licences.shareType == .conditional && licences.shareCondition == "用于政务服务办理" && licences.shareMethod == "接口")
        #expect(licences.updateCycle == "每日")
        #expect(licences.matters == ["000105001000", "000105002000", "000105003000"])
        // The merged group label 备注 (K1:K2) is an unknown column, kept.
        #expect(licences.extra.map(\.0) == ["备注"] && licences.extra.first?.1 == "省级目录2024版")
        #expect(resources[2].shareType == ShareType.none)
    }

    @Test(arguments: ["catalogue-utf8-bom.csv", "catalogue-gb18030.csv"])
    func aCSVInEitherEncoding(_ file: String) throws {
        let csv = try Self.read(file)
        let xlsx = try Self.read("catalogue.xlsx")
        #expect(csv.map(\.code) == xlsx.map(\.code))
        #expect(csv.map(\.name) == xlsx.map(\.name), "no BOM left in the first label, no mojibake")
        #expect(csv.map(\.items) == xlsx.map(\.items))
        #expect(csv.map(\.shareType) == xlsx.map(\.shareType))
        #expect(csv.map(\.matters) == xlsx.map(\.matters))
        #expect(csv.first?.published == "2024-01-03")
    }

    @Test func aBadFileNamesTheRowAndTheColumn() throws {
        #expect(throws: CatalogueImporter.ImportError.self) { try Self.read("catalogue-bad-share-type.xlsx") }
        do { _ = try Self.read("catalogue-bad-share-type.xlsx") } catch {
            #expect("\(error)" == "catalogue-bad-share-type.xlsx: row 5, column 共享类型 (E): '部分共享' is not a share type (expected 无条件共享, 有条件共享 or 不予共享)")
        }
        do { _ = try Self.read("catalogue-empty-code.csv") } catch {
            #expect("\(error)" == "catalogue-empty-code.csv: row 3, column 资源代码: empty resource code (every resource needs its 资源代码)")
        }
        let notXLSX = Array("PK\u{3}\u{4}garbage".utf8)
        #expect(throws: CatalogueImporter.ImportError.self) { try Self.importer().read(bytes: notXLSX, file: "x.xlsx") }
        let noHeader = Array("a,b\n1,2\n".utf8)
        do { _ = try Self.importer().read(bytes: noHeader, file: "x.csv") } catch {
            #expect("\(error)".hasPrefix("x.csv: row 1: no header row names the catalogue's columns"))
        }
    }

    @Test func aCatalogueAPIsJSON() throws {
        let body = """
        {"code":"00","datas":{"total":2,"list":[
          {"资源代码":"R1","资源名称":"企业信息","提供方":"省市场监管局","共享类型":"有条件共享","信息项":[{"name":"统一社会信用代码","type":"C"},{"name":"企业名称"}],"关联事项编码":"000105001000"},
          {"资源代码":"R2","资源名称":"户籍","提供方":"省公安厅","共享类型":"不予共享"}]}}
        """
        let resources = try Self.importer().read(bytes: Array(body.utf8), file: "catalogue.json")
        #expect(resources.map(\.code) == ["R1", "R2"])
        #expect(resources[0].items == [.init(name: "统一社会信用代码", type: "C"), .init(name: "企业名称")])
        #expect(resources[1].shareType == ShareType.none)
        // Lists typed in a web form's text box: lines end in CRLF, one `Character`.
        let typed = #"{"datas":{"list":[{"资源代码":"R3","资源名称":"办件","提供方":"省大数据局","共享类型":"无条件共享","信息项":"名称(C)\r\n日期(D)\r\n","关联事项编码":"000105001000\r\n000105002000"}]}}"#
        let r3 = try #require(try Self.importer().read(bytes: Array(typed.utf8), file: "catalogue.json").first)
        #expect(r3.items == [.init(name: "名称", type: "C"), .init(name: "日期", type: "D")])
        #expect(r3.matters == ["000105001000", "000105002000"])
    }

    /// Excel writes a carriage return in a cell as `_x000D_` and a literal `_x` as `_x005F_x`:
    /// read back as the characters, so a list typed with line breaks splits where it should.
    @Test func spreadsheetEscapesAreReadAsTheirCharacters() throws {
        let sst = Array("<sst><si><t>名称(C)_x000D_\n日期(D)</t></si><si><t>a_x005F_x000D_b</t></si><si><t>_x4e2d_ and _xZZZZ_</t></si></sst>".utf8)
        #expect(XLSXReader.sharedStrings(sst) == ["名称(C)\r\n日期(D)", "a_x000D_b", "中 and _xZZZZ_"])
        #expect(CatalogueImporter.items(XLSXReader.sharedStrings(sst)[0]) == [.init(name: "名称", type: "C"), .init(name: "日期", type: "D")])
    }

    @Test func aReImportReportsAddedChangedAndWithdrawnAndKeepsWithdrawn() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("catalogue-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let warehouse = try SQLWarehouse(dialect: SQLiteDatabase(path: dir.appendingPathComponent("county.db").path), purpose: .sync)
        let store = CatalogueStore(db: warehouse)
        let first = try store.replace(with: try Self.read("catalogue.xlsx"), file: "catalogue.xlsx")
        #expect(first.added.count == 4 && first.changed.isEmpty && first.withdrawn.isEmpty)
        let again = try store.replace(with: try Self.read("catalogue.xlsx"), file: "catalogue.xlsx")
        #expect(again.added.isEmpty && again.changed.isEmpty && again.unchanged == 4, "the same file twice changes nothing")
        let later = try store.replace(with: try Self.read("catalogue-2025.xlsx"), file: "catalogue-2025.xlsx")
        #expect(later.importID == 3)
        #expect(later.added.map(\.code) == ["330000-MZ-0001"])
        #expect(later.changed.map(\.0.code) == ["330000-SCJG-0002"] && later.changed.first?.1 == ["共享类型 无条件共享 → 有条件共享"])
        #expect(later.withdrawn.map(\.code) == ["330000-RS-0001"])
        #expect(try store.resources().map(\.code) == ["330000-GA-0001", "330000-MZ-0001", "330000-SCJG-0001", "330000-SCJG-0002"])
        #expect(try store.resources(includingWithdrawn: true).count == 5)
        #expect(try warehouse.scalarInt("SELECT withdrawn_import FROM _dataflow_catalogue WHERE code = '330000-RS-0001'", []) == 3)
        #expect(try warehouse.scalarInt("SELECT count(*) FROM _dataflow_catalogue_imports", []) == 3)
        // Round trip: what is stored reads back equal.
        #expect(try store.resources().first { $0.code == "330000-SCJG-0001" } == (try Self.read("catalogue-2025.xlsx")).first)
    }
}

@Suite("A hostile workbook is refused by name, never a crash or a hang")
struct HostileWorkbookTests {
    static func sheet(_ body: String, merges: String = "") throws -> XLSXReader.Sheet {
        let xml = "<worksheet><sheetData>\(body)</sheetData>\(merges.isEmpty ? "" : "<mergeCells>\(merges)</mergeCells>")</worksheet>"
        return try XLSXReader.sheet(Array(xml.utf8), name: "目录", strings: [], dateStyles: [], file: "t.xlsx")
    }
    static func cell(_ ref: String, _ text: String) -> String { "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(text)</t></is></c>" }

    static func message(_ body: String, merges: String = "") -> String {
        do { _ = try sheet(body, merges: merges); return "no error" } catch { return "\(error)" }
    }

    @Test func referencesOutsideExcelsGridAreRefused() {
        #expect(Self.message("<row r=\"2\">\(Self.cell("ZZZZZZZZZZZZZZZZ2", "x"))</row>").contains("cell reference 'ZZZZZZZZZZZZZZZZ2' is not a column A to XFD"))
        #expect(Self.message("<row r=\"9223372036854775807\"></row><row></row>").contains("row number '9223372036854775807' is not 1 to 1048576"))
        #expect(Self.message("<row r=\"2\">\(Self.cell("A2", "x"))</row>", merges: "<mergeCell ref=\"A-9223372036854775808:A9223372036854775807\"/>")
            .contains("merged range 'A-9223372036854775808:A92233720368547758' is not two cells A1 to XFD1048576"))
    }

    @Test func aRangeWrittenFromItsFarCornerIsTheSameRange() throws {
        let sheet = try Self.sheet("<row r=\"2\">\(Self.cell("A2", "部门"))\(Self.cell("C2", "甲"))</row><row r=\"3\">\(Self.cell("A3", "x"))</row>",
                                   merges: "<mergeCell ref=\"C3:C2\"/><mergeCell ref=\"B2:A2\"/>")
        #expect(sheet.rows.map(\.cells) == [["部门", "部门", "甲"], ["x", "", "甲"]])
    }

    @Test func aCellFarToTheRightOrThousandsOfMergesAreRefusedNotAllocated() {
        let rows = (2...200).map { "<row r=\"\($0)\">\(Self.cell("A\($0)", "x"))</row>" }.joined()
        #expect(Self.message(rows + "<row r=\"201\">\(Self.cell("XFD201", "far"))</row>").contains("is more than 2000000 cells"))
        let merges = String(repeating: "<mergeCell ref=\"A2:ALK999\"/>", count: 3000)
        #expect(Self.message(rows, merges: merges).contains("merged areas cover more than 2000000 cells"))
    }
}

@Suite("A catalogue's publication date is read or refused, never guessed")
struct CatalogueDateTests {
    @Test func onlyPlausibleSerialDaysAreDates() {
        #expect(CatalogueImporter.date("45292") == "2024-01-01")
        #expect(CatalogueImporter.date("45292.5") == "2024-01-01")
        #expect(CatalogueImporter.date("2024-01-02") == "2024-01-02")
        // A year, a month, hexadecimal or an exponent were serial days of 1905, 2454, 1900 and 1927.
        // A 1904-based workbook (old Mac Excel) counts 1,462 days less for the same day.
        #expect(XLSXReader.date(serial: "43830", date1904: true) == "2024-01-01")
        #expect(XLSXReader.uses1904Dates(Array(#"<workbook><workbookPr date1904="1"/><sheets/></workbook>"#.utf8)))
        #expect(!XLSXReader.uses1904Dates(Array(#"<workbook><workbookPr/><sheets/></workbook>"#.utf8)))
        for text in ["2024", "202401", "0x1F", "1e4", "-45292", "45292.", ".5"] {
            #expect(CatalogueImporter.date(text) == nil, "\(text)")
        }
    }

    /// A number under 发布日期 that is not formatted as a date was read in the 1900 system even in
    /// a workbook counting from 1904: 2024-01-01 became 2019-12-31.
    @Test func aPlainNumberUnderTheDateHeaderCountsFromTheWorkbooksOwnEpoch() throws {
        #expect(CatalogueImporter.date("43830", date1904: true) == "2024-01-01")
        #expect(CatalogueImporter.date("16710", date1904: true) == "1949-10-01")
        #expect(CatalogueImporter.date("16709", date1904: true) == nil)
        // The first day is 1949-10-01 in either system (18171, 1949-09-30, was let through).
        #expect(CatalogueImporter.date("18172") == "1949-10-01" && CatalogueImporter.date("18171") == nil)
        #expect(CatalogueImporter.date("73050") == "2099-12-31" && CatalogueImporter.date("73051") == nil)
        func text(_ ref: String, _ value: String) -> String { "<c r=\"\(ref)\" t=\"inlineStr\"><is><t>\(value)</t></is></c>" }
        let xml = "<worksheet><sheetData><row r=\"1\">" + text("A1", "资源代码") + text("B1", "资源名称") + text("C1", "发布日期")
            + "</row><row r=\"2\">" + text("A2", "330000-SCJG-0001") + text("B2", "企业") + "<c r=\"C2\"><v>43830</v></c></row></sheetData></worksheet>"
        let sheet = try XLSXReader.sheet(Array(xml.utf8), name: "目录", strings: [], dateStyles: [], file: "t.xlsx", date1904: true)
        let resources = try CatalogueImporter(columns: CatalogueColumnMap()).resources(sheet: sheet, file: "t.xlsx")
        #expect(resources.first?.published == "2024-01-01")
    }
}

@Suite("Every catalogue cell is read under its header, or the file is refused")
struct CatalogueCellTests {
    static func message(_ text: String, file: String = "c.csv") -> String {
        do {
            _ = try CatalogueImporter(columns: CatalogueColumnMap()).read(bytes: Array(text.utf8), file: file)
            return "no error"
        } catch { return "\(error)" }
    }

    @Test func cellsOutsideTheHeaderOrMissingAreRefused() {
        let header = "资源代码,资源名称,共享类型\n"
        #expect(Self.message(header + "A1,企业,有条件共享,EXTRA\n").contains("c.csv: row 2, column 4: 'EXTRA' has no header above it"))
        #expect(Self.message(header + "A1,企业\n").contains("c.csv: row 2: the row has 2 cells but the header has 3 columns"))
        #expect(Self.message("资源代码,资源名称,共享类型,共享类型\nA1,企业,有条件共享,不予共享\n").contains("two columns are 共享类型"))
        #expect(Self.message(header + "A\u{0}1,企业,有条件共享\n").contains("holds the character U+0000"))
        #expect(Self.message(header + "A1,\"企业,有条件共享\n").contains("c.csv: CSV line 3: a quoted field is not closed"))
        #expect(Self.message(header + "A1,企业,有条件共享\n") == "no error")
    }

    @Test func aJSONNullIsEmptyNotTheWordNull() {
        #expect(Self.message(#"[{"资源代码": null, "资源名称": "企业"}]"#, file: "c.json").contains("empty resource code"))
        #expect(Self.message(#"[{"资源代码": "A1", "资源名称": null}]"#, file: "c.json").contains("empty resource name for A1"))
    }

    @Test func errorCellsPhoneticRunsAndBytesThatAreNotUTF8() throws {
        func sheet(_ body: String) throws -> XLSXReader.Sheet {
            try XLSXReader.sheet(Array(("<worksheet><sheetData>" + body + "</sheetData></worksheet>").utf8), name: "目录", strings: [], dateStyles: [], file: "t.xlsx")
        }
        #expect(throws: ZipArchive.ZipError.self) { try sheet("<row r=\"1\"><c r=\"A1\" t=\"e\"><v>#REF!</v></c></row>") }
        let phonetic = try sheet("<row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>企业</t><rPh sb=\"0\" eb=\"2\"><t>qiye</t></rPh></is></c></row>")
        #expect(phonetic.rows.first?.cells == ["企业"])
        var broken = Array("<worksheet><sheetData><row r=\"1\"><c r=\"A1\" t=\"inlineStr\"><is><t>".utf8)
        broken += [0xE4, 0xBC] + Array("</t></is></c></row></sheetData></worksheet>".utf8)
        #expect(throws: ZipArchive.ZipError.self) { try XLSXReader.sheet(broken, name: "目录", strings: [], dateStyles: [], file: "t.xlsx") }
    }
}
