#if canImport(Glibc)
import Glibc
#endif
import Foundation
import Testing
import DataflowHTTP
@testable import DataflowCore

@Suite("Paginators and formats")
struct PagingAndFormatTests {
    func page(_ json: String = "{}", url: String = "http://h:1/api/items?a=1", headers: [HTTPHeader] = []) throws -> FetchedPage {
        var p = FetchedPage(records: [.null], total: nil, requests: 1, seconds: 0, body: try JSONParser.parse(Array(json.utf8)))
        p.url = url
        p.headers = headers
        return p
    }

    @Test func linkHeaderFindsNextAmongSeveralRelations() {
        let values = [#"<https://x.gov.cn/a?page=1>; rel="first", <https://x.gov.cn/a?page=3>; rel="next last""#]
        #expect(LinkHeader.target(rel: "next", in: values) == "https://x.gov.cn/a?page=3")
        #expect(LinkHeader.target(rel: "prev", in: values) == nil)
        // Repeated Link headers (the transport keeps each) and a comma inside a quoted title.
        #expect(LinkHeader.target(rel: "next", in: [#"</a?p=1>; rel="prev"; title="a, b""#, #"</a?p=2>; rel=next"#]) == "/a?p=2")
    }

    @Test func nextLinksResolveRelativeAndAbsolute() {
        let base = "http://127.0.0.1:9/odata/v4/licenses?$top=100"
        #expect(URLResolver.resolve("/odata/v4/licenses?$skip=100", against: base) == "http://127.0.0.1:9/odata/v4/licenses?$skip=100")
        #expect(URLResolver.resolve("licenses?$skip=100", against: base) == "http://127.0.0.1:9/odata/v4/licenses?$skip=100")
        #expect(URLResolver.resolve("?$skip=100", against: base) == "http://127.0.0.1:9/odata/v4/licenses?$skip=100")
        #expect(URLResolver.resolve("https://other/x", against: base) == "https://other/x")
        let (u, q) = URLResolver.split("http://h:1/p?a=1&b=x%20y#frag")
        #expect(u == "http://h:1/p" && q.count == 2 && q[1].1 == "x y")
    }

    @Test func cursorTokenFromBodyOrHeader() throws {
        var body = LinkPaginator(pagination: .cursor(CursorPagination(param: "cursor", tokenPath: ["data", "next"], tokenHeader: nil, sizeParam: nil, size: nil)),
                                 firstParams: [("startTime", "t")], path: "/api/items")
        #expect(try body.next(after: page(#"{"data":{"next":"abc"}}"#)) == .path("/api/items", params: [("startTime", "t"), ("cursor", "abc")]))
        #expect(try body.next(after: page(#"{"data":{"next":""}}"#)) == nil)
        var header = LinkPaginator(pagination: .cursor(CursorPagination(param: "c", tokenPath: nil, tokenHeader: "X-Next-Cursor", sizeParam: nil, size: nil)),
                                   firstParams: [], path: "/p")
        #expect(try header.next(after: page(headers: [HTTPHeader(name: "x-next-cursor", value: "9")])) == .path("/p", params: [("c", "9")]))
        #expect(try header.next(after: page()) == nil)
    }

    @Test func aRepeatingNextLinkIsAnErrorNotALoop() throws {
        var p = LinkPaginator(pagination: .nextURL(path: ["next"]), firstParams: [("a", "1")], path: "/api/items")
        #expect(try p.next(after: page(#"{"next":"/api/items?a=2"}"#)) == .url("http://h:1/api/items?a=2"))
        let second = try page(#"{"next":"/api/items?a=2"}"#, url: "http://h:1/api/items?a=2")
        #expect(repeats { try p.next(after: second) })
        // A link back to the first page is a repeat too.
        var back = LinkPaginator(pagination: .linkHeader, firstParams: [], path: "/api/items")
        let linked = try page(headers: [HTTPHeader(name: "Link", value: "<http://h:1/api/items?a=1>; rel=\"next\"")])
        #expect(repeats { try back.next(after: linked) })
        var token = LinkPaginator(pagination: .cursor(CursorPagination(param: "c", tokenPath: ["n"], tokenHeader: nil, sizeParam: nil, size: nil)), firstParams: [], path: "/p")
        _ = try token.next(after: page(#"{"n":"x"}"#))
        let again = try page(#"{"n":"x"}"#)
        #expect(repeats { try token.next(after: again) })
    }

    func repeats(_ body: () throws -> PageTarget?) -> Bool {
        do { _ = try body(); return false } catch { return error is LinkPaginator.RepeatedLink }
    }

    @Test func aShortFirstPageDoesNotEndTheWalkAndACapIsDetected() {
        // Asked for 500, no total, the gateway serves at most 100.
        var plan = PagePlan(from: nil, firstPage: 1, size: 500, byCursor: false)
        let first = plan.advance(count: 100, total: nil, maxCursor: nil)
        let second = plan.advance(count: 100, total: nil, maxCursor: nil)
        #expect(first && second)
        #expect(plan.cappedAt == 100)
        #expect(plan.readUnderBound == 200)   // the next offset, whatever size was asked
        let last = plan.advance(count: 40, total: nil, maxCursor: nil)
        #expect(!last)
    }

    @Test func csvFollowsRFC4180() throws {
        let text = "A,B,C\r\n1,\"x, y\",\"say \"\"hi\"\"\"\r\n2,\"line one\nline two\",\r\n\r\n3,,z"
        let records = try CSVReader.records(Array(text.utf8))
        #expect(records.count == 3)
        #expect(records[0]["B"]?.text == "x, y" && records[0]["C"]?.text == "say \"hi\"")
        #expect(records[1]["B"]?.text == "line one\nline two" && records[1]["C"]?.text == "")
        #expect(records[2]["A"]?.text == "3" && records[2]["C"]?.text == "z")
        // Ends inside a quoted field, or a last row short of fields with no line end: cut in transit.
        #expect(throws: TruncatedBody.self) { try CSVReader.records(Array("A,B\n1,\"open".utf8)) }
        #expect(throws: TruncatedBody.self) { try CSVReader.records(Array("A,B\n1".utf8)) }
        // A short row that has its line end, or too many fields, is a malformed file, not a cut one.
        #expect(throws: CSVReader.SyntaxError.self) { try CSVReader.records(Array("A,B\n1\n".utf8)) }
        #expect(throws: CSVReader.SyntaxError.self) { try CSVReader.records(Array("A,B\n1,2,3".utf8)) }
    }

    @Test func encodingDetectionBOMThenUTF8ThenGB18030() throws {
        let names = "龚䶮,吉𠮷"
        let utf8 = Array(names.utf8)
        #expect(try TextDecoding.utf8([0xEF, 0xBB, 0xBF] + utf8, encoding: nil) == utf8)
        #expect(try TextDecoding.utf8(utf8, encoding: nil) == utf8)
        // Bytes from Python's gb18030 codec: 䶮 U+4DAE is 0xFE9F, 𠮷 U+20BB7 the four bytes 0x9534B235.
        let gb: [UInt8] = [0xB9, 0xA8, 0xFE, 0x9F, 0x2C, 0xBC, 0xAA, 0x95, 0x34, 0xB2, 0x35]
        #expect(String(decoding: try TextDecoding.utf8(gb, encoding: nil), as: UTF8.self) == names)
        #expect(String(decoding: try TextDecoding.utf8(gb, encoding: .gb18030), as: UTF8.self) == names)
        #expect(throws: TextDecoding.DecodeError.self) { try TextDecoding.utf8(gb, encoding: .utf8) }
    }

    @Test func arcgisFeaturesAreFlattened() throws {
        let feature = try JSONParser.parse(Array(#"{"attributes":{"A":"1","B":"2"},"geometry":{"x":1},"id":"7"}"#.utf8))
        let flat = SourceClient.flatten(feature, member: "attributes")
        #expect(flat["A"]?.text == "1" && flat["B"]?.text == "2" && flat["id"]?.text == "7" && flat["geometry"] == nil)
        // An attribute named twice stays known as repeated after flattening, so the mapper
        // quarantines the record instead of guessing which value is meant.
        let twice = try JSONParser.parse(Array(#"{"attributes":{"A":"1","A":"9"},"id":"7"}"#.utf8))
        guard case .object(let flatTwice) = SourceClient.flatten(twice, member: "attributes") else { Issue.record("not an object"); return }
        #expect(flatTwice.duplicateKeys == ["A"])
    }

    @Test func envelopeSuccessValuesOfEveryKind() throws {
        func check(_ path: String, _ values: [String], _ body: String) throws -> Bool {
            EnvelopeChecker(EnvelopeConfig(successPath: [path], successValues: values, messagePath: ["msg"], errors: [:]))
                .check(try JSONParser.parse(Array(body.utf8))) == .success
        }
        #expect(try check("code", ["00", "0", "200"], #"{"code":200}"#))
        #expect(try check("code", ["00", "0", "200"], #"{"code":"0"}"#))
        #expect(try !check("code", ["00", "0", "200"], #"{"code":500}"#))
        #expect(try check("success", ["true"], #"{"success":true}"#))
        #expect(try !check("success", ["true"], #"{"success":false}"#))
        #expect(try check("status", ["1"], #"{"status":1}"#))
        #expect(try check("errcode", ["0"], #"{"errcode":0}"#))
    }
}

@Suite("Streaming NDJSON and CSV files")
struct RecordFileReaderTests {
    func file(_ bytes: [UInt8]) throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("rfr-\(UUID().uuidString)").path
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        return path
    }

    func read(_ bytes: [UInt8], _ format: RecordFormat, encoding: TextDecoding.Encoding? = nil, chunk: Int, batch: Int = 2) throws -> (records: [JSONValue], batches: [Int]) {
        let path = try file(bytes)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var records: [JSONValue] = [], batches: [Int] = []
        let n = try RecordFileReader.read(path: path, format: format, encoding: encoding, batch: batch, chunkBytes: chunk) { records += $0; batches.append($0.count) }
        #expect(n == records.count)
        return (records, batches)
    }

    /// A CSV download cut inside a record is found before the first batch is handed on (so a
    /// retry does not hand the same records on, and count them, again); a complete file without a
    /// last line end, or with a malformed record, is not mistaken for a cut one. Raw GB18030
    /// bytes have the same shape as their UTF-8.
    @Test(arguments: [1, 3, 64])
    func aCSVFileCutInsideARecordHandsNothingOn(_ chunk: Int) throws {
        let complete = "NAME,NOTE\r\n刘䶮,\"a, \"\"b\"\"\r\nc\"\r\n𠮷田春,x\r\n龚,y"
        for cut in ["NAME,NOTE\r\n刘䶮,\"a, \"\"b\"\"\r\nc\"\r\n𠮷田春,x\r\n龚", "NAME,NOTE\r\n刘䶮,\"a, \"\"b\"\"\r\n", "NAME,NOTE\r\n刘䶮,\"a, \"\"b"] {
            for bytes in [Array(cut.utf8), try #require(Self.gb18030(cut))] {
                var handedOn = 0
                let path = try file(bytes)
                defer { try? FileManager.default.removeItem(atPath: path) }
                #expect(throws: TruncatedBody.self, "\(cut)") {
                    try RecordFileReader.read(path: path, format: .csv, encoding: bytes == Array(cut.utf8) ? nil : .gb18030, batch: 1, chunkBytes: chunk) { handedOn += $0.count }
                }
                #expect(handedOn == 0, "\(cut): \(handedOn) records handed on before the cut was found")
            }
        }
        #expect(try read(Array(complete.utf8), .csv, chunk: chunk).records.count == 3)
        #expect(throws: CSVReader.SyntaxError.self) { try read(Array("A,B\nx\"y,1\n".utf8), .csv, chunk: chunk) }
    }

    @Test(arguments: [1, 2, 3, 5, 7, 64])
    func gb18030CSVSplitAnywhereParsesTheSame(_ chunk: Int) throws {
        let text = "NAME,NOTE\r\n刘䶮,\"a, \"\"b\"\"\r\nc\"\r\n𠮷田春,x\r\n龚,y"
        let gb = try #require(Self.gb18030(text))
        let (records, batches) = try read(gb, .csv, chunk: chunk)
        #expect(records.count == 3 && batches == [2, 1])
        #expect(records[0]["NAME"]?.text == "刘䶮" && records[0]["NOTE"]?.text == "a, \"b\"\r\nc")
        #expect(records[1]["NAME"]?.text == "𠮷田春" && records[2]["NOTE"]?.text == "y")
        let utf8 = try read([0xEF, 0xBB, 0xBF] + Array(text.utf8), .csv, chunk: chunk)
        #expect(utf8.records == records)
    }

    @Test func ndjsonAcrossChunksAndBadLinesNamed() throws {
        let text = "{\"a\":\"义乌\"}\n\n{\"a\":\"2\"}\r\n{\"a\":\"3\"}"
        #expect(try read(Array(text.utf8), .ndjson, chunk: 4).records.map { $0["a"]?.text } == ["义乌", "2", "3"])
        #expect(throws: TextDecoding.DecodeError.self) { try read(Array("{\"a\":1}\n{oops\n".utf8), .ndjson, chunk: 3) }
        // A last line without its line end that is not whole JSON: the body was cut inside it.
        #expect(throws: TruncatedBody.self) { try read(Array("{\"a\":1}\n{\"a\":\"2".utf8), .ndjson, chunk: 3) }
        #expect(throws: TruncatedBody.self) { try read(Array(Array("{\"a\":\"义".utf8).dropLast(1)), .ndjson, chunk: 3) }
    }

    @Test func declaredUTF8ThatIsNotFailsAndTruncatedGB18030Fails() throws {
        let gb = try #require(Self.gb18030("A\r\n刘䶮\r\n"))
        #expect(throws: TextDecoding.DecodeError.self) { try read(gb, .csv, encoding: .utf8, chunk: 5) }
        #expect(throws: TruncatedBody.self) { try read(Array(gb.dropLast(3)), .csv, encoding: .gb18030, chunk: 5) }
    }

    /// GB18030 bytes via iconv's reverse direction (checked against Python's codec elsewhere).
    static func gb18030(_ text: String) -> [UInt8]? {
        let cd = iconv_open("GB18030", "UTF-8")
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        var input = Array(text.utf8)
        var output = [UInt8](repeating: 0, count: input.count * 2 + 8)
        let produced: Int = input.withUnsafeMutableBufferPointer { i in
            output.withUnsafeMutableBufferPointer { o in
                var ip: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(i.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var il = i.count
                var op: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(o.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var ol = o.count
                return iconv(cd, &ip, &il, &op, &ol) == -1 ? -1 : o.count - ol
            }
        }
        return produced < 0 ? nil : Array(output.prefix(produced))
    }
}

@Suite("Next links are printed without credentials")
struct NextLinkPrintingTests {
    @Test func credentialLikeQueryValuesAreMasked() {
        #expect(URLRedaction.maskingCredentials("https://x.gov.cn/api?limit=100&api_key=s3cr3t&offset=200&access_token=abc&sign=f00")
                == "https://x.gov.cn/api?limit=100&api_key=***&offset=200&access_token=***&sign=***")
        #expect(URLRedaction.maskingCredentials("/api/items") == "/api/items")
        #expect(!LinkPaginator.RepeatedLink(link: "https://x/a?appKey=k1&page=2").description.contains("k1"))
        #expect(!LinkPaginator.RepeatedLink(link: "cursor=eyJzZWNyZXQiOjF9").description.contains("eyJ"))
    }
}
