import Testing
@testable import DataflowCore

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
}
