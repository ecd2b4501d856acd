import Foundation
import NIOCore
import Testing
@testable import SandboxPlatform

@Suite("Check digits, time, JSON, queries, order store")
struct BuildingBlockTests {
    @Test func checkDigitsAcceptTheReferenceExamples() {
        #expect(CheckDigits.isValidCreditCode("91350100M000100Y43"))
        #expect(CheckDigits.hasValidOrganizationCode("91350100M000100Y43"))
        #expect(!CheckDigits.isValidCreditCode("91350100M000100Y44"))
        #expect(CheckDigits.isValidCitizenID("11010519491231002X"))
        #expect(!CheckDigits.isValidCitizenID("110105194912310021"))
    }

    @Test func md5MatchesTheReferenceVector() {
        #expect(MD5.hexLower("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(MD5.hexLower("abc") == "900150983cd24fb0d6963f7d28e17f72")
    }

    @Test func civilTimeFormatsAndParses() {
        #expect(CivilTime.format(CivilTime.baseRecordsStart) == "2026-01-01 00:00:00")
        #expect(CivilTime.format(CivilTime.clockStart) == "2026-11-01 08:00:00")
        #expect(CivilTime.parse("2024-02-29 23:59:59").map(CivilTime.format) == "2024-02-29 23:59:59")
        #expect(CivilTime.parse("2026-13-45 25:61:00") == nil)
        #expect(CivilTime.parse("2025-02-29 00:00:00") == nil)
        #expect(CivilTime.parse("2026-01-01T00:00:00") == nil)
        #expect(CivilTime.dateNumber(CivilTime.clockStart) == 20_261_101)
        for day in stride(from: Int64(-1_000), to: 30_000, by: 37) {
            let (year, month, dayOfMonth) = CivilTime.date(days: day)
            #expect(CivilTime.days(year: year, month: month, day: dayOfMonth) == day)
        }
    }

    @Test func jsonStringsAreEscaped() {
        var out = JSONOutput(capacity: 64)
        out.string("a\"b\\c\nd\u{01}é中")
        #expect(String(buffer: out.buffer) == #""a\"b\\c\nd\u0001é中""#)
    }

