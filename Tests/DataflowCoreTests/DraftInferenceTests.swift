import Foundation
import Testing
@testable import DataflowCore
import LoopbackGateway

/// The drafter's inferrers on generated, shuffled, partly broken samples. The seed is printed;
/// `DRAFT_SEED=N` replays a run.
@Suite("Draft inference on shuffled, partly broken samples")
struct DraftInferenceTests {
    static let seed: UInt64 = {
        let seed = ProcessInfo.processInfo.environment["DRAFT_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 1...UInt64(UInt32.max))
        print("DraftInferenceTests seed: \(seed) (DRAFT_SEED=\(seed) replays it)")
        return seed
    }()

    static let dictionaries = Dictionaries(matters: [
        Matter(code: "000105001000", name: "企业设立登记", type: .licensing, department: "市场监管局", functions: [], aliases: ["1133078202000000864302320094001"]),
    ], functions: [], version: "test", codes: CodeTables([CheckPropertyTests.divisions]))

    static let glossary = Glossary(terms: ["SFZH": .init(column: "citizen_id", pii: true), "XB": .init(column: "sex", pii: false)])

    /// A valid 18-character citizen ID, or one with a wrong check character.
    static func citizenID(_ g: inout SeededGenerator, valid: Bool) -> String {
        let birth = String(format: "%04d%02d%02d", Int.random(in: 1950...2005, using: &g), Int.random(in: 1...12, using: &g), Int.random(in: 1...28, using: &g))
        let body = "330782" + birth + String(format: "%03d", Int.random(in: 1...999, using: &g))
        let check = CitizenIDCheck.checkCharacter(for: body) ?? "0"
        if valid { return body + String(check) }
        let alphabet = Array("10X98765432")
        let wrong = alphabet[((alphabet.firstIndex(of: check) ?? 0) + 1 + Int.random(in: 0...9, using: &g)) % alphabet.count]
        return body + String(wrong)
    }

    /// 2,000 records: a case number, an ID with 5 % bad check characters, a code with leading
    /// zeros, a 0/1 flag, sex codes, a change time; shuffled.
    static func sample(_ g: inout SeededGenerator, count: Int = 2000) -> [JSONValue] {
        var records: [JSONValue] = []
        for i in 0..<count {
            let code = String(format: "%0\(Int.random(in: 4...6, using: &g))d", Int.random(in: 0...9999, using: &g))
            records.append(.object(JSONObject([
                ("AJBH", .string("AJ" + String(format: "%010d", 7_000_000 + i * 13))),
                ("SFZH", .string(citizenID(&g, valid: i % 20 != 0))),
                ("HYDM", .string(code)),
                ("SFYX", .number(String(Int.random(in: 0...1, using: &g)))),
                ("XB", .string(["1", "2"][Int.random(in: 0...1, using: &g)])),
                ("GXSJ", .string(String(format: "2026-0%d-1%d 0%d:3%d:00", Int.random(in: 1...9, using: &g), Int.random(in: 0...9, using: &g),
                                        Int.random(in: 0...9, using: &g), Int.random(in: 0...9, using: &g)))),
            ])))
        }
        records.shuffle(using: &g)
        return records
    }

    static func field(_ d: DatasetDrafter.Inferred, _ source: String) -> FieldDraft? { d.body.fields.first { $0.source == source } }

    @Test func idsWithFivePercentBadCheckDigitsStillGetTheCitizenIDCheck() throws {
        var g = SeededGenerator(seed: Self.seed)
        let d = DatasetDrafter.infer(records: Self.sample(&g), glossary: Self.glossary, dictionaries: Self.dictionaries)
        let id = try #require(Self.field(d, "SFZH"))
        #expect(id.checks.map(\.value) == [.named(.citizenID)], "seed \(Self.seed)")
        #expect(id.checks.first?.evidence.hasPrefix("1,900/2,000 valid GB 11643 check characters; 100 fail") == true, "\(id.checks.first?.evidence ?? "")")
        #expect(id.pii?.value == true && id.column.value == "citizen_id" && id.type.value == .text)
        // The failing examples in the comment are masked: a dataset file is no place for an ID.
        let evidence = id.checks.first?.evidence ?? ""
        #expect(evidence.contains("330782*") && evidence.range(of: "[0-9]{17}", options: .regularExpression) == nil, "\(evidence)")
    }

    @Test func aNumericLookingCodeWithLeadingZerosStaysText() throws {
        var g = SeededGenerator(seed: Self.seed &+ 1)
        let d = DatasetDrafter.infer(records: Self.sample(&g), glossary: Self.glossary, dictionaries: Self.dictionaries)
        let code = try #require(Self.field(d, "HYDM"))
        #expect(code.type.value == .text, "seed \(Self.seed): \(code.type.evidence)")
        #expect(code.type.evidence.contains("leading zeros"))
        // The flag next to it is a number, and the sex codes get the sex check by name.
        #expect(Self.field(d, "SFYX")?.type.value == .int)
        #expect(Self.field(d, "XB")?.checks.map(\.value) == [.named(.sex)])
    }

    @Test func aColumnOfZerosAndOnesIsNeverTheKey() throws {
        var g = SeededGenerator(seed: Self.seed &+ 2)
        let d = DatasetDrafter.infer(records: Self.sample(&g), glossary: Self.glossary, dictionaries: Self.dictionaries)
        #expect(d.body.key?.value == ["AJBH"], "seed \(Self.seed): \(d.body.key?.evidence ?? "no key")")
        // Two records: the flag is unique in so small a sample, and still not the key.
        let two = Array(Self.sample(&g, count: 40).filter { $0["SFYX"]?.text == "0" }.prefix(1) + Self.sample(&g, count: 40).filter { $0["SFYX"]?.text == "1" }.prefix(1))
        let small = DatasetDrafter.infer(records: two, glossary: Self.glossary, dictionaries: Self.dictionaries)
        #expect(small.body.key?.value != ["SFYX"])
        #expect(small.body.key?.confidence == .uncertain, "two records cannot prove a key")
        // Only the flag is unique: no key is proposed at all.
        let flagsOnly: [JSONValue] = [.object(JSONObject([("SFYX", .number("0")), ("XB", .string("1"))])),
                                      .object(JSONObject([("SFYX", .number("1")), ("XB", .string("1"))]))]
        #expect(DatasetDrafter.infer(records: flagsOnly, glossary: Self.glossary, dictionaries: Self.dictionaries).body.key == nil)
    }

    @Test func datesWithAFewBrokenValuesKeepTheirFormatAndSayWhatIsQuarantined() throws {
        var g = SeededGenerator(seed: Self.seed &+ 3)
        var records = Self.sample(&g, count: 400)
        for i in stride(from: 0, to: records.count, by: 100) {
            if case .object(var o) = records[i] {
                o.members = o.members.map { $0.key == "GXSJ" ? ("GXSJ", .string("2026-13-45 25:61:00")) : $0 }
                records[i] = .object(o)
            }
        }
        let d = DatasetDrafter.infer(records: records, glossary: Self.glossary, dictionaries: Self.dictionaries)
        let time = try #require(Self.field(d, "GXSJ"))
        #expect(time.type.value == .datetime && time.format?.text == "yyyy-MM-dd HH:mm:ss")
        #expect(time.type.evidence.contains("396/400 parse") && time.type.evidence.contains("will be quarantined"), "\(time.type.evidence)")
        // GXSJ is a well-known change-time name, so it is the cursor even though shuffled.
        #expect(d.incrementalCursor?.cursor.value == "GXSJ" && d.incrementalCursor?.sorted == false)
    }

    @Test func matterCodesResolveThroughAliases() {
        let records: [JSONValue] = (0..<30).map { i in
            .object(JSONObject([("ID", .string("X\(i)")), ("SXBM", .string(i % 2 == 0 ? "000105001000" : "1133078202000000864302320094001"))]))
        }
        let d = DatasetDrafter.infer(records: records, glossary: Glossary(), dictionaries: Self.dictionaries)
        #expect(d.body.matter?.value == "SXBM")
        #expect(d.body.matter?.evidence.hasPrefix("30/30 values resolve") == true)
        #expect(!d.body.fields.contains { $0.source == "SXBM" })
    }

    @Test func theWriterReplacesTheMappingAndCommentsEveryDecision() throws {
        var g = SeededGenerator(seed: Self.seed &+ 4)
        var d = DatasetDrafter.infer(records: Self.sample(&g, count: 300), glossary: Self.glossary, dictionaries: Self.dictionaries)
        d.body.header = ["test"]
        let text = DraftWriter.render(original: "dataset: t\nsource: s\nrequest: { path: /x }\nfields:\n  old: { from: OLD }\n", draft: d.body)
        #expect(!text.contains("old:"), "the old fields block is replaced")
        #expect(text.contains("citizen_id: { from: SFZH, type: text, check: citizen-id, pii: true }"), "\(text)")
        #expect(text.contains("  # 285/300 valid GB 11643 check characters; 15 fail"), "\(text)")
        #expect(text.contains("hydm: { from: HYDM, type: text }"))
        // A dataset file saved on Windows (CRLF: one `Character`) is read line by line too: its old
        // fields block goes, and the result parses (a second `fields:` was a duplicate key).
        let windows = DraftWriter.render(original: "dataset: t\r\nsource: s\r\nrequest: { path: /x }\r\nfields:\r\n  old: { from: OLD }\r\n", draft: d.body)
        #expect(!windows.contains("old:"), "\(windows.prefix(300))")
        #expect(throws: Never.self) { try YAMLDocument.parse(windows, file: "t.yml") }
        var resource = CatalogueResource(code: "R1", name: "办件")
        resource.provider = "省大数据局"
        let present = CatalogueDraft.metadata(resource, missingFrom: "dataset: t\r\ntitle: 已有\r\nprovider: 省局\r\n")
        #expect(!present.contains { $0.hasPrefix("title:") || $0.hasPrefix("provider:") }, "\(present)")
    }

    /// A deleted flag's "yes" is the word of the family the sample holds, in the sample's case:
    /// a sample where nothing is deleted yet (only `false`) must not be given another family's word.
    @Test func aDeletedFlagGetsTheYesOfItsOwnFamily() {
        for (values, yes) in [(["false"], "true"), (["FALSE", "TRUE"], "TRUE"), (["False"], "True"), (["N"], "Y"), (["n"], "y"),
                              (["否"], "是"), (["是", "否"], "是"), (["0"], "1")] {
            let records: [JSONValue] = (0..<30).map { i in
                .object(JSONObject([("ID", .string("X\(i)")), ("DEL_FLAG", .string(values[i % values.count]))]))
            }
            let d = DatasetDrafter.infer(records: records, glossary: Self.glossary, dictionaries: Self.dictionaries)
            #expect(d.body.deleted?.value.equals == [yes], "\(values): \(String(describing: d.body.deleted?.value))")
        }
    }

    @Test func theRepositoryGlossaryGivesPersonalDataItsMaskingKind() throws {
        let mappings = CatalogueImportTests.repositoryMappings.path
        let glossary = try Glossary.load(mappingsPath: mappings, displayPrefix: "Mappings")
        #expect(glossary.term(for: "FDDBR") == Glossary.Term(column: "legal_rep", pii: true, kind: .name))
        #expect(glossary.term(for: "住所")?.kind == .address)
        let records: [JSONValue] = (0..<30).map { i in .object(JSONObject([("ID", .string("X\(i)")), ("FDDBR", .string(["王伟", "李娜", "张敏"][i % 3]))])) }
        var d = DatasetDrafter.infer(records: records, glossary: glossary, dictionaries: Self.dictionaries)
        d.body.header = []
        let text = DraftWriter.render(original: "dataset: t\n", draft: d.body)
        #expect(text.contains("legal_rep: { from: FDDBR, type: text, pii: name }"), "\(text)")
    }

    /// The glossary's `pii:` is read by the same parser as a field's: the same words, the same
    /// did-you-mean.
    @Test func theGlossaryReadsPIILikeAFieldDoes() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("glossary-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: root) }
        let file = root.appendingPathComponent("glossary.yml")
        try "terms:\n  XM: { column: person, pii: yes }\n  GSMC: { column: company, pii: no }\n".write(to: file, atomically: true, encoding: .utf8)
        let glossary = try Glossary.load(mappingsPath: root.path, displayPrefix: "Mappings")
        #expect(glossary.term(for: "XM") == Glossary.Term(column: "person", pii: true))
        #expect(glossary.term(for: "GSMC") == Glossary.Term(column: "company", pii: false))
        try "terms:\n  DZ: { column: addr, pii: adress }\n".write(to: file, atomically: true, encoding: .utf8)
        #expect {
            _ = try Glossary.load(mappingsPath: root.path, displayPrefix: "Mappings")
        } throws: { error in
            "\(error)".contains("Mappings/glossary.yml:2:") && "\(error)".contains("unknown pii kind 'adress' (did you mean 'address'?)")
        }
    }

