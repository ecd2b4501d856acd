import Foundation
import Testing
@testable import DataflowCore
import LoopbackGateway

/// The masking rules on real shapes, and a seeded property that no rule leaves more characters
/// clear than it allows (rerun a failure with `DATAFLOW_TEST_SEED=N`).
@Suite("PII masking by kind")
struct PIIMaskTests {
    @Test func citizenIDsKeepTheDivisionAndTheCheckCharacterOnly() {
        #expect(PIIMask.mask("330782199001014239", as: .citizenID) == "330782***********9")
        #expect(PIIMask.mask("11010519491231002X", as: .citizenID) == "110105***********X")
        #expect(PIIMask.mask("11010519491231002x", as: .citizenID) == "110105***********x")
        // A 15-digit legacy ID has no check character: the division only.
        #expect(PIIMask.mask("330782900101423", as: .citizenID) == "330782*********")
        // Not ID-shaped (a passport number, a typo): the generic rule, never shown.
        #expect(PIIMask.mask("E12345678", as: .citizenID) == "E*******8")
        #expect(PIIMask.mask("33078219900101423", as: .citizenID) == "33*************23")
    }

    @Test func mobilesHideTheMiddleFourWhateverTheFormatting() {
        #expect(PIIMask.mask("13800130001", as: .phone) == "138****0001")
        #expect(PIIMask.mask("+8613800130001", as: .phone) == "+86138****0001")
        #expect(PIIMask.mask("+86 138 0013 0001", as: .phone) == "+86 138 **** 0001")
        #expect(PIIMask.mask("0086-138-0013-0001", as: .phone) == "0086-138-****-0001")
        #expect(PIIMask.mask("008613800130001", as: .phone) == "0086138****0001")
        #expect(PIIMask.mask("86 13800130001", as: .phone) == "86 138****0001")
        #expect(PIIMask.mask("138-0013-0001", as: .phone) == "138-****-0001")
    }

    @Test func landlinesKeepTheAreaCodeAndTwoDigits() {
        #expect(PIIMask.mask("0579-85123456", as: .phone) == "0579-******56")
        #expect(PIIMask.mask("057985123456", as: .phone) == "0579******56")
        #expect(PIIMask.mask("010-62751234", as: .phone) == "010-******34")
        #expect(PIIMask.mask("(021) 6321 1234", as: .phone) == "(021) **** **34")
        #expect(PIIMask.mask("0579-8512345", as: .phone) == "0579-*****45")
        #expect(PIIMask.mask("0579-85123456-808", as: .phone) == "0579-********-*08")
        #expect(PIIMask.mask("85123456", as: .phone) == "******56")
        #expect(PIIMask.mask("12345", as: .phone) == "*****")
        #expect(PIIMask.mask("call 13800130001", as: .phone) == "ca************01")
    }

    @Test func namesKeepOnlyTheFirstCharacter() {
        #expect(PIIMask.mask("李", as: .name) == "*")
        #expect(PIIMask.mask("张三", as: .name) == "张*")
        #expect(PIIMask.mask("王小明", as: .name) == "王**")
        #expect(PIIMask.mask("欧阳娜娜", as: .name) == "欧***")
        #expect(PIIMask.mask("司马相如", as: .name) == "司***")
        #expect(PIIMask.mask("阿卜杜·热合曼", as: .name) == "阿******")
        #expect(PIIMask.mask("", as: .name) == "")
    }

    @Test func addressesEmailsAndTheGenericRule() {
        #expect(PIIMask.mask("浙江省义乌市稠城街道县前街1号", as: .address) == "浙江省义乌**********")
        #expect(PIIMask.mask("zhang.san@example.gov.cn", as: .email) == "z********@example.gov.cn")
        #expect(PIIMask.mask("no-at-sign", as: .email) == "n********n")
        #expect(PIIMask.mask("abc", as: .generic) == "***")
        #expect(PIIMask.mask("abcdefgh", as: .generic) == "a******h")
        #expect(PIIMask.mask("6222021234567890123", as: .generic) == "62***************23")
        #expect(PIIMask.mask("", as: .generic) == "")
    }

