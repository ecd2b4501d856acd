import Foundation
import Testing
@testable import DataflowCore

@Suite("CSV writer: RFC 4180, encodings, formula guard")
struct CSVWriterTests {
    func write(_ rows: [[String?]], encoding: CSVWriter.Encoding = .utf8) throws -> [UInt8] {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let writer = try CSVWriter(fd: fds[1], encoding: encoding)
        for row in rows { try writer.writeRow(row) }
        try writer.flush()
        close(fds[1])
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer.prefix(n)
        }
        close(fds[0])
        return out
    }

    @Test func quotingFollowsRFC4180() throws {
        let out = try write([["a", "b,c", "say \"hi\"", "line\nbreak", nil, ""], ["中文", "x\r\ny"]])
        #expect(String(decoding: out, as: UTF8.self) == "a,\"b,c\",\"say \"\"hi\"\"\",\"line\nbreak\",,\r\n中文,\"x\r\ny\"\r\n")
    }

    @Test func utf8BOMIsWrittenOnce() throws {
        let out = try write([["a"], ["b"]], encoding: .utf8Bom)
        #expect(Array(out.prefix(3)) == [0xEF, 0xBB, 0xBF])
        #expect(out.count == 3 + 6)
    }

    @Test func gb18030EncodesOutsideGBK() throws {
        let out = try write([["义乌", "䶮𠮷"]], encoding: .gb18030)
        // Expected bytes from Python's gb18030 codec: 义乌 two bytes each, 䶮 FE9F, 𠮷 a four-byte sequence.
        #expect(Digest.hex(out) == "d2e5ceda2cfe9f9534b2350d0a")
    }

    @Test func cellsASpreadsheetWouldEvaluateGetALeadingQuote() {
        for cell in ["=1+2", "+1", "-1+2", "@SUM(A1)", "\tx", "\rx", "-", "--1", "-1.", "-.5", "-1e3", "=cmd|' /C calc'!A0"] {
            #expect(CSVWriter.field(cell).hasPrefix("'") || CSVWriter.field(cell).hasPrefix("\"'"), "\(cell.debugDescription)")
        }
        // Negative numbers are data; ordinary text and empty cells are untouched.
        for cell in ["-12.5", "-3", "-0", "12", "a=b", "义乌", "", " =1", "'=1"] {
            #expect(CSVWriter.field(cell) == cell, "\(cell.debugDescription)")
        }
        // The quote goes inside the RFC 4180 quotes.
        #expect(CSVWriter.field("=1,2") == "\"'=1,2\"")
        #expect(CSVWriter.field("\rCR") == "\"'\rCR\"")
        #expect(CSVWriter.field("=1+2", neutralisingFormulas: false) == "=1+2")
    }

    @Test func theGuardHoldsInEveryEncodingAndCanBeTurnedOff() throws {
        let bom = try write([["=1+2", "-12.5"]], encoding: .utf8Bom)
        #expect(Array(bom.dropFirst(3)) == Array("'=1+2,-12.5\r\n".utf8))
        let gb = try write([["@义乌"]], encoding: .gb18030)
        #expect(Digest.hex(gb) == "27" + "40" + "d2e5ceda" + "0d0a")
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let raw = try CSVWriter(fd: fds[1])
        raw.neutralisesFormulas = false
        try raw.writeRow(["=1+2"])
        try raw.flush()
        close(fds[1])
        var buffer = [UInt8](repeating: 0, count: 64)
        let n = read(fds[0], &buffer, buffer.count)
        close(fds[0])
        #expect(Array(buffer.prefix(max(0, n))) == Array("=1+2\r\n".utf8))
    }
}
