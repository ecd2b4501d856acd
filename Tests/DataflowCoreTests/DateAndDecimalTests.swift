import Testing
@testable import DataflowCore

@Suite("Dates, zones and decimals")
struct DateAndDecimalTests {
    @Test func patternParsesAndFormatsExactly() throws {
        let p = try DatePattern("yyyy-MM-dd HH:mm:ss")
        let t = try #require(p.parse("2026-03-01 08:30:05"))
        #expect(t == CivilTime(year: 2026, month: 3, day: 1, hour: 8, minute: 30, second: 5))
        #expect(p.format(t) == "2026-03-01 08:30:05")
        #expect(try DatePattern("yyyyMMdd").parse("20240229")?.isoDate == "2024-02-29")
        #expect(try DatePattern("yyyy-MM-dd'T'HH:mm:ss").parse("2026-01-02T03:04:05") != nil)
    }

    @Test("impossible or ill-formed values do not parse", arguments: [
        "2026-13-45 25:61:00", "2023-02-29 00:00:00", "2026-1-01 00:00:00", "2026-01-01", "2026-01-01 00:00:00 ", "２０２６-01-01 00:00:00",
    ])
    func rejects(_ text: String) throws {
        #expect(try DatePattern("yyyy-MM-dd HH:mm:ss").parse(text) == nil)
    }

    /// A formatted time reads back as itself, with literals of any script (`yyyy年MM月dd日`: each
    /// byte of 年 was written as a Latin-1 character, so a cursor format with Chinese literals sent
    /// a garbled value), and every byte of a value is checked where it lies: one byte changed — a
    /// letter anywhere, a digit where the pattern has a literal, another literal byte — does not
    /// parse, or parses to the time its digits now say.
    @Test func everyByteOfAValueIsCheckedAgainstThePattern() throws {
        var random = SystemRandomNumberGenerator()
        for text in ["yyyy-MM-dd HH:mm:ss", "yyyyMMdd", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy年MM月dd日 HH时", "dd/MM/yyyy"] {
            let p = try DatePattern(text)
            for _ in 0..<50 {
                let t = CivilTime(year: Int.random(in: 1900...2099, using: &random), month: Int.random(in: 1...12, using: &random),
                                  day: Int.random(in: 1...28, using: &random), hour: p.hasTime ? Int.random(in: 0...23, using: &random) : 0,
                                  minute: text.contains("mm") ? Int.random(in: 0...59, using: &random) : 0,
                                  second: text.contains("ss") ? Int.random(in: 0...59, using: &random) : 0,
                                  millisecond: text.contains("SSS") ? Int.random(in: 0...999, using: &random) : 0)
                let value = Array(p.format(t).utf8)
                #expect(value.withUnsafeBufferPointer { p.parse(bytes: $0) } == t, "\(text): \(p.format(t))")
                for i in value.indices {
                    let isDigit = (48...57).contains(value[i])
                    for replacement: UInt8 in [UInt8(ascii: "x"), isDigit ? UInt8(ascii: "-") : UInt8(ascii: "0"), 0xFF] {
                        var changed = value
                        changed[i] = replacement
                        #expect(changed.withUnsafeBufferPointer { p.parse(bytes: $0) } == nil, "\(text): byte \(i) of \(p.format(t)) as \(replacement)")
                    }
                    if isDigit {
                        var changed = value
                        changed[i] = value[i] == 57 ? 48 : value[i] + 1
                        let read = changed.withUnsafeBufferPointer { p.parse(bytes: $0) }
                        if let read { #expect(Array(p.format(read).utf8) == changed, "\(text): \(String(decoding: changed, as: UTF8.self))") }
                    }
                }
            }
        }
    }

    @Test func badPatternsAreErrors() {
        #expect(throws: DatePattern.PatternError.self) { try DatePattern("yy-MM-dd") }
        #expect(throws: DatePattern.PatternError.self) { try DatePattern("yyyy-MM-dd hh:mm") }
        #expect(throws: DatePattern.PatternError.self) { try DatePattern("HH:mm") }
    }

    @Test func shanghaiWallTimeToEpochAndBack() throws {
        let zone = try #require(ZoneSpec("Asia/Shanghai"))
        let civil = CivilTime(year: 2026, month: 1, day: 1, hour: 8)
        let epoch = zone.epochSeconds(of: civil)
        #expect(epoch == 1_767_225_600)  // 2026-01-01T00:00:00Z
        #expect(CivilTime(epochSeconds: epoch, offset: zone.offset(atEpoch: epoch)) == civil)
        #expect(civil.isoDateTime(offset: 8 * 3600) == "2026-01-01T08:00:00+08:00")
        #expect(ZoneSpec("+05:30")?.offset(atEpoch: 0) == 19800)
        #expect(ZoneSpec("Mars/Olympus") == nil)
    }

    @Test func civilDayArithmeticRoundTripsAcrossCenturies() {
        for days in stride(from: -800_000, through: 800_000, by: 997) {
            let (y, m, d) = CivilTime.civilFromDays(days)
            #expect(CivilTime.daysFromCivil(y, m, d) == days)
        }
    }

    @Test("decimals are canonical and exact", arguments: [
        ("100.50", "100.50"), ("+007.5", "7.5"), ("-0.00", "0.00"), ("0", "0"), ("  12 ", "12"), ("-3.14159265358979323846", "-3.14159265358979323846"),
        ("123456789012345678901234567890.01", "123456789012345678901234567890.01"),
    ])
    func decimals(_ input: String, _ expected: String) {
        #expect(DecimalText.canonical(input) == expected)
    }

    @Test("non-decimals are rejected", arguments: ["", ".", "1.", ".5x", "1,000.00", "1e5", "abc", "--1", "1.2.3"])
    func notDecimals(_ input: String) {
        #expect(DecimalText.canonical(input) == nil)
    }
}