    @Test func theGlossaryNamesAndAnUnknownNameIsLowerCased() {
        let g = Glossary(terms: ["TYSHXYDM": .init(column: "uscc", pii: false), "统一社会信用代码": .init(column: "uscc", pii: false)])
        #expect(g.columnName(for: "tyshxydm").value == "uscc")
        #expect(g.columnName(for: "统一社会信用代码").value == "uscc")
        #expect(g.columnName(for: "Reg-No.").value == "reg_no")
        #expect(g.columnName(for: "2024_total").value == "f_2024_total")
        #expect(g.columnName(for: "select").value == "select_value")
        #expect(g.columnName(for: "备注").confidence == .uncertain)
    }

    // MARK: Composite keys

    /// Statistics per (division code, year): `divisions` × `years` records with a household count
    /// (an int that varies) and a GDP (a decimal, never a key part); with `names`, the division's
    /// name too, which identifies a division as well as its code; with `indicators`, that many
    /// indicator codes per division and year, and no household count. Shuffled.
    static func statistics(_ g: inout SeededGenerator, divisions: Int = 30, years: Int = 50, names: Bool = false, indicators: Int = 0) -> [JSONValue] {
        var records: [JSONValue] = []
        for d in 0..<divisions {
            for y in 0..<years {
                for i in 0..<max(1, indicators) {
                    var members: [(String, JSONValue)] = [("XZQHDM", .string("330782" + String(format: "%03d", d + 1) + "000"))]
                    if names { members.append(("XZQHMC", .string("第\(d + 1)街道"))) }
                    members.append(("TJND", .number(String(1977 + y))))
                    if indicators > 0 { members.append(("ZBDM", .string(String(format: "A%02d", i + 1)))) }
                    // Households repeat within a division; with indicators, the value is the GDP alone.
                    if indicators == 0 { members.append(("HS", .number(String(Int.random(in: 100...104, using: &g))))) }
                    members.append(("GDP", .number(String(format: "%d.%02d", Int.random(in: 1000...9999, using: &g), Int.random(in: 0...99, using: &g)))))
                    records.append(.object(JSONObject(members)))
                }
            }
        }
        records.shuffle(using: &g)
        return records
    }

