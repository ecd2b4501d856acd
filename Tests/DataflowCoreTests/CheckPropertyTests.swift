import Foundation
import Testing
@testable import DataflowCore
import LoopbackGateway


/// Properties over generated inputs (seeded loops): valid identifiers pass, every single-character
/// corruption fails, decimals round-trip exactly, datetimes parse across formats and zones.
@Suite("Properties of checks, decimals and datetimes")
struct CheckPropertyTests {
    static let divisions: CodeTable = {
        let url = MappingFixture.repositoryCodes.appendingPathComponent("gbt2260.tsv")
        var entries: [String: String] = [:]
        for line in ((try? String(contentsOf: url, encoding: .utf8)) ?? "").split(separator: "\n") where !line.hasPrefix("#") {
            let cols = line.split(separator: "\t", omittingEmptySubsequences: false)
            if cols.count >= 2 { entries[String(cols[0])] = String(cols[1]) }
        }
        return CodeTable(name: "gbt2260", entries: entries, file: "gbt2260.tsv")
    }()
    static let divisionCodes = divisions.entries.keys.filter { !$0.hasSuffix("00") }.sorted()

    func citizenID(_ g: inout SeededGenerator) -> String {
        let prefix = CheckPropertyTests.divisionCodes.randomElement(using: &g) ?? "330782"
        let days = Int.random(in: -20_000...20_000, using: &g)
        let (y, m, d) = CivilTime.civilFromDays(days)
        let birth = DatePattern.pad(y, 4) + DatePattern.pad(m, 2) + DatePattern.pad(d, 2)
        let body = prefix + birth + DatePattern.pad(Int.random(in: 0...999, using: &g), 3)
        return body + String(CitizenIDCheck.checkCharacter(for: body) ?? "?")
    }

    func creditCode(_ g: inout SeededGenerator) -> String {
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        let authorities = ["11", "12", "13", "19", "51", "52", "53", "59", "91", "92", "93", "Y1"]
        var org = ""
        for _ in 0..<8 { org.append(alphabet.randomElement(using: &g) ?? "0") }
        let orgCheck = CreditCodeCheck.organizationCheckCharacter(for: org) ?? "0"
        let division = CheckPropertyTests.divisionCodes.randomElement(using: &g) ?? "330782"
        let body = (authorities.randomElement(using: &g) ?? "91") + division + org + String(orgCheck)
        return body + String(CreditCodeCheck.checkCharacter(for: body) ?? "?")
    }

    /// Every string that differs from `s` in exactly one position, over `alphabet` plus a few strangers.
    func corruptions(of s: String, alphabet: [Character]) -> [String] {
        let chars = Array(s)
        var out: [String] = []
        for i in chars.indices {
            for c in alphabet + ["a", "-", "中", " "] where c != chars[i] {
                var copy = chars
                copy[i] = c
                out.append(String(copy))
            }
        }
        return out
    }

    @Test func generatedCitizenIDsPassAndEverySingleCorruptionFails() {
        var g = SeededGenerator(seed: 11643)
        let alphabet = Array("0123456789X")
        for _ in 0..<200 {
            let id = citizenID(&g)
            #expect(CitizenIDCheck.validate(id, divisions: CheckPropertyTests.divisions) == nil, "\(id)")
            for bad in corruptions(of: id, alphabet: alphabet) {
                if CitizenIDCheck.validate(bad, divisions: CheckPropertyTests.divisions) == nil { Issue.record("corruption \(bad) of \(id) passed") }
            }
        }
    }

    @Test func generatedCreditCodesPassAndEverySingleCorruptionFails() {
        var g = SeededGenerator(seed: 32100)
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXYIOSVZ")
        for _ in 0..<200 {
            let code = creditCode(&g)
            #expect(CreditCodeCheck.validate(code) == nil, "\(code)")
            for bad in corruptions(of: code, alphabet: alphabet) where CreditCodeCheck.validate(bad) == nil {
                Issue.record("corruption \(bad) of \(code) passed")
            }
        }
    }

