import Foundation
import Testing
@testable import DataflowCore
import LoopbackGateway

@Suite("JSON parser")
struct JSONParserTests {
    func parse(_ s: String) throws -> JSONValue { try JSONParser.parse(Array(s.utf8)) }

    @Test func numbersKeepTheirLiteralText() throws {
        let v = try parse(#"{"a": 100.50, "b": -0.0, "c": 1e3, "d": 12345678901234567890}"#)
        #expect(v["a"] == .number("100.50"))
        #expect(v["b"] == .number("-0.0"))
        #expect(v["c"] == .number("1e3"))
        #expect(v["d"] == .number("12345678901234567890"))
    }

    @Test func escapesAndSurrogatePairs() throws {
        let v = try parse(#"["a\"b\\c\n", "\u4e2d\u6587", "\ud842\udfb7"]"#)
        #expect(v == .array([.string("a\"b\\c\n"), .string("中文"), .string("𠮷")]))
    }

    /// Bytes that are not UTF-8 inside a string are an error, never repaired into U+FFFD:
    /// a lone continuation byte, an overlong form, a surrogate, a 4-byte sequence cut after three
    /// bytes (which U+FFFD's own three bytes would replace at the same length), and the same
    /// after text that is valid Chinese; valid text of every width parses as written.
    /// Strings are scanned eight bytes at a time: a quote, a backslash, a control character, a
    /// byte that is not UTF-8 or a non-ASCII character at every offset of strings of every length
    /// around a word is found exactly where the byte loop finds it (the document's own offset
    /// moves the string's start across the word boundaries too).
    @Test func stringsAreReadTheSameAtEveryOffsetOfAWord() throws {
        for lead in 0..<8 {
            let pad = String(repeating: " ", count: lead)
            for length in 0..<26 {
                for at in 0..<max(length, 1) {
                    var plain = Array(repeating: UInt8(ascii: "a"), count: length)
                    #expect(try JSONParser.parse(Array((pad + "\"").utf8) + plain + [0x22]) == .string(String(decoding: plain, as: UTF8.self)))
                    guard length > 0 else { continue }
                    plain[at] = UInt8(ascii: "\\")
                    let escaped = Array(plain[..<at]) + Array("\\n".utf8) + Array(plain[(at + 1)...])
                    #expect(try JSONParser.parse(Array((pad + "\"").utf8) + escaped + [0x22])
                            == .string(String(decoding: plain[..<at], as: UTF8.self) + "\n" + String(decoding: plain[(at + 1)...], as: UTF8.self)))
                    plain[at] = 0x09
                    #expect(throws: JSONParser.SyntaxError.self) { try JSONParser.parse(Array((pad + "\"").utf8) + plain + [0x22]) }
                    plain[at] = 0xFF
                    #expect(throws: JSONParser.SyntaxError.self, "0xFF at \(at) of \(length) after \(lead)") {
                        try JSONParser.parse(Array((pad + "\"").utf8) + plain + [0x22])
                    }
                    plain[at] = UInt8(ascii: "\"")
                    #expect(try JSONParser.parse(Array((pad + "[\"").utf8) + plain[...at] + Array("]".utf8)) == .array([.string(String(repeating: "a", count: at))]))
                    var chinese = Array(repeating: UInt8(ascii: "a"), count: length)
                    chinese.insert(contentsOf: Array("中".utf8), at: at)
                    #expect(try JSONParser.parse(Array((pad + "\"").utf8) + chinese + [0x22]) == .string(String(decoding: chinese, as: UTF8.self)))
                }
            }
        }
    }

    @Test func stringsThatAreNotUTF8AreErrors() throws {
        let quote = UInt8(ascii: "\"")
        for bad: [UInt8] in [[0x80], [0xC0, 0xAF], [0xED, 0xA0, 0x80], [0xF0, 0x9F, 0x98], [0xE4, 0xB8, 0xAD, 0xF0, 0x9F, 0x98], [0xFF]] {
            #expect(throws: JSONParser.SyntaxError.self, "\(bad)") { try JSONParser.parse([quote] + bad + [quote]) }
        }
        for good in ["plain ascii", "中文", "é", "𠮷 emoji 😀", "义乌市远宏电子商务有限公司"] {
            #expect(try JSONParser.parse([quote] + Array(good.utf8) + [quote]) == .string(good))
        }
    }