    /// The drafted file's text (no header) for `records`.
    static func drafted(_ records: [JSONValue]) -> (DatasetDrafter.Inferred, String) {
        var d = DatasetDrafter.infer(records: records, glossary: Self.glossary, dictionaries: Self.dictionaries)
        d.body.header = []
        return (d, DraftWriter.render(original: "dataset: t\n", draft: d.body))
    }

    /// A sample value quoted in an evidence comment, or a member name, that holds a line break
    /// must not end the comment: the rest was written as YAML of the draft's own (a field with
    /// citizen IDs and no `pii`).
    @Test func sampleValuesInCommentsCannotWriteYAML() throws {
        let hostile = ["甲\n  injected: { from: COL_A, type: text } #", "乙\u{2028}  also: { from: COL_A }", "丙"]
        let records: [JSONValue] = (0..<40).map { i in
            .object(JSONObject([("ID", .string("X\(i)")), ("ENUMX", .string(hostile[i % 3])), ("COL_A", .string("v\(i % 2)")),
                                ("WEIRD\nNAME: { from: ID }", .string("w"))]))
        }
        let (_, text) = Self.drafted(records)
        let node = try YAMLDocument.parse(text, file: "draft.yml")
        guard case .mapping(let entries, _) = node, let fields = entries.first(where: { $0.key == "fields" })?.value,
              case .mapping(let columns, _) = fields else { Issue.record("no fields mapping: \(text)"); return }
        #expect(!columns.contains { ["injected", "also"].contains($0.key) }, "\(text)")
        #expect(text.contains("\\n  injected") || !text.contains("injected:"), "\(text)")
        #expect(!text.split(separator: "\n").contains { $0.trimmingCharacters(in: .whitespaces).hasPrefix("injected:") }, "\(text)")
    }

