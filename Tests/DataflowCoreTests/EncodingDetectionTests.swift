import Foundation
import Testing
@testable import DataflowCore

/// A CSV that is UTF-8 but for a stray byte is an error naming that byte, never a guess of
/// GB18030 that would garble every row; GB18030 Chinese, BOM'd UTF-8 and ASCII detect as before.
@Suite("CSV encoding detection")
struct EncodingDetectionTests {
    let reader = RecordFileReaderTests()

    /// The reviewer's file: 20 UTF-8 rows, then one whose é is the single Latin-1 byte 0xE9.
    static let header = "id,name,city\n"
    static let rows = (1...20).map { "K\(String(format: "%03d", $0)),张三,义乌\n" }.joined()
    static var strayByteFile: [UInt8] { Array((header + rows + "K999,Caf").utf8) + [0xE9] + Array("s,x\n".utf8) }
    /// Where the 0xE9 is: after the header, the 20 rows and "K999,Caf"; on line 22.
    static var strayOffset: Int { Array((header + rows + "K999,Caf").utf8).count }

    func expectStrayByte(_ error: TextDecoding.DecodeError, offset: Int, line: Int) {
        #expect(error.offset == offset && error.line == line, "\(error)")
        #expect(error.description.contains("not UTF-8 at byte \(offset) (line \(line), byte 0xE9)"), "\(error)")
    }

    @Test(arguments: [1, 3, 7, 64, 1 << 20])
    func aUTF8CSVWithOneStrayByteFailsNamingItInsteadOfBeingReadAsGB18030(chunk: Int) throws {
        let file = Self.strayByteFile
        let error = try #require(throws: TextDecoding.DecodeError.self) { try reader.read(file, .csv, chunk: chunk) }
        expectStrayByte(error, offset: Self.strayOffset, line: 22)
        #expect(error.description.contains("80 multi-byte characters, 1 invalid sequence"), "\(error)")
        #expect(error.description.contains("`encoding: gb18030`"), "\(error)")
        // A page body (not streamed) follows the same rule.
        let page = try #require(throws: TextDecoding.DecodeError.self) { try TextDecoding.utf8(file, encoding: nil) }
        expectStrayByte(page, offset: Self.strayOffset, line: 22)
    }