    @Test func membersKeepSourceOrder() throws {
        guard case .object(let o) = try parse(#"{"z":1,"a":2,"m":3}"#) else { Issue.record("not an object"); return }
        #expect(o.members.map(\.key) == ["z", "a", "m"])
    }

    @Test("malformed documents are errors with an offset", arguments: [
        #"{"a": 1"#, #"{"a" 1}"#, "[1,]", "01", #""\x""#, "nul", "[1] 2", #"{"a":"\ud800"}"#, "",
    ])
    func malformed(_ text: String) {
        #expect(throws: JSONParser.SyntaxError.self) { try parse(text) }
    }

    /// A body that starts with a character of several bytes (a Chinese error page) names the byte,
    /// not the Latin-1 letter it would be alone.
    @Test func anUnexpectedByteIsNamedByItsValue() {
        let error = #expect(throws: JSONParser.SyntaxError.self) { try parse("系统繁忙") }
        #expect(error?.description == "invalid JSON at byte 0: unexpected byte 0xE7", "\(String(describing: error))")
        let ascii = #expect(throws: JSONParser.SyntaxError.self) { try parse("<html>") }
        #expect(ascii?.description == "invalid JSON at byte 0: unexpected character '<'")
    }

    @Test func pathFollowsAJSONStringPayload() throws {
        let inner = #"{\"total\": 2, \"list\": [{\"k\": 1}, {\"k\": 2}]}"#
        let v = try parse(#"{"code":"00","datas":"\#(inner)"}"#)
        #expect(v.value(at: ["datas", "total"]) == .number("2"))
        guard case .array(let list)? = v.value(at: ["datas", "list"]) else { Issue.record("no list"); return }
        #expect(list.count == 2)
    }

    @Test func serializationRoundTrips() throws {
        let text = #"{"a":[1,true,null,"x\"y"],"b":{"c":"中"}}"#
        let v = try parse(text)
        #expect(v.serialized() == text)
        #expect(try parse(v.serialized()) == v)
    }

    @Test func ndjsonLines() throws {
        let values = try JSONParser.parseLines(Array("{\"a\":1}\n\n{\"a\":2}\r\n".utf8))
        #expect(values.count == 2)
    }

    func duplicates(_ v: JSONValue?) -> [String] {
        if case .object(let o)? = v { return o.duplicateKeys }
        return ["not an object"]
    }

    @Test func duplicateMembersAreKeptInOrderAndNamed() throws {
        let v = try parse(#"{"id":"K0002","name":"x","id":"K9999","id":"K7"}"#)
        #expect(duplicates(v) == ["id"])
        #expect(v["id"] == .string("K0002"), "lookups find the first")
        if case .object(let o) = v { #expect(o.members.map(\.key) == ["id", "name", "id", "id"]) }
        // An escape spelling the same name is the same name; nested objects keep their own lists.
        let escaped = try parse(#"{"id":1,"\u0069d":2,"inner":{"a":1,"b":{"a":1},"a":2},"list":[{"k":1,"k":2}]}"#)
        #expect(duplicates(escaped) == ["id"])
        #expect(duplicates(escaped["inner"]) == ["a"])
        #expect(duplicates(escaped["inner"]?["b"]) == [])
        if case .array(let items)? = escaped["list"] { #expect(duplicates(items.first) == ["k"]) }
        #expect(duplicates(try parse(#"{"a":1,"b":2,"ab":3,"ba":4}"#)) == [])
        #expect(duplicates(try parse("{}")) == [])
    }

    /// Objects of 1–200 members with random names (many sharing hash-mask bits): exactly the
    /// names used twice are reported. Rerun a failure with DATAFLOW_TEST_SEED=N.
    @Test func duplicateDetectionMatchesASetOnRandomObjects() throws {
        let seed = ProcessInfo.processInfo.environment["DATAFLOW_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("JSONParserTests duplicate-member seed: \(seed) (rerun with DATAFLOW_TEST_SEED=\(seed))")
        var g = SeededGenerator(seed: seed)
        let alphabet = Array("abcxyz_0189义乌")
        for _ in 0..<500 {
            let count = Int.random(in: 1...200, using: &g)
            var names: [String] = []
            for _ in 0..<count {
                if !names.isEmpty && Int.random(in: 0..<20, using: &g) == 0 {
                    names.append(names.randomElement(using: &g) ?? "a")
                } else {
                    names.append(String((0..<Int.random(in: 1...6, using: &g)).map { _ in alphabet.randomElement(using: &g) ?? "a" }))
                }
            }
            var seen = Set<String>(), expected: [String] = []
            for n in names where !seen.insert(n).inserted && !expected.contains(n) { expected.append(n) }
            let text = "{" + names.enumerated().map { "\(JSONValue.quoted($1)):\($0)" }.joined(separator: ",") + "}"
            #expect(duplicates(try parse(text)) == expected, "seed \(seed): \(text)")
        }
    }

    /// Pages of objects whose names repeat by position, as records do, but also change: a prefix
    /// or an extension of the name before, one byte different, written with escapes, non-ASCII,
    /// empty, repeated. Every object parses to exactly the members it was written with (the parser
    /// reuses a name whose bytes equal the one at that position in the object before).
    /// Rerun a failure with DATAFLOW_TEST_SEED=N.
    @Test func namesReusedFromTheObjectBeforeAreExactlyTheNamesWritten() throws {
        let seed = ProcessInfo.processInfo.environment["DATAFLOW_TEST_SEED"].flatMap(UInt64.init) ?? UInt64.random(in: 0...UInt64(UInt32.max))
        print("JSONParserTests reused-name seed: \(seed) (rerun with DATAFLOW_TEST_SEED=\(seed))")
        var g = SeededGenerator(seed: seed)
        let pool = ["TYSHXYDM", "TYSHXYD", "TYSHXYDMX", "TYSHXYDN", "QYMC", "企业名称", "企业名", "e\u{301}", "\u{E9}", "", "A", "a\"b", "x\\y", "UPDATE_TIME"]
        /// A name as JSON: raw, or with some ASCII letters as \u escapes (the same name, other bytes).
        func written(_ name: String) -> String {
            guard Int.random(in: 0..<4, using: &g) == 0 else { return JSONValue.quoted(name) }
            return "\"" + name.unicodeScalars.map { c -> String in
                if c == "\"" { return "\\\"" }
                if c == "\\" { return "\\\\" }
                if c.isASCII, Bool.random(using: &g) { return String(format: "\\u%04X", c.value) }
                return String(c)
            }.joined() + "\""
        }
        var checked = 0
        for _ in 0..<300 {
            var shape = (0..<Int.random(in: 0...6, using: &g)).map { _ in pool.randomElement(using: &g) ?? "A" }
            var objects: [[(String, String)]] = []
            for n in 0..<Int.random(in: 1...12, using: &g) {
                // Mostly the same shape; sometimes one name changes, or the shape is shuffled or cut.
                switch Int.random(in: 0..<6, using: &g) {
                case 0 where !shape.isEmpty: shape[Int.random(in: 0..<shape.count, using: &g)] = pool.randomElement(using: &g) ?? "A"
                case 1: shape.shuffle(using: &g)
                case 2 where !shape.isEmpty: shape.removeLast()
                case 3: shape.append(pool.randomElement(using: &g) ?? "A")
                default: break
                }
                objects.append(shape.enumerated().map { ($0.element, "v\(n).\($0.offset)") })
            }
            let text = "[" + objects.map { members in
                "{" + members.map { "\(written($0.0)):\(JSONValue.quoted($0.1))" }.joined(separator: ",") + "}"
            }.joined(separator: ",") + "]"
            guard case .array(let parsed) = try JSONParser.parse(Array(text.utf8)) else { Issue.record("not an array: \(text)"); return }
            #expect(parsed.count == objects.count)
            for (value, members) in zip(parsed, objects) {
                guard case .object(let object) = value else { Issue.record("not an object: \(text)"); continue }
                // Compared by bytes: the canonically equal é forms must stay the bytes written.
                #expect(object.members.map { Array($0.key.utf8) } == members.map { Array($0.0.utf8) }, "seed \(seed): \(text)")
                #expect(object.members.map { $0.value.text } == members.map { $0.1 }, "seed \(seed): \(text)")
                checked += 1
            }
        }
        #expect(checked > 300)
    }

    /// A lookup with a hint (the member's position in the previous record) finds what the
    /// subscript finds: on parsed records of changing order, missing members and repeated names.
    @Test func hintedLookupsFindWhatTheSubscriptFinds() throws {
        var g = SeededGenerator(seed: 21)
        let names = ["A", "B", "UPDATE_TIME", "QYMC", "X"]
        var hints = [Int](repeating: 0, count: names.count)
        var hits = 0
        for n in 0..<5_000 {
            // Mostly one shape, as a page's records are; sometimes shuffled, shortened or repeated.
            var keys = Array(names.prefix(4))
            switch Int.random(in: 0..<10, using: &g) {
            case 0: keys.shuffle(using: &g)
            case 1: keys.removeLast()
            case 2: keys.insert(keys.randomElement(using: &g) ?? "A", at: Int.random(in: 0...keys.count, using: &g))
            default: break
            }
            let text = "{" + keys.enumerated().map { "\"\($0.element)\":\"v\($0.offset)-\(n)\"" }.joined(separator: ",") + "}"
            guard case .object(let object) = try JSONParser.parse(Array(text.utf8)) else { Issue.record("not an object"); return }
            for (i, name) in names.enumerated() {
                let before = hints[i]
                #expect(object.value(forKey: name, hint: &hints[i]) == object[name], "\(text) \(name)")
                if hints[i] == before && object[name] != nil { hits += 1 }
            }
        }
        #expect(hits > 10_000, "most lookups hit their hint: \(hits)")
    }

    /// The cases a review found where a trusted hint returned a later member of a repeated name:
    /// a CSV header that changes between pages, a repeated name outside a flattened member, and
    /// JSON names that are equal in two Unicode forms. Each must give the first member, as the
    /// subscript does.
    @Test func hintedLookupsNeverTrustARepeatedName() throws {
        func lookups(_ objects: [JSONObject], _ name: String) -> [JSONValue?] {
            var hint = 0
            return objects.map { $0.value(forKey: name, hint: &hint) }
        }
        func object(_ value: JSONValue) throws -> JSONObject {
            guard case .object(let o) = value else { throw WarehouseError("not an object") }
            return o
        }
        var csv = CSVReader.RecordBuilder(), csvNext = CSVReader.RecordBuilder()
        _ = try csv.record(["ID", "X", "NAME"], line: 1)
        let first = try object(try #require(try csv.record(["1", "x", "first"], line: 2)))
        _ = try csvNext.record(["NAME", "ID", "NAME"], line: 1)
        let repeated = try object(try #require(try csvNext.record(["A", "2", "B"], line: 2)))
        #expect(lookups([first, repeated], "NAME") == [first["NAME"], repeated["NAME"]])
        #expect(repeated["NAME"] == .string("A"))

        let flatA = try object(SourceClient.flatten(try parse(#"{"attributes":{"a":"1"},"x":"1"}"#), member: "attributes"))
        let flatB = try object(SourceClient.flatten(try parse(#"{"attributes":{},"x":"first","x":"second"}"#), member: "attributes"))
        #expect(lookups([flatA, flatB], "x") == [.string("1"), .string("first")])

        let composed = "caf\u{E9}", decomposed = "cafe\u{301}"
        let jsonA = try object(try parse("{\"id\":\"1\",\"\(decomposed)\":\"b\"}"))
        let jsonB = try object(try parse("{\"\(composed)\":\"a\",\"\(decomposed)\":\"b\"}"))
        #expect(lookups([jsonA, jsonB], composed) == [.string("b"), .string("a")])
        #expect(jsonA.namesAreUnique == false && flatB.namesAreUnique == false && repeated.namesAreUnique == false)
        let plain = try object(try parse(#"{"a":1,"b":2}"#))
        #expect(first.namesAreUnique && plain.namesAreUnique)
    }
}