    /// Columns under names the glossary does not know, whose IDs or phone numbers fail their check
    /// too often for `check:`, or that mix the two: personal all the same.
    @Test func idsAndPhonesTooOftenWrongForACheckAreStillPersonal() {
        var g = SeededGenerator(seed: Self.seed &+ 21)
        let records: [JSONValue] = (0..<40).map { i in
            let mobile = "13\(Int.random(in: 100_000_000...999_999_999, using: &g))"
            return .object(JSONObject([
                ("ID", .string("X\(i)")),
                ("COL_E", .string(Self.citizenID(&g, valid: i % 10 != 0))),
                ("COL_F", .string(i % 10 == 0 ? String(mobile.prefix(10)) : mobile)),
                ("COL_G", .string(i % 2 == 0 ? Self.citizenID(&g, valid: true) : mobile)),
            ]))
        }
        let (_, text) = Self.drafted(records)
        for column in ["col_e", "col_f", "col_g"] {
            let line = text.split(separator: "\n").first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(column + ":") } ?? ""
            #expect(line.contains("pii:") && line.contains("type: text"), "seed \(Self.seed): \(line)\n\(text)")
        }
        #expect(text.contains("values have the shape of personal data"), "\(text)")
    }

    @Test func statisticsPerDivisionAndYearGetAKeyOfBoth() throws {
        var g = SeededGenerator(seed: Self.seed &+ 10)
        let (d, text) = Self.drafted(Self.statistics(&g))
        let key = try #require(d.body.key, "seed \(Self.seed): \(text)")
        #expect(key.value == ["XZQHDM", "TJND"], "seed \(Self.seed): \(key.evidence)")
        #expect(key.evidence == "XZQHDM + TJND: unique together in 1,500 records (no single field is unique); XZQHDM alone repeats 1,470 times, TJND alone repeats 1,450 times")
        #expect(key.confidence == .certain, "no other pair is unique: \(key.evidence)")
        #expect(text.contains("# key: XZQHDM + TJND: unique together in 1,500 records (no single field is unique); ") && text.contains("\nkey: [xzqhdm, tjnd]\n"), "\(text)")
        #expect(Self.field(d, "XZQHDM")?.required == true && Self.field(d, "TJND")?.required == true && Self.field(d, "HS")?.required == false)

        // The division's name identifies a division as well as its code: another pair works, so
        // the draft asks, and names it.
        let (named, namedText) = Self.drafted(Self.statistics(&g, names: true))
        #expect(named.body.key?.value == ["XZQHDM", "TJND"], "seed \(Self.seed): \(named.body.key?.evidence ?? "no key")")
        #expect(named.body.key?.confidence == .uncertain)
        #expect(namedText.contains("# key: CHECK: XZQHDM + TJND: unique together in 1,500 records") && namedText.contains("; XZQHMC + TJND would also do"), "\(namedText)")

        // Twelve records prove nothing, however unique they are.
        let (small, smallText) = Self.drafted(Self.statistics(&g, divisions: 3, years: 4))
        #expect(small.body.key?.value == ["XZQHDM", "TJND"] && small.body.key?.confidence == .uncertain, "seed \(Self.seed): \(smallText)")
        #expect(smallText.contains("; only 12 records, too few to prove a key"), "\(smallText)")
    }

    @Test func indicatorsPerDivisionAndYearGetAKeyOfThree() throws {
        var g = SeededGenerator(seed: Self.seed &+ 11)
        let (d, text) = Self.drafted(Self.statistics(&g, divisions: 10, years: 5, indicators: 4))
        let key = try #require(d.body.key, "seed \(Self.seed): \(text)")
        #expect(key.value == ["XZQHDM", "TJND", "ZBDM"], "seed \(Self.seed): \(key.evidence)")
        #expect(key.evidence.hasPrefix("XZQHDM + TJND + ZBDM: unique together in 200 records (no single field is unique); XZQHDM alone repeats 190 times, TJND alone repeats 195 times, ZBDM alone repeats 196 times"), "\(key.evidence)")
        #expect(key.confidence == .certain, "\(key.evidence)")
        #expect(text.contains("\nkey: [xzqhdm, tjnd, zbdm]\n"), "\(text)")
    }

    @Test func aSingleUniqueFieldBeatsAnyCombination() throws {
        var g = SeededGenerator(seed: Self.seed &+ 12)
        let statistics = Self.statistics(&g, divisions: 10, years: 5)
        // A record number on each record: it is the key, though division and year are unique too.
        let numbered: [JSONValue] = statistics.enumerated().map { i, record in
            guard case .object(let o) = record else { return record }
            return .object(JSONObject([("JLBH", .string(String(format: "R%05d", i)))] + o.members))
        }
        let single = Self.drafted(numbered).0.body.key
        #expect(single?.value == ["JLBH"] && single?.confidence == .certain, "seed \(Self.seed): \(single?.evidence ?? "no key")")
        #expect(single?.evidence.hasPrefix("JLBH: unique in 50 non-empty values (an identifier by name)") == true, "\(single?.evidence ?? "")")
        // Without it, the same records are keyed by the pair.
        #expect(Self.drafted(statistics).0.body.key?.value == ["XZQHDM", "TJND"])
    }

    @Test func noUniqueCombinationNamesTheClosestInTheCheckLine() throws {
        var g = SeededGenerator(seed: Self.seed &+ 13)
        var records = Self.statistics(&g, divisions: 10, years: 5, indicators: 4)
        // Three records sent twice, with another value: no combination of key fields is unique.
        records += records.prefix(3).map { record in
            guard case .object(var o) = record else { return record }
            o.members = o.members.map { $0.key == "GDP" ? ("GDP", .number("1.00")) : $0 }
            return .object(o)
        }
        let (d, text) = Self.drafted(records)
        #expect(d.body.key == nil, "seed \(Self.seed): \(d.body.key?.evidence ?? "")")
        #expect(text.contains("# CHECK: no field is unique and always present in the sample: name the key column(s); no combination of up to 3 fields is unique either; closest: XZQHDM + TJND + ZBDM, where 3/203 records repeat another's values\n"), "\(text)")
    }

    @Test func aFlagOrTheCursorIsNeverPartOfACompositeKey() throws {
        // Licences per (enterprise, licence type): the flag and the change time single out a
        // record within an enterprise as well, and must not be proposed with it.
        func licences(typesDiffer: Bool) -> [JSONValue] {
            (0..<40).map { i in
                .object(JSONObject([
                    ("QYBH", .string(String(format: "QY%03d", i / 2))),
                    ("SFYX", .number(String(i % 2))),
                    ("GXSJ", .string(String(format: "2026-01-01 08:%02d:00", i))),
                    ("ZZLX", .string(typesDiffer && i % 2 == 1 ? "药品零售" : "食品经营")),
                ]))
            }
        }
        var g = SeededGenerator(seed: Self.seed &+ 14)
        var records = licences(typesDiffer: true)
        records.shuffle(using: &g)
        let (d, text) = Self.drafted(records)
        #expect(d.incrementalCursor?.cursor.value == "GXSJ")
        let key = try #require(d.body.key, "\(text)")
        #expect(key.value == ["QYBH", "ZZLX"] && key.confidence == .certain, "seed \(Self.seed): \(key.evidence)")
        #expect(!key.evidence.contains("SFYX") && !key.evidence.contains("GXSJ"), "\(key.evidence)")
        // Only the flag (or the time) tells an enterprise's two records apart: no key, and the
        // lead names the fields a key may hold.
        let (none, noneText) = Self.drafted(licences(typesDiffer: false))
        #expect(none.body.key == nil, "\(none.body.key?.evidence ?? "")")
        #expect(noneText.contains("; closest: QYBH + ZZLX, where 20/40 records repeat another's values\n"), "\(noneText)")
    }

    @Test func aWideSampleCombinesOnlyTheBestRankedFields() throws {
        // 150 small-number columns that repeat within an enterprise, then the key fields last.
        func wide(keyNamed: Bool) -> [JSONValue] {
            (0..<300).map { i in
                let enterprise = i / 3
                var members: [(String, JSONValue)] = (1...150).map { j in (String(format: "F%03d", j), .number(String((enterprise + j) % 5))) }
                members += keyNamed
                    ? [("QYBH", .string(String(format: "QY%04d", enterprise))), ("ZZLX", .string(["食品经营", "药品零售", "餐饮服务"][i % 3]))]
                    : [("K1", .number(String(enterprise + 10))), ("K2", .number(String(i % 3 + 2)))]
                return .object(JSONObject(members))
            }
        }
        // An identifier by name ranks into the 12 combined, wherever it stands.
        let (named, namedText) = Self.drafted(wide(keyNamed: true))
        #expect(named.body.key?.value == ["QYBH", "ZZLX"], "\(named.body.key?.evidence ?? namedText)")
        #expect(named.body.key?.confidence == .uncertain && named.body.key?.evidence.hasSuffix("; only the 12 best-ranked of 152 candidate fields were combined") == true,
                "\(named.body.key?.evidence ?? "")")
        // Plain numbers at the end fall outside the bound: not found, and the CHECK line says so.
        let (plain, plainText) = Self.drafted(wide(keyNamed: false))
        #expect(plain.body.key == nil, "\(plain.body.key?.evidence ?? "")")
        #expect(plainText.contains("(only the 12 best-ranked of 152 candidate fields were combined)\n"), "\(plainText)")
        // The bound itself: 66 pairs and 220 triples of the 12, not the 585,276 of all 152.
        let candidates = ColumnProfile.profiles(of: wide(keyNamed: false)).map { RoleInferrer.KeyCandidate(profile: $0, score: 40, why: "numbers") }
        let search = CompositeKeySearch(candidates: candidates).run()
        #expect(search.combinationsTried == 66 + 220 && search.key == nil && search.hint != nil)
    }
}