    /// Division codes carry no check digit, so a digit changed into another digit may name another
    /// real division: the check must then agree exactly with the snapshot; any non-digit fails.
    @Test func generatedDivisionCodesPassAndCorruptionsFailUnlessTheyNameAnotherDivision() {
        var g = SeededGenerator(seed: 2260)
        let table = CheckPropertyTests.divisions
        var caught = 0, total = 0
        for _ in 0..<300 {
            var code = CheckPropertyTests.divisionCodes.randomElement(using: &g) ?? "330782"
            if Bool.random(using: &g) {
                code += DatePattern.pad(Int.random(in: 1...599, using: &g), 3) + DatePattern.pad(Int.random(in: 0...399, using: &g), 3)
            }
            #expect(DivisionCodeCheck.validate(code, table: table) == nil, "\(code)")
            let chars = Array(code)
            for i in chars.indices {
                for c in Array("0123456789a-中 ") where c != chars[i] {
                    var copy = chars
                    copy[i] = c
                    let bad = String(copy)
                    let passed = DivisionCodeCheck.validate(bad, table: table) == nil
                    if !c.isNumber {
                        #expect(!passed, "\(bad)")
                    } else if i < 6 {
                        // The county part: valid exactly when the snapshot lists it.
                        total += 1
                        if !passed { caught += 1 }
                        #expect(passed == (table.lookup(String(bad.prefix(6))) != nil), "\(bad)")
                    }
                }
            }
        }
        #expect(caught * 2 > total, "most digit corruptions of the county part name no division: \(caught) of \(total)")
    }

    @Test func decimalsRoundTripExactly() {
        var g = SeededGenerator(seed: 7)
        for _ in 0..<2000 {
            let negative = Bool.random(using: &g)
            let intDigits = Int.random(in: 1...30, using: &g)
            let fracDigits = Int.random(in: 0...12, using: &g)
            let leadingZeros = Int.random(in: 0...3, using: &g)
            var integer = ""
            for i in 0..<intDigits { integer.append(Character(String(Int.random(in: (i == 0 ? 1 : 0)...9, using: &g)))) }
            var fraction = ""
            for _ in 0..<fracDigits { fraction.append(Character(String(Int.random(in: 0...9, using: &g)))) }
            let canonical = (negative ? "-" : "") + integer + (fracDigits > 0 ? "." + fraction : "")
            let written = (negative ? "-" : (Bool.random(using: &g) ? "+" : "")) + String(repeating: "0", count: leadingZeros) + integer
                + (fracDigits > 0 ? "." + fraction : "")
            #expect(DecimalText.canonical(written) == canonical, "\(written)")
            #expect(DecimalText.canonical(canonical) == canonical)
            // Exact ordering agrees with the digits, never through Double.
            #expect(DecimalCompare.compare(canonical, canonical) == .orderedSame)
        }
        #expect(DecimalText.canonical("12345678901234567890.123456789") == "12345678901234567890.123456789")
    }

    /// The byte comparison of decimals agrees with the comparison on `String`s on generated
    /// pairs: canonical decimals near each other (shared digits, zero-padded fractions, signs,
    /// zeros), and strings outside the byte path's alphabet that fall back to it.
    @Test func decimalComparisonInBytesAgreesWithTheStringComparison() {
        var g = SeededGenerator(seed: 11)
        func digits(_ n: Int) -> String { String((0..<n).map { _ in Character(String(Int.random(in: 0...9, using: &g))) }) }
        func decimal() -> String {
            let integer = Bool.random(using: &g) ? "0" : String(Int.random(in: 1...9, using: &g)) + digits(Int.random(in: 0...6, using: &g))
            let fraction = Bool.random(using: &g) ? "" : "." + digits(Int.random(in: 1...4, using: &g))
            return (Bool.random(using: &g) ? "-" : "") + integer + fraction
        }
        var compared = 0
        for _ in 0..<20_000 {
            let a = decimal()
            // Half the time b is a near neighbour of a: the same digits, one changed, or zeros appended.
            var b = decimal()
            switch Int.random(in: 0...5, using: &g) {
            case 0: b = a
            case 1: b = a.contains(".") ? a + "0" : a + ".0"
            case 2: var chars = Array(a); if let i = chars.indices.randomElement(using: &g), chars[i].isNumber { chars[i] = Character(String(Int.random(in: 0...9, using: &g))) }; b = String(chars)
            default: break
            }
            #expect(DecimalCompare.compare(a, b) == DecimalCompare.compareText(a, b), "\(a) vs \(b)")
            compared += 1
        }
        for (a, b) in [("1.5", "1.50"), ("-0.1", "0"), ("10", "9.99"), ("1e5", "2"), ("--1", "-2"), ("1.2.3", "1.2"), ("", "0"), ("٣", "2"), ("-", "0")] {
            #expect(DecimalCompare.compare(a, b) == DecimalCompare.compareText(a, b), "\(a) vs \(b)")
            #expect(DecimalCompare.compare(b, a) == DecimalCompare.compareText(b, a), "\(b) vs \(a)")
        }
        #expect(compared == 20_000)
        #expect(DecimalCompare.compare("-12.5", "-12.45") == .orderedAscending)
        #expect(DecimalCompare.compare("100", "99.999") == .orderedDescending)
    }