    @Test func aDatasetMasksRecordsReasonsAndKeysByItsFields() throws {
        let project = try TestProject(datasets: ["people.yml": """
            dataset: people
            source: province
            request: { path: /people.htm }
            key: [id_no]
            fields:
              id_no:   { from: SFZH, type: text, check: citizen-id }
              name:    { from: XM, type: text, pii: name }
              mobile:  { from: SJ, type: text, check: phone, pii: true }
              office:  { from: BGDH, type: text, check: phone, pii: false }
              note:    { from: BZ, type: text, pii: true }
              town:    { from: XZ, type: text }
              age:     { from: NL, type: int, check: { range: [18, ~] }, pii: true }
            """])
        let dataset = try #require(try project.load().dataset(named: "people"))
        let kinds = Dictionary(uniqueKeysWithValues: dataset.fields.map { ($0.column, $0.piiKind) })
        #expect(kinds["id_no"] == .citizenID, "check: citizen-id is personal data without pii:")
        #expect(kinds["name"] == .name)
        #expect(kinds["mobile"] == .phone, "pii: true takes the kind from the check")
        #expect(kinds["office"] == .some(nil), "pii: false opts a checked field out")
        #expect(kinds["note"] == .generic)
        #expect(kinds["town"] == .some(nil))

        let masking = PIIMasking(dataset: dataset)
        let raw = try JSONParser.parse(Array(#"{"SFZH":"330782199001014239","XM":"欧阳娜娜","SJ":13800130001,"BGDH":"0579-85123456","BZ":null,"XZ":"稠城街道"}"#.utf8))
        #expect(masking.record(raw).serialized() == #"{"SFZH":"330782***********9","XM":"欧***","SJ":"138****0001","BGDH":"0579-85123456","BZ":null,"XZ":"稠城街道"}"#)
        let reason = RejectReason(field: "mobile", rule: "phone", value: "1380013000", message: "SJ: '1380013000' is not a phone number")
        let masked = masking.reason(reason)
        #expect(masked.value == "********00")
        #expect(masked.message == "SJ: '********00' is not a phone number")
        // A check that quotes part of the value (the birth date of an ID) never shows that part.
        let birth = masking.reason(RejectReason(field: "id_no", rule: "citizen-id", value: "330782199002314239",
                                                message: "SFZH: birth date 19900231 is not a real date"))
        #expect(birth.value == "330782***********9")
        #expect(!birth.message.contains("1990") && !birth.message.contains("0231"), "\(birth.message)")
        #expect(birth.message == "SFZH: fails citizen-id (value masked: 330782***********9)")
        let check = masking.reason(RejectReason(field: "id_no", rule: "citizen-id", value: "330782199001014238",
                                                message: "SFZH: check character is 8, expected 9"))
        #expect(check.message == "SFZH: check character is 8, expected 9", "a message with no piece of the value stays as it was")
        // A range check quotes the value, so a short one is masked there (an age of 5 showed).
        let young = try JSONParser.parse(Array(#"{"SFZH":"330782199001014239","NL":"5"}"#.utf8))
        guard case .rejected(let rejected) = RecordMapper(dataset: dataset, dictionaries: Dictionaries(matters: [], functions: [], version: "t")).map(young) else { Issue.record("not rejected"); return }
        let ageReason = try #require(rejected.reasons.first { $0.field == "age" })
        #expect(masking.reason(ageReason).message == "NL: '*' is below 18", "\(masking.reason(ageReason).message)")
        // A one- or two-character value is masked where it is quoted, never inside our own words.
        let short = masking.reason(RejectReason(field: "id_no", rule: "citizen-id", value: "1", message: "SFZH: length 1, expected 18"))
        #expect(short.value == "*" && short.message == "SFZH: length 1, expected 18", "\(short.message)")
        let digit = masking.reason(RejectReason(field: "mobile", rule: "phone", value: "9", message: "SJ: '9' is not a mobile number (1[3-9] and 9 more digits)"))
        #expect(digit.message == "SJ: '*' is not a mobile number (1[3-9] and 9 more digits)", "\(digit.message)")
        #expect(masking.key("330782199001014239") == "330782***********9")
        #expect(masking.value("稠城街道", column: "town") == "稠城街道")

        // A value longer than the 200 characters a reason stores, quoted whole by its message:
        // stored and read back, the message holds no more of it than the value, all masked.
        let note = "请联系" + String(repeating: "张", count: 200) + "手机号码一三八零零一三零零零一备注尾部"
        let long = RejectReason(field: "mobile", rule: "phone", value: note, message: "SJ: '\(note)' is not a mainland mobile number")
        let stored = RejectListing.reasons(StoredReject(id: 1, dataset: "people", key: nil, record: "{}", reasons: "[" + long.json + "]",
                                                        firstSeen: "", lastSeen: "", resolvedAt: nil, resolvedRunID: nil))
        let shown = masking.reason(try #require(stored.first))
        #expect(!shown.message.contains("备注尾部") && !shown.message.contains("一三八零"), "\(shown.message)")
        #expect(shown.message.hasPrefix("SJ: '") && shown.message.hasSuffix("…' is not a mainland mobile number"), "\(shown.message)")
    }

    /// Members the mapping does not read have no declared kind: the masked view masks them by
    /// their shape, else generically; a record that is not an object is masked value by value.
    @Test func unreadMembersAndNonObjectRecordsAreMaskedByShape() throws {
        let project = try TestProject(datasets: ["shops.yml": """
            dataset: shops
            key: [id]
            deleted: { field: SCBZ, equals: "1" }
            source: province
            matters: { field: SXBM }
            request: { path: /shops.htm }
            incremental: { cursor: GXSJ, param: since, format: "yyyy-MM-dd HH:mm:ss" }
            fields:
              id:   { from: ID, type: text }
              name: { from: MC, type: text }
            """])
        let dataset = try #require(try project.load().dataset(named: "shops"))
        let masking = PIIMasking(dataset: dataset)
        #expect(masking.isEmpty, "no field is personal")
        // Keys stored under an earlier key that held personal data (the change feed, the quarantine
        // after `sync --rekey`): masked though `id` is not personal now — by shape, else generically.
        var former = masking
        former.formerKeyWasPersonal = true
        #expect(masking.pastKey("330782199001014239") == "330782199001014239")
        #expect(former.pastKey("330782199001014239") == "330782***********9")
        #expect(former.pastKey("S0001") != "S0001")
        let raw = try JSONParser.parse(Array(#"{"ID":"K1","MC":"义乌甲","GXSJ":"2026-12-01 10:00:00","SCBZ":"0","SXBM":"000105001000","sfzh":"330782199001011234","lxdh":"+86 139 1234 5678","xm":"赵六","yx":"zl@example.cn","n":7,"bz":null,"dz":{"sheng":"浙江省义乌市稠城街道"}}"#.utf8))
        #expect(masking.record(raw).serialized()
                == #"{"ID":"K1","MC":"义乌甲","GXSJ":"2026-12-01 10:00:00","SCBZ":"0","SXBM":"000105001000","sfzh":"330782***********4","lxdh":"+86 139 **** 5678","xm":"**","yx":"z*@example.cn","n":"*","bz":null,"dz":{"sheng":"浙********道"}}"#)
        let list = try JSONParser.parse(Array(#"["330782199001011234","13912345678","赵六",["abcdefgh"]]"#.utf8))
        #expect(masking.record(list).serialized() == #"["330782***********4","139****5678","**",["a******h"]]"#)
        #expect(masking.record(.string("13912345678")) == .string("139****5678"))
        // A dataset no longer configured still masks everything whole.
        #expect(PIIMasking.everything.record(list) == .string(PIIMask.mask(list.serialized(), as: .generic)))
    }

    // MARK: - Property: no rule leaves more characters clear than it allows

    /// Positions where the mask left an input character visible, counting only characters that
    /// carry information (not separators, and not a `+86`/`0086` prefix the rule skips).
    static func clear(_ input: String, _ output: String, skipping prefix: Int = 0) -> Int {
        let a = Array(input), b = Array(output)
        guard a.count == b.count else { return Int.max }   // every rule masks in place
        var n = 0
        for i in prefix..<a.count where a[i] == b[i] && !" -()./".contains(a[i]) { n += 1 }
        return n
    }

    static func seed() -> UInt64 {
        let seed = ProcessInfo.processInfo.environment["DATAFLOW_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("PIIMaskTests property seed: \(seed) (rerun with DATAFLOW_TEST_SEED=\(seed))")
        return seed
    }

    static func digits(_ n: Int, _ g: inout SeededGenerator) -> String {
        String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &g))) })
    }

    static func formatted(_ digits: String, _ g: inout SeededGenerator) -> String {
        let separators = ["", " ", "-"]
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0 && Int.random(in: 0..<4, using: &g) == 0 { out += separators.randomElement(using: &g) ?? "" }
            out.append(c)
        }
        return out
    }

    @Test func noMaskLeavesMoreThanItsRuleAllows() {
        let seed = PIIMaskTests.seed()
        var g = SeededGenerator(seed: seed)
        let properties = CheckPropertyTests()
        for _ in 0..<2_000 {
            // Citizen IDs: 18 characters keep at most the division and the check character, 15 the division.
            let id = properties.citizenID(&g)
            let maskedID = PIIMask.mask(id, as: .citizenID)
            #expect(PIIMaskTests.clear(id, maskedID) <= 7 && maskedID.hasPrefix(String(id.prefix(6))), "seed \(seed): \(id) → \(maskedID)")
            let legacy = String(id.prefix(6)) + PIIMaskTests.digits(9, &g)
            #expect(PIIMaskTests.clear(legacy, PIIMask.mask(legacy, as: .citizenID)) <= 6, "seed \(seed): \(legacy)")

            // Mobiles, with or without a country prefix and separators: at least 4 of the 11 digits hidden.
            let mobile = "1" + PIIMaskTests.digits(10, &g)
            let prefixes = ["", "+86", "+86 ", "0086", "0086-"]
            let prefix = prefixes.randomElement(using: &g) ?? ""
            let written = prefix + PIIMaskTests.formatted(mobile, &g)
            let maskedMobile = PIIMask.mask(written, as: .phone)
            #expect(PIIMaskTests.clear(written, maskedMobile, skipping: prefix.count) <= 7, "seed \(seed): \(written) → \(maskedMobile)")
            #expect(maskedMobile.filter { $0 == "*" }.count >= 4, "seed \(seed): \(written) → \(maskedMobile)")

            // Landlines: the area code and two digits at most.
            let area = ["010", "021", "0579", "0571"].randomElement(using: &g) ?? "0579"
            let landline = area + "-" + PIIMaskTests.digits(Int.random(in: 7...8, using: &g), &g)
            #expect(PIIMaskTests.clear(landline, PIIMask.mask(landline, as: .phone)) <= area.count + 2, "seed \(seed): \(landline)")

            // Names of one to four characters: at most the first.
            let name = String((0..<Int.random(in: 1...4, using: &g)).map { _ in Character(Unicode.Scalar(UInt32.random(in: 0x4E00...0x9FA5, using: &g)) ?? "某") })
            #expect(PIIMaskTests.clear(name, PIIMask.mask(name, as: .name)) <= (name.count == 1 ? 0 : 1), "seed \(seed): \(name)")

            // Anything, under any kind: masked in place, and never more clear than the generic rule
            // allows when it does not have the kind's shape.
            let length = Int.random(in: 0...40, using: &g)
            let alphabet = Array("0123456789abcXYZ+-=@ 张王欧阳")
            let any = String((0..<length).map { _ in alphabet.randomElement(using: &g) ?? "x" })
            for kind in PIIKind.allCases {
                let masked = PIIMask.mask(any, as: kind)
                #expect(masked.count == any.count, "seed \(seed): \(kind) \(any) → \(masked)")
                let bound: Int
                switch kind {
                case .citizenID: bound = max(7, min(4, length / 4))
                case .phone: bound = max(7, min(4, length / 4))
                case .name: bound = 1
                case .address: bound = min(6, length / 3)
                case .email: bound = length
                case .generic: bound = min(4, length / 4)
                }
                let countryPrefix = ["+86", "0086", "86", "+"].first { kind == .phone && any.hasPrefix($0) }?.count ?? 0
                #expect(PIIMaskTests.clear(any, masked, skipping: countryPrefix) <= bound, "seed \(seed): \(kind) \(any) → \(masked)")
            }
        }
    }
}
