import Foundation
import LoopbackGateway
import Testing
@testable import DataflowCore

/// A dataset with the given `fields:` (and extra top-level lines) over the repository's code tables.
struct MappingFixture {
    let project: TestProject
    let config: ProjectConfig
    let mapper: RecordMapper

    static let repositoryCodes = URL(fileURLWithPath: #filePath).deletingLastPathComponent()
        .deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("Mappings/codes")

    init(fields: String, extra: String = "", matters: String? = nil, now: Date = Date()) throws {
        let text = """
        dataset: things
        source: province
        request: { path: /things.htm }
        key: [id]
        \(extra)
        fields:
          id: { from: ID }
        \(fields)
        """
        project = try TestProject(datasets: ["things.yml": text], matters: matters)
        try FileManager.default.copyItem(atPath: MappingFixture.repositoryCodes.path, toPath: project.root + "/Mappings/codes")
        config = try project.load()
        mapper = RecordMapper(dataset: config.datasets[0], dictionaries: config.dictionaries, now: now)
    }

    /// The value of the mapped column, or why the record was rejected.
    enum Outcome: Equatable {
        case success(CellValue)
        case failure([RejectReason])
    }

    /// Maps `{ID: "1", field: value}`; returns the value of column 1 or the reasons.
    func map(_ source: String, _ value: JSONValue?) -> Outcome {
        var members: [(String, JSONValue)] = [("ID", .string("1"))]
        if let value { members.append((source, value)) }
        switch mapper.map(.object(JSONObject(members))) {
        case .row(let row):
            let index = config.datasets[0].fields.firstIndex { $0.from == source } ?? 1
            return .success(row.values[index])
        case .rejected(let r): return .failure(r.reasons)
        }
    }

    func value(_ source: String, _ text: String?) -> CellValue? {
        if case .success(let v) = map(source, text.map(JSONValue.string)) { return v }
        return nil
    }

    func rule(_ source: String, _ text: String) -> String? {
        if case .failure(let reasons) = map(source, .string(text)) { return reasons.first?.rule }
        return nil
    }
}

@Suite("Mapping layer: null_if, transforms, code tables, json, checks, matters")
struct MappingLayerTests {
    @Test func nullIfDefaultsAndOverrides() throws {
        let f = try MappingFixture(fields: """
          a: { from: A }
          b: { from: B, null_if: ["未填写"] }
          c: { from: C, type: decimal }
        """)
        for word in ["", "N/A", "-", "无", "null", "  -  "] { #expect(f.value("A", word) == .null, "\(word)") }
        #expect(f.value("A", "NULL") == .text("NULL"), "null_if is exact")
        #expect(f.value("B", "未填写") == .null)
        #expect(f.value("B", "-") == .text("-"), "a field's null_if replaces the default")
        #expect(f.value("C", "-") == .null, "'-' in a decimal field is no value, not a reject")

        let d = try MappingFixture(fields: "  a: { from: A }", extra: "null_if: [\"/\"]")
        #expect(d.value("A", "/") == .null)
        #expect(d.value("A", "-") == .text("-"), "the dataset's null_if replaces the default")
        #expect(d.value("A", "") == .null, "an empty value is always null")
    }

    @Test func transformsApplyInOrder() throws {
        let f = try MappingFixture(fields: """
          a: { from: A, transform: [collapse] }
          b: { from: B, transform: [half-width, upper] }
          c: { from: C, transform: [{ replace: { pattern: "[^0-9]", with: "" } }] }
          d: { from: D, default: 未知 }
        """)
        #expect(f.value("A", "  义乌  市\t\n 测试　公司 ") == .text("义乌 市 测试 公司"))
        #expect(f.value("B", "ｑｗ１２３　ＡＢＣ，中文、") == .text("QW123 ABC,中文、"), "U+3001 is outside the full-width ASCII block")
        #expect(f.value("C", "0579-8512 3456") == .text("057985123456"))
        #expect(f.value("D", nil) == .text("未知"))
        #expect(f.value("D", "无") == .text("未知"), "null_if applies before default")
        #expect(f.value("D", "有") == .text("有"))
    }

    @Test func codeTablesWithUnknownCodePolicies() throws {
        let f = try MappingFixture(fields: """
          s: { from: S, codes: sex }
          k: { from: K, codes: { table: case_status, unknown: keep } }
          n: { from: N, codes: { table: case_status, unknown: "null" } }
        """)
        #expect(f.value("S", "女") == .text("2"))
        #expect(f.value("S", "1") == .text("1"))
        #expect(f.rule("S", "3") == "codes:sex")
        #expect(f.value("K", "已办结") == .text("办结"))
        #expect(f.value("K", "挂起") == .text("挂起"))
        #expect(f.value("N", "挂起") == .null)
    }

    @Test func jsonFieldsStoreCanonicalJSON() throws {
        let f = try MappingFixture(fields: "  j: { from: J, type: json }")
        let object = try JSONParser.parse(Array(#"{"b": [1, 2.50, "x"], "a": null}"#.utf8))
        #expect(f.map("J", object) == .success(.text(#"{"b":[1,2.50,"x"],"a":null}"#)))
        #expect(f.map("J", .string(#" [1, {"k": "中"}] "#)) == .success(.text(#"[1,{"k":"中"}]"#)), "JSON in a string is decoded")
        #expect(f.rule("J", "{broken") == "type:json")
        #expect(f.value("J", "") == .null)
    }

    @Test func aSourceTypeChangeQuarantinesTheRecord() throws {
        let f = try MappingFixture(fields: """
          name: { from: NAME }
          n: { from: N, type: int }
        """)
        let object = JSONValue.object(JSONObject([("first", .string("张"))]))
        guard case .failure(let reasons) = f.map("NAME", object) else { Issue.record("an object was stored as text"); return }
        #expect(reasons == [RejectReason(field: "name", rule: "type:text", value: #"{"first":"张"}"#, message: "NAME is a JSON object, expected a scalar")])
        guard case .failure(let r2) = f.map("N", .array([.number("1")])) else { Issue.record("an array was stored as int"); return }
        #expect(r2.first?.rule == "type:int")
        #expect(f.map("N", .number("42")) == .success(.integer(42)), "a number where a string was is still a scalar")
    }

    @Test func parameterisedChecks() throws {
        let f = try MappingFixture(fields: """
          r: { from: R, check: { regex: "YW[0-9]{3}" } }
          n: { from: N, type: decimal, check: { range: [0, "99999999999999999999.99"] } }
          e: { from: E, check: { enum: [A, B] } }
          d: { from: D, type: date, check: { date_range: [1949-10-01, today] } }
          p: { from: P, check: phone }
          x: { from: X, check: sex }
          a: { from: A, check: { regex: '(11|12)\\d{4}' } }
          s: { from: S, check: { regex: "YW.{3}" } }
        """, now: Date(timeIntervalSince1970: 1_779_900_000))   // 2026-05-28 00:40 in Asia/Shanghai
        // Anchored to the very end, on both engines: a final line break is not the end of the value.
        #expect(f.value("A", "110105") == .text("110105"))
        #expect(f.rule("A", "110105\n") == "regex", "the full engine's $ matched before a final line break")
        #expect(f.rule("S", "YW12\u{2028}") == "regex", "`.` is no line terminator, as in the full engine")
        #expect(f.value("R", "YW123") == .text("YW123"))
        #expect(f.rule("R", "YW1234") == "regex", "the pattern is anchored")
        #expect(f.rule("R", "xYW123") == "regex")
        #expect(f.value("N", "99999999999999999999.99") == .text("99999999999999999999.99"), "exact, beyond Double")
        #expect(f.rule("N", "100000000000000000000") == "range")
        #expect(f.rule("N", "-0.01") == "range")
        #expect(f.value("N", "-0.00") == .text("0.00"))
        #expect(f.value("E", "B") == .text("B"))
        #expect(f.rule("E", "C") == "enum")
        #expect(f.value("D", "1949-10-01") == .text("1949-10-01"))
        #expect(f.rule("D", "1949-09-30") == "date_range")
        #expect(f.value("D", "2026-05-28") == .text("2026-05-28"))
        #expect(f.rule("D", "2026-05-29") == "date_range", "after today")
        for ok in ["13812345678", "+8613812345678", "0579-85123456", "01085123456", "057985123456", "0579-85123456-123"] {
            #expect(f.value("P", ok) == .text(ok), "\(ok)")
        }
        for bad in ["12812345678", "1381234567", "85123456", "0579-0512345", "phone"] { #expect(f.rule("P", bad) == "phone", "\(bad)") }
        for ok in ["0", "1", "2", "5", "6", "9"] { #expect(f.value("X", ok) == .text(ok)) }
        for bad in ["3", "4", "7", "8", "男", "10"] { #expect(f.rule("X", bad) == "sex", "\(bad)") }
    }

    @Test func citizenIDLegacyNumbersAndDivisionPrefix() throws {
        let f = try MappingFixture(fields: """
          up: { from: UP, check: citizen-id, legacy_id: upgrade }
          rj: { from: RJ, check: citizen-id }
        """)
        #expect(CitizenIDCheck.upgrade("110105491231002") == "11010519491231002X")
        #expect(f.value("UP", "110105491231002") == .text("11010519491231002X"))
        #expect(f.rule("RJ", "110105491231002") == "citizen-id")
        #expect(f.value("RJ", "11010519491231002X") == .text("11010519491231002X"))
        // 330104 江干区 was abolished in 2021: IDs issued there stay valid.
        let old = "33010419800101001" + String(CitizenIDCheck.checkCharacter(for: "33010419800101001") ?? "?")
        #expect(f.value("RJ", old) == .text(old))
        // 999999 never was a division code, though the check character is right.
        let invented = "99999919800101001" + String(CitizenIDCheck.checkCharacter(for: "99999919800101001") ?? "?")
        guard case .failure(let reasons) = f.map("RJ", .string(invented)) else { Issue.record("accepted"); return }
        #expect(reasons.first?.message.contains("division prefix 999999") == true)
    }

    @Test func creditCodeChecksTheEmbeddedOrganisationCode() {
        #expect(CreditCodeCheck.validate("91350100M000100Y43") == nil)
        #expect(CreditCodeCheck.organizationCheckCharacter(for: "M000100Y") == "4")
        // The organisation code example commonly cited from GB 11714: D2143569-X.
        #expect(CreditCodeCheck.organizationCheckCharacter(for: "D2143569") == "X")
        // A code whose MOD 31 check is right but whose organisation code check is wrong.
        let body = "91330782" + "12345678" + "0"
        let code = body + String(CreditCodeCheck.checkCharacter(for: body) ?? "?")
        #expect(CreditCodeCheck.validate(code)?.contains("GB 11714") == true)
        // Individual businesses (92…) are exempt from the organisation-code check.
        let individual = "92330782" + "12345678" + "0"
        #expect(CreditCodeCheck.validate(individual + String(CreditCodeCheck.checkCharacter(for: individual) ?? "?")) == nil)
    }

    @Test func divisionCodesOfSixAndTwelveDigits() throws {
        let f = try MappingFixture(fields: "  d: { from: D, check: division }")
        #expect(f.value("D", "330782") == .text("330782"))
        #expect(f.value("D", "330782001001") == .text("330782001001"))
        #expect(f.value("D", "330104") == .text("330104"), "historical codes are in the snapshot")
        for bad in ["330799", "33078", "3307820010011", "33078a", "330782000001", "330782700001"] { #expect(f.rule("D", bad) == "division", "\(bad)") }
        #expect(DivisionCodeCheck.validate("330782", table: nil) == nil, "without a snapshot the structure is checked")
        #expect(DivisionCodeCheck.validate("990782", table: nil) == "99 is not a province code")
        // The town and village parts of a 12-digit code, read digit by digit.
        #expect(DivisionCodeCheck.validate("330782599999", table: nil) == nil)
        #expect(DivisionCodeCheck.validate("330782000000", table: nil) == nil)
        #expect(DivisionCodeCheck.validate("330782600000", table: nil) == "town part 600 is outside 001–599")
        #expect(DivisionCodeCheck.validate("330782000100", table: nil) == "a village part needs a town part (digits 7–9)")
        #expect(DivisionCodeCheck.validate("３３０７８２", table: nil) == "length 18, expected 6 or 12 digits", "full-width digits are not digits")
    }

    @Test func strictRejectsUnresolvedMatterCodes() throws {
        let loose = try MappingFixture(fields: "", extra: "matters: { field: SXBM }")
        let strict = try MappingFixture(fields: "", extra: "matters: { field: SXBM }\nstrict: true")
        let record = JSONValue.object(JSONObject([("ID", .string("1")), ("SXBM", .string("000105999000"))]))
        guard case .row(let row) = loose.mapper.map(record) else { Issue.record("loose rejected"); return }
        #expect(row.matter == nil && row.matterCode == "000105999000")
        guard case .rejected(let r) = strict.mapper.map(record) else { Issue.record("strict accepted"); return }
        #expect(r.reasons == [RejectReason(field: "SXBM", rule: "matter", value: "000105999000",
                                           message: "SXBM: matter code 000105999000 is not in dictionaries/matters.yml (strict: true)")])
        let known = JSONValue.object(JSONObject([("ID", .string("1")), ("SXBM", .string("000105001000"))]))
        guard case .row = strict.mapper.map(known) else { Issue.record("strict rejected a known code"); return }
    }

    @Test func implementationCodesResolveByUnambiguousTail() {
        let m = [
            Matter(code: "000105001000", name: "a", type: .licensing, department: "d", functions: [], aliases: ["1133078202000000864302320094001"]),
            Matter(code: "000105002000", name: "b", type: .licensing, department: "d", functions: [], aliases: ["1133078202000000864302320094002", "1133078299999999994302320094002"]),
            Matter(code: "000105003000", name: "c", type: .licensing, department: "d", functions: [], aliases: ["1133078202000000864302320094003"]),
            Matter(code: "000105004000", name: "d", type: .licensing, department: "d", functions: [], aliases: ["1133078211111111114302320094003"]),
        ]
        let d = Dictionaries(matters: m, functions: [], version: "x")
        #expect(d.resolve("1133078202000000864302320094001")?.code == "000105001000", "exact alias")
        #expect(d.resolve("000105002000")?.code == "000105002000", "national code")
        #expect(d.resolve("12330782MB00000000" + "4302320094001")?.code == "000105001000", "another body, same tail")
        #expect(d.resolve("12330782MB00000000" + "4302320094002")?.code == "000105002000", "one matter, two listed bodies")
        #expect(d.resolve("12330782MB00000000" + "4302320094003") == nil, "tail shared by two matters: ambiguous")
        #expect(d.resolve("12330782MB00000000" + "4302320099999") == nil)
        #expect(d.resolve("4302320094001") == nil, "a bare tail is not a code")
    }
}

@Suite("Code table files")
struct CodeTableFileTests {
    func load(_ files: [String: String]) throws -> ProjectConfig {
        let p = try TestProject()
        try FileManager.default.createDirectory(atPath: p.root + "/Mappings/codes", withIntermediateDirectories: true)
        for (name, text) in files { try text.write(toFile: p.root + "/Mappings/codes/" + name, atomically: true, encoding: .utf8) }
        return try withExtendedLifetime(p) { try p.load() }
    }

    @Test func tsvWithCommentsAndCRLF() throws {
        let config = try load(["status.tsv": "# 状态\r\n1\t在办\r\n2\t办结\textra column\r\n\r\n2\t已办结\r\n", "kinds.yml": "codes: { a: 甲, \"01\": 乙 }"])
        let status = try #require(config.dictionaries.codes["status"])
        #expect(status.title == "状态")
        #expect(status.entries == ["1": "在办", "2": "已办结"], "a repeated code keeps its last row")
        #expect(config.dictionaries.codes["kinds"]?.lookup("01") == "乙")
    }

    /// The TSV loader splits lines on UTF-8 bytes; it must split exactly where `Character.isNewline`
    /// does (CR LF once, lone CR, VT, FF, NEL, LS, PS), next to text that is not a break (é as e +
    /// combining accent, 中, the bytes C2 and E2 80 in other characters). Random strings, seed printed.
    @Test func tsvLinesBreakWhereCharacterIsNewlineDoes() {
        let seed = UInt64.random(in: 0 ... .max)
        print("tsvLinesBreakWhereCharacterIsNewlineDoes: seed \(seed)")
        var g = SeededGenerator(seed: seed)
        let pieces = ["a", "#", "\t", "1", "中", "é", "e\u{301}", "\u{A9}", "\u{2020}", "\r", "\n", "\r\n",
                      "\u{0B}", "\u{0C}", "\u{85}", "\u{2028}", "\u{2029}", "\u{2027}", " "]
        for _ in 0..<2_000 {
            let text = (0..<Int.random(in: 0...12, using: &g)).map { _ in pieces.randomElement(using: &g)! }.joined()
            let bytes = Array(text.utf8)
            var byByte: [String] = []
            bytes.withUnsafeBufferPointer { buffer in
                CodeTableLoader.forEachLine(buffer) { byByte.append(String(decoding: bytes[$0], as: UTF8.self)); return true }
            }
            let byCharacter = text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).map(String.init)
            #expect(byByte == byCharacter, "\(text.debugDescription) (seed \(seed))")
        }
    }

    @Test func aBadTSVLineIsReportedWithItsPosition() throws {
        #expect(throws: ConfigError.self) { _ = try load(["status.tsv": "1\t在办\nno tab here\n"]) }
        do { _ = try load(["status.tsv": "1\t在办\nno tab here\n"]); Issue.record("loaded") } catch {
            #expect(String(describing: error).hasPrefix("Mappings/codes/status.tsv:2:1: expected CODE<tab>VALUE"), "\(error)")
        }
        do { _ = try load(["a.yml": "title: x\nentries: {}\n"]); Issue.record("a.yml without codes loaded") } catch {
            #expect(String(describing: error).contains("Mappings/codes/a.yml:"), "\(error)")
        }
    }
}
