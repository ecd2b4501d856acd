import Testing
@testable import DataflowCore

@Suite("Record mapping, checks, content hash")
struct RecordMapperTests {
    func mapper() throws -> (RecordMapper, TestProject) {
        let p = try TestProject(datasets: ["licences.yml": TestProject.licences])
        let project = try p.load()
        return (RecordMapper(dataset: project.datasets[0], dictionaries: project.dictionaries), p)
    }

    func record(_ overrides: [String: String?] = [:]) -> JSONValue {
        var fields: [(String, String?)] = [
            ("TYSHXYDM", "91350100M000100Y43"), ("QYMC", "  义乌市测试商贸有限公司 "), ("FDDBR", "张三"), ("CLRQ", "20200131"),
            ("ZCZB", "100.50"), ("RS", "12"), ("UPDATE_TIME", "2026-01-01 08:00:00"), ("DEL_FLAG", "0"),
            ("SXBM", "1133078202000000864302320094001"),
        ]
        for (k, v) in overrides {
            if let i = fields.firstIndex(where: { $0.0 == k }) { fields[i].1 = v } else { fields.append((k, v)) }
        }
        return .object(JSONObject(fields.map { ($0.0, $0.1.map(JSONValue.string) ?? .null) }))
    }

    /// A cursor walk reads each record's cursor for its next request and hands them to `mapPage`:
    /// the page must map exactly as when the mapper reads every cursor itself, record by record
    /// (valid, unparseable and missing cursors, a rejected record, a record that is not an object).
    @Test func aPageMapsTheSameWithTheCursorsItsWalkReadFirst() throws {
        let (m, _p) = try mapper()
        _ = _p
        let inc = try #require(m.dataset.incremental)
        let records: [JSONValue] = [record(), record(["UPDATE_TIME": "2026-02-01 09:30:00"]), record(["UPDATE_TIME": "not a time"]),
                                    record(["UPDATE_TIME": nil]), record(["TYSHXYDM": nil, "UPDATE_TIME": "2026-03-01 00:00:00"]),
                                    .string("not an object"), record(["UPDATE_TIME": "2025-12-31 23:59:59"])]
        // Read as the cursor walk reads them: one hint carried through the page.
        var hint = 0
        let cursors = records.map { r -> Int? in if case .object(let o) = r { return RecordMapper.cursor(of: o, inc, hint: &hint) } else { return nil } }
        #expect(cursors.compactMap { $0 }.count == 4)
        let plain = m.mapPage(records), given = m.mapPage(records, cursors: cursors)
        #expect(given.rows.map(\.cursor) == plain.rows.map(\.cursor))
        #expect(given.rows.map(\.hash) == plain.rows.map(\.hash))
        #expect(given.rejects.map(\.cursor) == plain.rejects.map(\.cursor))
        #expect(plain.rows.count == 4 && plain.rejects.count == 3, "\(plain.rows.count) rows, \(plain.rejects.map(\.reasons))")
        #expect(given.maxCursor == plain.maxCursor && given.maxCursor == cursors.compactMap { $0 }.max())
        #expect(given.withoutCursor == plain.withoutCursor && plain.withoutCursor == 3)
        #expect(given.fingerprint == plain.fingerprint)
    }