    /// `canonical` returns a value unchanged, without rebuilding it, only when rebuilding it would
    /// give the same text: checked on generated strings over the characters decimals are made of.
    @Test func decimalsAlreadyCanonicalComeBackUnchanged() {
        var g = SeededGenerator(seed: 12)
        let alphabet = Array("0123456789.-+ 0011")
        var fast = 0
        for _ in 0..<20_000 {
            var text = String((0..<Int.random(in: 0...7, using: &g)).map { _ in alphabet.randomElement(using: &g) ?? "0" })
            let isCanonical = text.withUTF8(DecimalText.isCanonical)
            let rebuilt = DecimalText.rebuilt(text)
            if isCanonical { fast += 1; #expect(rebuilt == text, "\(text)") }
            #expect(DecimalText.canonical(text) == rebuilt, "\(text)")
            if rebuilt == text { #expect(isCanonical, "\(text) is canonical but takes the slow path") }
        }
        #expect(fast > 1_000, "the generator reaches canonical values: \(fast)")
    }

    /// The `upper` transform skips its copy for ASCII text with no lower-case letter; on generated
    /// text of every kind it still equals `uppercased()`.
    @Test func theUpperTransformEqualsUppercased() {
        var g = SeededGenerator(seed: 13)
        let alphabet = Array("AZaz09 -ßéǅſﬀ张\u{301}ＡａX")
        for _ in 0..<5_000 {
            let text = String((0..<Int.random(in: 0...6, using: &g)).map { _ in alphabet.randomElement(using: &g) ?? "A" })
            #expect(TextTransformer.upper(text) == text.uppercased(), "\(text)")
        }
    }

    @Test func datetimesParseAcrossFormatsAndZones() throws {
        var g = SeededGenerator(seed: 8601)
        let formats = ["yyyy-MM-dd HH:mm:ss", "yyyyMMddHHmmss", "yyyy/MM/dd HH:mm", "yyyy-MM-dd'T'HH:mm:ss.SSS", "dd.MM.yyyy HH:mm:ss"]
        let zones = ["Asia/Shanghai", "UTC", "+05:30", "-03:00", "America/New_York", "Europe/Berlin"]
        for _ in 0..<400 {
            let pattern = try DatePattern(formats.randomElement(using: &g) ?? formats[0])
            let zoneName = zones.randomElement(using: &g) ?? "UTC"
            let zone = try #require(ZoneSpec(zoneName))
            let (y, m, d) = CivilTime.civilFromDays(Int.random(in: -10_000...30_000, using: &g))
            // Hours 4–23 avoid the DST gap and overlap (02:00–03:00) of the zones that have one.
            var civil = CivilTime(year: y, month: m, day: d, hour: Int.random(in: 4...23, using: &g),
                                  minute: Int.random(in: 0...59, using: &g), second: Int.random(in: 0...59, using: &g))
            if pattern.text.contains("SSS") { civil.millisecond = Int.random(in: 0...999, using: &g) }
            if !pattern.text.contains("ss") { civil.second = 0 }
            let text = pattern.format(civil)
            #expect(pattern.parse(text) == civil, "\(text) with \(pattern)")

            // What the mapper stores, against Foundation's own calendar arithmetic.
            let epoch = zone.epochSeconds(of: civil)
            var calendar = Calendar(identifier: .gregorian)
            let foundationZone = try #require(TimeZone(identifier: zoneName) ?? ZoneSpec.parseOffset(zoneName).flatMap { TimeZone(secondsFromGMT: $0) })
            calendar.timeZone = foundationZone
            let date = try #require(calendar.date(from: DateComponents(year: y, month: m, day: d, hour: civil.hour, minute: civil.minute, second: civil.second)))
            #expect(epoch == Int(date.timeIntervalSince1970), "\(text) in \(zoneName)")
            let iso = civil.isoDateTime(offset: zone.offset(atEpoch: epoch))
            #expect(iso.hasSuffix(ZoneSpec.formatOffset(foundationZone.secondsFromGMT(for: date))), "\(iso)")
        }
    }

    @Test func theMapperStoresDatetimesWithTheDatasetZoneOffset() throws {
        for (zone, expected) in [("Asia/Shanghai", "2026-07-01T08:30:00+08:00"), ("America/New_York", "2026-07-01T08:30:00-04:00"),
                                 ("+05:30", "2026-07-01T08:30:00+05:30")] {
            let f = try MappingFixture(fields: "  t: { from: T, type: datetime, format: \"yyyyMMddHHmmss\" }",
                                       extra: "incremental: { cursor: T, param: since, format: \"yyyyMMddHHmmss\", timezone: \"\(zone)\" }")
            #expect(f.value("T", "20260701083000") == .text(expected))
        }
    }
}