    @Test func wordAtATimeEscapingMatchesTheByteByByteDefinition() {
        func reference(_ bytes: [UInt8]) -> [UInt8] {
            var out: [UInt8] = []
            for byte in bytes {
                switch byte {
                case 0x22: out += Array(#"\""#.utf8)
                case 0x5C: out += Array(#"\\"#.utf8)
                case 0x0A: out += Array(#"\n"#.utf8)
                case 0x0D: out += Array(#"\r"#.utf8)
                case 0x09: out += Array(#"\t"#.utf8)
                case 0x08: out += Array(#"\b"#.utf8)
                case 0x0C: out += Array(#"\f"#.utf8)
                case ..<0x20: out += Array(String(format: "\\u%04x", Int(byte)).utf8)
                default: out.append(byte)
                }
            }
            return out
        }
        var randomness = SplitMix64(seed: 1)
        for round in 0..<2_000 {
            let length = Int.random(in: 0..<80, using: &randomness)
            let pool: [UInt8] = round % 2 == 0 ? Array(0...255) : Array("ab\"\\\n 中".utf8) + [0x01, 0x1F, 0x20, 0x7F]
            let input = (0..<length).map { _ in pool.randomElement(using: &randomness) ?? 0 }
            let expected = reference(input)
            let actual = input.withUnsafeBytes { source in
                #expect(JSONStringEscaper.escapedLength(of: source) == expected.count)
                var target = [UInt8](repeating: 0, count: expected.count + 8)
                let written = target.withUnsafeMutableBytes { JSONStringEscaper.escape(source, into: $0) }
                return Array(target[..<written])
            }
            #expect(actual == expected)
        }
        for position in 0..<8 {
            for byte in UInt8(0)...UInt8(255) {
                var word = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                word[position] = byte
                let value = word.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(JSONStringEscaper.hasSpecialByte(value) == JSONStringEscaper.needsEscape(byte))
            }
        }
    }

    @Test func casesEnvelopeEmbedsThePageAsAString() throws {
        var page = JSONOutput(capacity: 64)
        page.raw("{\"list\":[")
        page.string("say \"hi\"\n")
        page.raw("]}")
        let envelope = page.embeddedAsString(prefix: "{\"datas\":", suffix: "}")
        #expect(String(buffer: envelope) == #"{"datas":"{\"list\":[\"say \\\"hi\\\"\\n\"]}"}"#)
    }

    @Test func queryStringsArePercentDecoded() {
        let query = GatewayRequest(method: .GET, uri: "/p?startTime=2026-01-01+08%3A00%3A00&name=%E4%B9%89%E4%B9%8C&bad=%zz&a=1&a=2").query
        #expect(query["startTime"] == "2026-01-01 08:00:00")
        #expect(query["name"] == "义乌")
        #expect(query["bad"] == "%zz")
        #expect(query["a"] == "1")
    }

    @Test func affineScrambleIsABijection() {
        var seen = Set<UInt64>()
        for value in UInt64(0)..<3_100 {
            seen.insert(SeededHash.affine(value, multiplier: 1_000, offset: 17, modulus: 3_101))
        }
        #expect(seen.count == 3_100)
    }

    @Test func storeKeepsTheTailSortedByTimeThenKey() {
        var store = DatasetStore(generator: LicenceGenerator(seed: 1, baseCount: 500), groupSize: 37)
        let now = CivilTime.clockStart
        var randomness = SplitMix64(seed: 9)
        let picked = store.pickLivePositions(count: 40, using: &randomness)
        #expect(Set(picked).count == 40)
        store.touch(positions: Array(picked.prefix(10)), at: now) { _, change in change.updated(mutation: 1, at: now) }
        _ = store.insert(count: 50, at: now)
        store.touch(positions: Array(store.head..<store.head + 3), at: now) { _, change in change.updated(mutation: 2, at: now) }
        store.touch(positions: Array(store.head + 3..<store.head + 103), at: now) { _, change in change.deleted(at: now) }
        store.touch(positions: [store.ids.count - 1], at: now + 60) { _, change in change.updated(mutation: 3, at: now + 60) }
        let batch = store.all()
        let order = (0..<batch.count).map { batch.record(at: $0) }
        #expect(order.count == 550)
        #expect(zip(order, order.dropFirst()).allSatisfy { ($0.updateTime, $0.key) < ($1.updateTime, $1.key) })
        #expect(store.page(startTime: now, pageNumber: 1, pageSize: 1_000).total == 163)
        #expect(order.filter(\.isDeleted).count == 100)
        #expect(store.page(startTime: now + 60, pageNumber: 1, pageSize: 1_000).total == 1)
        #expect(store.page(startTime: nil, pageNumber: 3, pageSize: 250).count == 50)
    }

    @Test func storeStaysOrderedUnderRandomTouchesInsertsAndDrift() {
        let generator = CaseGenerator(seed: 3, baseCount: 2_000)
        var store = DatasetStore(generator: generator, groupSize: 7)
        var randomness = SplitMix64(seed: 11)
        var now = CivilTime.clockStart
        var expectedCount = 2_000
        for round in 1...60 {
            if round % 10 == 0 { now += 60 }
            let batch = Int.random(in: 1...120, using: &randomness)
            switch round % 3 {
            case 0:
                let picked = store.pickLivePositions(count: batch, using: &randomness)
                store.touch(positions: picked, at: now) { _, change in change.updated(mutation: UInt64(round), at: now) }
            case 1:
                _ = store.insert(count: batch, at: now)
                expectedCount += batch
            default:
                store.touch(positions: Array(store.head..<store.head + batch), at: now) { _, change in
                    change.updated(mutation: UInt64(round), at: now)
                }
            }
            let all = store.all()
            let order = all.ids.indices.map { (all.times[$0], generator.key(id: all.ids[$0]), all.ids[$0]) }
            #expect(order.count == expectedCount)
            #expect(Set(all.ids).count == expectedCount)
            #expect(zip(order, order.dropFirst()).allSatisfy { $0 < $1 }, "round \(round)")
            #expect(all.ids.indices.allSatisfy { all.record(at: $0 - all.ids.startIndex).updateTime == all.times[$0] })
        }
    }
}