    @Test func mapsTypesTransformsAndMatterAlias() throws {
        let (m, _p) = try mapper()
        _ = _p
        guard case .row(let row) = m.map(record()) else { Issue.record("rejected"); return }
        #expect(row.key == "91350100M000100Y43")
        #expect(row.values == [.text("91350100M000100Y43"), .text("义乌市测试商贸有限公司"), .text("张三"), .text("2020-01-31"),
                               .text("100.50"), .integer(12), .text("2026-01-01T08:00:00+08:00")])
        #expect(row.matter == "000105001000")
        #expect(row.matterCode == "1133078202000000864302320094001")
        #expect(row.deleted == false)
        #expect(row.cursor == 1_767_225_600)
    }

    @Test func deletedFlagAndUnresolvedMatterKeepTheRecord() throws {
        let (m, _p) = try mapper()
        _ = _p
        guard case .row(let row) = m.map(record(["DEL_FLAG": "1", "SXBM": "999"])) else { Issue.record("rejected"); return }
        #expect(row.deleted)
        #expect(row.matter == nil)
        #expect(row.matterCode == "999")
    }

    @Test("invalid records are rejected with machine-readable reasons", arguments: [
        (["TYSHXYDM": "91350100M000100Y44"], "uscc", "uscc"),
        (["TYSHXYDM": ""], "key", "uscc"),
        (["TYSHXYDM": nil], "key", "uscc"),
        (["CLRQ": "20201301"], "type:date", "established"),
        (["ZCZB": "1,000"], "type:decimal", "capital"),
        (["RS": "twelve"], "type:int", "staff"),
        (["UPDATE_TIME": "yesterday"], "type:datetime", "updated_at"),
    ] as [([String: String?], String, String)])
    func rejects(_ overrides: [String: String?], _ rule: String, _ field: String) throws {
        let (m, _p) = try mapper()
        _ = _p
        guard case .rejected(let r) = m.map(record(overrides)) else { Issue.record("accepted"); return }
        #expect(r.reasons.contains { $0.rule == rule && $0.field == field }, "\(r.reasons)")
        #expect(r.record == record(overrides))
        #expect(r.reasonsJSON.contains("\"rule\":\"\(rule)\""))
    }

    @Test func contentHashChangesWithAnyValueAndOnlyThen() throws {
        let (m, _p) = try mapper()
        _ = _p
        func hash(_ o: [String: String?]) -> String? { if case .row(let r) = m.map(record(o)) { return r.hash }; return nil }
        let base = try #require(hash([:]))
        #expect(hash([:]) == base)
        #expect(hash(["QYMC": "义乌市测试商贸有限公司"]) == base, "trim makes these equal")
        for change in [["QYMC": "别的公司"], ["ZCZB": "100.5"], ["DEL_FLAG": "1"], ["SXBM": "000105001000"], ["FDDBR": nil], ["RS": "13"]] as [[String: String?]] {
            #expect(hash(change) != base, "\(change)")
        }
        // Null hashes differently from any text; the default null_if makes "null", "-", "无"… null.
        #expect(hash(["FDDBR": "NULLish"]) != hash(["FDDBR": nil]))
        #expect(hash(["FDDBR": "null"]) == hash(["FDDBR": nil]))
        #expect(hash(["FDDBR": "无"]) == hash(["FDDBR": nil]))
    }

    /// The legal representative's value as mapped with `null_if` set to `nullIf` (YAML), and the
    /// project that must stay alive while it is used.
    func legalRepMapper(nullIf: String) throws -> ((String) -> CellValue?, TestProject) {
        let yaml = TestProject.licences.replacingOccurrences(of: "pii: true }", with: "pii: true, null_if: \(nullIf) }")
        let p = try TestProject(datasets: ["licences.yml": yaml])
        let project = try p.load()
        let m = RecordMapper(dataset: project.datasets[0], dictionaries: project.dictionaries)
        return ({ value in
            if case .row(let r) = m.map(record(["FDDBR": value])) { return r.values[2] }
            return nil
        }, p)
    }

    /// `null_if` compares as Swift strings do (canonical equivalence), so a value written in
    /// another normal form of a null word is null too: the length bound that lets long values
    /// skip the lookup must not cut these off.
    @Test func nullIfMatchesCanonicallyEqualTextsOfAnotherLength() throws {
        let (legalRep, _p) = try legalRepMapper(nullIf: #"["Å"]"#)
        _ = _p
        #expect(legalRep("\u{00C5}") == .null, "the null word as written (2 UTF-8 bytes)")
        #expect(legalRep("A\u{030A}") == .null, "decomposed: 3 bytes, canonically equal")
        #expect(legalRep("\u{212B}") == .null, "the Angstrom sign: canonically equal")
        #expect(legalRep("Å Å Å Å") == .text("Å Å Å Å"))
        #expect(legalRep("张三") == .text("张三"))
    }

    /// A Chinese text is compared with Chinese null words in bytes, not hashed; a null word or a
    /// text with a compatibility ideograph (U+F900 豈 is canonically U+8C48 豈) is still compared
    /// as Swift strings are, both ways.
    @Test func nullIfComparesChineseTextInBytesAndKeepsCanonicalEquivalence() throws {
        let (plain, _p) = try legalRepMapper(nullIf: #"["无", "-"]"#)
        _ = _p
        #expect(plain("无") == .null)
        #expect(plain(" 无 ") == .null, "trimmed first")
        #expect(plain("无无") == .text("无无"))
        #expect(plain("张三") == .text("张三"))
        #expect(plain("\u{F900}") == .text("\u{F900}"))
        let (compatibilityWord, _q) = try legalRepMapper(nullIf: "[\"\u{F900}\"]")
        _ = _q
        #expect(compatibilityWord("\u{8C48}") == .null, "the unified ideograph equals the compatibility one")
        #expect(compatibilityWord("\u{F900}") == .null)
        let (unifiedWord, _r) = try legalRepMapper(nullIf: "[\"\u{8C48}\"]")
        _ = _r
        #expect(unifiedWord("\u{F900}") == .null, "and the other way round")
        #expect(unifiedWord("\u{8C48}") == .null)
        let self0 = Array("无-A豈".utf8), other = Array("é".utf8), compatibility = Array("\u{F900}".utf8)
        #expect(self0.withUnsafeBufferPointer(RecordMapper.FieldPlan.isSelfDecomposed))
        #expect(!other.withUnsafeBufferPointer(RecordMapper.FieldPlan.isSelfDecomposed))
        #expect(!compatibility.withUnsafeBufferPointer(RecordMapper.FieldPlan.isSelfDecomposed))
    }

    /// Every scalar `isSelfDecomposed` accepts is canonically equal to no other single scalar but
    /// the compatibility ideographs that decompose to it (which it does not accept).
    @Test func theSelfDecomposedScalarsEqualOnlyThemselves() {
        let accepted = (UInt32(0x4000)...0x9FFF).compactMap(Unicode.Scalar.init)
        let byText = Dictionary(uniqueKeysWithValues: accepted.map { (String($0), $0.value) })
        for v in UInt32(0)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v), let equal = byText[String(scalar)], equal != v else { continue }
            #expect(!Array(String(scalar).utf8).withUnsafeBufferPointer(RecordMapper.FieldPlan.isSelfDecomposed),
                    "U+\(String(v, radix: 16)) equals U+\(String(equal, radix: 16)) and must not be compared in bytes")
        }
    }

    /// An ASCII text is compared with the null words' ASCII equivalents in bytes, not hashed: a
    /// null word written with a character whose canonical decomposition is ASCII (the Kelvin
    /// sign is "K") must still make that ASCII text null, and the other way round.
    @Test func nullIfComparesASCIITextWithTheNullWordsASCIIEquivalents() throws {
        let (legalRep, _p) = try legalRepMapper(nullIf: "[\"\u{212A}\", \"n/a\", \"\u{037E}\u{037E}\"]")
        _ = _p
        #expect(legalRep("K") == .null, "ASCII K equals the Kelvin sign")
        #expect(legalRep("\u{212A}") == .null)
        #expect(legalRep("n/a") == .null)
        #expect(legalRep(";;") == .null, "two Greek question marks are two semicolons")
        #expect(legalRep("N/A") == .text("N/A"), "comparison is exact, not case-folded")
        #expect(legalRep("k") == .text("k"))
        #expect(legalRep(";") == .text(";"))
        #expect(legalRep("n/a ") == .null, "trimmed first")
    }

    /// `singletonsToASCII` must list every scalar that is canonically equal to an ASCII character,
    /// or an ASCII text would miss a null word written with it.
    @Test func theSingletonsToASCIIAreEveryScalarCanonicallyEqualToASCII() {
        let ascii = Dictionary(uniqueKeysWithValues: (0..<128).map { (String(UnicodeScalar(UInt8($0))), UInt8($0)) })
        var found: [UInt32: UInt8] = [:]
        for v in UInt32(0x80)...0x10FFFF {
            guard let scalar = Unicode.Scalar(v), let b = ascii[String(scalar)] else { continue }
            found[v] = b
        }
        #expect(found == RecordMapper.FieldPlan.singletonsToASCII)
    }

    @Test func unknownSourceFieldsAreReportedAsDrift() throws {
        let (m, _p) = try mapper()
        _ = _p
        #expect(m.knownSourceFields.contains("TYSHXYDM"))
        #expect(m.knownSourceFields.contains("DEL_FLAG"))
        #expect(!m.knownSourceFields.contains("NEW_FIELD"))
    }

    /// An `int` that is a whole number too large for 64 bits is rejected as out of range (and
    /// says which type holds it), not as "not a whole number".
    @Test func anIntegerOutsideSixtyFourBitsSaysSo() throws {
        let (m, _p) = try mapper()
        _ = _p
        func message(_ staff: String) -> String? {
            guard case .rejected(let r) = m.map(record(["RS": staff])) else { return nil }
            return r.reasons.first { $0.rule == "type:int" }?.message
        }
        for big in ["9223372036854775808", "-9223372036854775809", "+99999999999999999999", " 18446744073709551616 "] {
            #expect(message(big)?.contains("outside the 64-bit range") == true, "\(big): \(String(describing: message(big)))")
        }
        for bad in ["twelve", "--5", "1e3", "5.0", "+"] {  // ("-" is a null_if word)
            #expect(message(bad)?.contains("not a whole number") == true, "\(bad): \(String(describing: message(bad)))")
        }
        guard case .row = m.map(record(["RS": "9223372036854775807"])) else { Issue.record("the largest Int64 must map"); return }
    }

    /// A key is stored and compared in NFC: canonically equivalent keys give the same bytes (so the
    /// warehouse, which compares bytes, and the page's own bookkeeping, which compares as Swift
    /// does, agree), the key's column keeps the text as sent, and ASCII keys are untouched.
    @Test func keysCanonicallyEqualInAnyUnicodeFormGiveTheSameKeyBytes() throws {
        let p = try TestProject(datasets: ["shops.yml": """
            dataset: shops
            source: province
            request: { path: /shops, pagination: { type: none } }
            key: [name, branch]
            fields:
              name:   { from: MC, type: text, transform: [trim] }
              branch: { from: FD, type: text }
            """])
        let project = try p.load()
        let m = RecordMapper(dataset: project.datasets[0], dictionaries: project.dictionaries)
        func key(_ name: String, _ branch: String) -> (key: String, name: String?) {
            guard case .row(let row) = m.map(.object(JSONObject([("MC", .string(name)), ("FD", .string(branch))]))) else {
                Issue.record("not mapped: \(name)")
                return ("", nil)
            }
            return (row.key, row.values[0].text)
        }
        // (composed, decomposed or mixed) pairs: é, Å with ring, Hangul syllable 간 from jamo, a
        // CJK compatibility ideograph (U+F900, whose NFC is U+8C48) and ASCII.
        let pairs: [(String, String)] = [("caf\u{E9}", "cafe\u{301}"), ("\u{C5}ngstr\u{F6}m", "A\u{30A}ngstro\u{308}m"),
                                         ("\u{AC04}", "\u{1100}\u{1161}\u{11AB}"), ("\u{8C48}", "\u{F900}"), ("义乌 e\u{301}", "义乌 \u{E9}")]
        for (a, b) in pairs {
            let ka = key(a, "总店"), kb = key(b, "总店")
            #expect(Array(ka.key.utf8) == Array(kb.key.utf8), "\(Array(a.unicodeScalars)) vs \(Array(b.unicodeScalars))")
            #expect(Array(ka.key.utf8) == Array((a.precomposedStringWithCanonicalMapping + "\u{1F}总店").utf8))
            // The column holds what the gateway sent; only the identity is normalized.
            #expect(kb.name.map { Array($0.utf8) } == Array(b.utf8))
        }
        // The second part of a composite key is normalized too.
        #expect(Array(key("A", "e\u{301}").key.utf8) == Array("A\u{1F}\u{E9}".utf8))
        // ASCII (every key of the example county) comes back byte for byte.
        let ascii = "91350100M000100Y43"
        #expect(Array(key(ascii, "x").key.utf8) == Array((ascii + "\u{1F}x").utf8))
        // Keys that are different text stay different.
        #expect(key("e", "1").key != key("\u{E9}", "1").key)
    }

    /// PostgreSQL's `text` cannot hold U+0000 (COPY fails the whole page, every run) and SQLite
    /// can: a value that holds it quarantines the record on every backend, with rule
    /// `control-char` naming the field, and the value shown escaped.
    @Test func aValueHoldingUPlus0000IsQuarantinedNamingTheField() throws {
        let (m, _p) = try mapper()
        _ = _p
        for (member, value, field) in [("QYMC", "nul\u{0}byte", "name"), ("FDDBR", "张\u{0}", "legal_rep"),
                                       ("QYMC", "义乌市测试商贸有限公司义乌市测试商贸有限公司\u{0}", "name"), ("SXBM", "000105\u{0}001000", "SXBM")] {
            guard case .rejected(let r) = m.map(record([member: value])) else { Issue.record("\(member) accepted"); continue }
            #expect(r.reasons.map(\.rule) == ["control-char"], "\(r.reasons)")
            #expect(r.reasons.first?.field == field)
            #expect(r.reasons.first?.value?.contains("\\u{0}") == true, "shown escaped: \(r.reasons)")
            #expect(r.record == record([member: value]), "the record is kept as sent")
            #expect(r.key == "91350100M000100Y43")
        }
        // Other control characters are stored as sent (PostgreSQL takes them).
        guard case .row(let row) = m.map(record(["QYMC": "a\u{1}b\tc"])) else { Issue.record("U+0001 rejected"); return }
        #expect(row.values[1] == .text("a\u{1}b\tc"))
    }

    /// A `json` value holding U+0000 in a string or a member name (as an object, or as a string of
    /// JSON) is quarantined too: its canonical text escapes it, which PostgreSQL's `jsonb` refuses.
    @Test func aJSONValueHoldingUPlus0000IsQuarantined() throws {
        let p = try TestProject(datasets: ["docs.yml": """
            dataset: docs
            source: province
            request: { path: /docs, pagination: { type: none } }
            key: [id]
            fields:
              id:  { from: ID, type: text }
              doc: { from: DOC, type: json }
            """])
        let project = try p.load()
        let m = RecordMapper(dataset: project.datasets[0], dictionaries: project.dictionaries)
        func map(_ doc: JSONValue) -> RecordMapper.Outcome { m.map(.object(JSONObject([("ID", .string("A1")), ("DOC", doc)]))) }
        let held: [JSONValue] = [
            .object(JSONObject([("a", .array([.number("1"), .string("x\u{0}")]))])),
            .object(JSONObject([("k\u{0}", .number("1"))])),
            .string(#"{"a":"x\u0000"}"#),
        ]
        for doc in held {
            guard case .rejected(let r) = map(doc) else { Issue.record("accepted: \(doc)"); continue }
            #expect(r.reasons.map(\.rule) == ["control-char"] && r.reasons.first?.field == "doc", "\(r.reasons)")
        }
        // An escaped backslash followed by "u0000" is no NUL.
        guard case .row(let row) = map(.string(#"{"a":"x\\u0000"}"#)) else { Issue.record("rejected"); return }
        #expect(row.values[1] == .text(#"{"a":"x\\u0000"}"#))
    }
}