    /// The first pass finds the byte wherever it is, so nothing is handed on before the error,
    /// whether the byte is in the first chunk or far into the file.
    @Test func aStrayByteInTheFirstChunkOrLateInTheFileFailsBeforeAnyRecordIsHandedOn() throws {
        let rows = (1...3000).map { "K\($0),张三,义乌\r\n" }
        for at in [2, 2999] {
            var bytes = Array(("id,name,city\r\n" + rows[..<at].joined() + "K\(at + 1),").utf8)
            let offset = bytes.count
            bytes += [0xE9] + Array(("s,x\r\n" + rows[(at + 1)...].joined()).utf8)
            #expect(bytes.count > 4 * 4096)
            let path = try reader.file(bytes)
            defer { try? FileManager.default.removeItem(atPath: path) }
            var handedOn = 0
            let error = try #require(throws: TextDecoding.DecodeError.self) {
                try RecordFileReader.read(path: path, format: .csv, encoding: nil, batch: 10, chunkBytes: 4096) { handedOn += $0.count }
            }
            #expect(error.offset == offset && error.line == at + 2, "\(error)")
            #expect(handedOn == 0)
        }
    }

    @Test func aUTF8CSVWithABOMAndAStrayByteFails() throws {
        let bom: [UInt8] = [0xEF, 0xBB, 0xBF]
        let file = bom + Array("id,name\nK001,".utf8) + [0xE9] + Array("\n".utf8)
        let error = try #require(throws: TextDecoding.DecodeError.self) { try reader.read(file, .csv, chunk: 2) }
        #expect(error.offset == 3 + "id,name\nK001,".utf8.count && error.line == 2, "\(error)")
        #expect(error.description.contains("byte order mark"), "\(error)")
        // With a BOM and nothing wrong, the BOM goes and the text stays.
        let good = try reader.read(bom + Array("id,name\nK001,张三\n".utf8), .csv, chunk: 2).records
        #expect(good.map { $0["name"]?.text } == ["张三"])
    }

    /// Declared UTF-8: the byte is named and nothing is handed on, never replaced by U+FFFD.
    @Test func aDeclaredUTF8CSVWithAStrayByteFailsNamingIt() throws {
        let path = try reader.file(Self.strayByteFile)
        defer { try? FileManager.default.removeItem(atPath: path) }
        var handedOn = 0
        let error = try #require(throws: TextDecoding.DecodeError.self) {
            try RecordFileReader.read(path: path, format: .csv, encoding: .utf8, batch: 2, chunkBytes: 64) { handedOn += $0.count }
        }
        expectStrayByte(error, offset: Self.strayOffset, line: 22)
        #expect(error.description.contains("declares `encoding: utf-8`"), "\(error)")
        #expect(handedOn == 0)
        let page = try #require(throws: TextDecoding.DecodeError.self) { try TextDecoding.utf8(Self.strayByteFile, encoding: .utf8) }
        expectStrayByte(page, offset: Self.strayOffset, line: 22)
    }

    @Test func anNDJSONDownloadWithAStrayByteNamesIt() throws {
        let bytes = Array("{\"a\":\"义乌\"}\n{\"a\":\"Caf".utf8) + [0xE9] + Array("s\"}\n".utf8)
        let error = try #require(throws: TextDecoding.DecodeError.self) { try reader.read(bytes, .ndjson, chunk: 5) }
        #expect(error.offset == "{\"a\":\"义乌\"}\n{\"a\":\"Caf".utf8.count && error.line == 2, "\(error)")
    }

    /// Real GB18030 Chinese is still detected, even where a stretch of it (营业执照: D3AA D2B5
    /// D6B4 D5D5) happens to read as UTF-8; ASCII is UTF-8; a UTF-8 body cut inside a character
    /// is a truncated body, not GB18030.
    @Test(arguments: [1, 5, 1 << 20])
    func gb18030AndASCIIAreDetectedAsBefore(chunk: Int) throws {
        let text = "证照,机关\r\n营业执照,义乌市市场监督管理局\r\n食品经营许可证,稠城街道\r\n刘䶮,𠮷田春\r\n"
        let gb = try #require(RecordFileReaderTests.gb18030(text))
        let records = try reader.read(gb, .csv, chunk: chunk).records
        #expect(records.map { $0["证照"]?.text ?? "" } == ["营业执照", "食品经营许可证", "刘䶮"])
        #expect(records.last?["机关"]?.text == "𠮷田春")
        #expect(String(decoding: try TextDecoding.utf8(gb, encoding: nil), as: UTF8.self) == text)
        #expect(try reader.read(Array("id,name\nK001,Cafe\n".utf8), .csv, chunk: chunk).records.first?["name"]?.text == "Cafe")
        #expect(throws: TruncatedBody.self) { try reader.read(Array(Array("id,name\nK001,义".utf8).dropLast()), .csv, chunk: chunk) }
    }

    /// The survey counts as U+FFFD replacement would, whatever the chunks.
    @Test(arguments: [1, 2, 3, 100])
    func theSurveyCountsSequencesAcrossChunks(chunk: Int) {
        // 张 (3 bytes), 𠮷 (4), é (2); then a lone continuation byte, an overlong C0 80 (two
        // invalid), a surrogate ED A0 80 (ED then A0, 80: three), a sequence cut by a line end.
        let bytes: [UInt8] = Array("张𠮷é\n".utf8) + [0x80, 0xC0, 0x80, 0xED, 0xA0, 0x80, 0x0D, 0x0A, 0xE4, 0xB8, 0x0A, 0x41]
        var survey = TextDecoding.UTF8Survey()
        for start in stride(from: 0, to: bytes.count, by: chunk) {
            bytes[start..<min(start + chunk, bytes.count)].withUnsafeBufferPointer { survey.feed($0) }
        }
        #expect(survey.multiByteCharacters == 3)
        #expect(survey.invalidSequences == 1 + 2 + 3 + 1)
        #expect(survey.firstInvalid == TextDecoding.UTF8Survey.Location(offset: 10, line: 2, byte: 0x80))
        #expect(!survey.endsInsideSequence && survey.bytesRead == bytes.count)
    }
}
