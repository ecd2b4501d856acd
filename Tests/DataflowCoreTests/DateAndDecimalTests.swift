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
