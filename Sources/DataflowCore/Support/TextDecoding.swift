import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns downloaded bytes into UTF-8 text, in a declared `encoding:` or a detected one
/// (docs/connectors.md): a UTF-8 BOM or valid UTF-8 → UTF-8; bytes that are mostly not UTF-8 →
/// GB18030; UTF-8 but for a few bytes → an error naming the first of them, never a guess that
/// would garble the file's UTF-8 text.
public enum TextDecoding {
    /// A text encoding a source may declare.
    public enum Encoding: String, Sendable, CaseIterable { case utf8 = "utf-8", gb18030 }

    /// A body that is not valid in the declared or detected encoding.
    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        public var description: String
        /// The first invalid byte, when it is known: its offset in the body (from 0, a BOM
        /// included) and its line (from 1).
        public var offset: Int?
        public var line: Int?

        /// A body that is not UTF-8 at `first`; `why` says why it had to be.
        static func notUTF8(at first: UTF8Survey.Location, _ why: String) -> DecodeError {
            let byte = "0x" + String(first.byte, radix: 16, uppercase: true)
            return DecodeError(description: "not UTF-8 at byte \(first.offset) (line \(first.line), byte \(byte)), \(why)",
                               offset: first.offset, line: first.line)
        }
    }

    /// UTF-8 bytes of `bytes` (BOM removed); `encoding` nil = detect.
    public static func utf8(_ bytes: [UInt8], encoding: Encoding?) throws -> [UInt8] {
        let hasBOM = startsWithBOM(bytes)
        switch encoding {
        case .gb18030?:
            return try fromGB18030(bytes)
        case .utf8?, nil:
            var survey = UTF8Survey()
            bytes.withUnsafeBufferPointer { survey.feed($0) }
            if try detected(survey, declared: encoding, hasBOM: hasBOM) == .gb18030 { return try fromGB18030(bytes) }
            if survey.endsInsideSequence {
                throw DecodeError(description: "the body ends inside a UTF-8 sequence (byte \(survey.sequenceStart)): it was cut short",
                                  offset: survey.sequenceStart)
            }
            return hasBOM ? Array(bytes[3...]) : bytes
        }
    }

    /// Whether `bytes` start with the UTF-8 byte order mark.
    static func startsWithBOM(_ bytes: [UInt8]) -> Bool {
        bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
    }

    /// The encoding of a body surveyed whole, `declared` utf-8 or nil (docs/connectors.md):
    /// valid UTF-8 (but for a sequence cut off at the very end: a truncated UTF-8 body) is
    /// UTF-8; invalid bytes in a body declared UTF-8, or starting with a BOM, are an error;
    /// otherwise it is GB18030 when it holds fewer well-formed multi-byte UTF-8 characters than
    /// invalid sequences (real GB18030 Chinese holds about one for every six), and an error when
    /// it holds as many or more: a UTF-8 file with a stray byte, which read as GB18030 would
    /// have every row of its Chinese text garbled.
    static func detected(_ survey: UTF8Survey, declared: Encoding?, hasBOM: Bool) throws -> Encoding {
        guard let first = survey.firstInvalid else { return .utf8 }
        if declared == .utf8 {
            throw DecodeError.notUTF8(at: first, "though the request declares `encoding: utf-8`: have the gateway fix that byte, "
                                      + "or set `encoding: gb18030` if the file really is GB18030")
        }
        if hasBOM {
            throw DecodeError.notUTF8(at: first, "though the body starts with a UTF-8 byte order mark: have the gateway fix that byte")
        }
        if survey.multiByteCharacters < survey.invalidSequences { return .gb18030 }
        let bad = survey.invalidSequences == 1 ? "1 invalid sequence" : "\(survey.invalidSequences) invalid sequences"
        throw DecodeError.notUTF8(at: first, "in a body that is otherwise UTF-8 (\(survey.multiByteCharacters) multi-byte characters, \(bad)): "
                                  + "the encoding is not guessed, as reading it as GB18030 would garble all its UTF-8 text. "
                                  + "Have the gateway fix that byte; if the file really is GB18030, set `encoding: gb18030` in the request")
    }

    /// GB18030 → UTF-8 through iconv (GB18030 covers all of Unicode, so 䶮 and 𠮷 survive).
    public static func fromGB18030(_ input: [UInt8]) throws -> [UInt8] {
        let cd = iconv_open("UTF-8", "GB18030")
        guard cd != iconv_t(bitPattern: -1) else { throw DecodeError(description: "this system's iconv has no GB18030 converter") }
        defer { iconv_close(cd) }
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        var source = input
        let produced: Int = source.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                let result = iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft)
                if result == -1 || inLeft != 0 { return -1 - (inBuffer.count - inLeft) }
                return outBuffer.count - outLeft
            }
        }
        guard produced >= 0 else {
            throw DecodeError(description: "the body is neither UTF-8 nor valid GB18030 (bad byte sequence at byte \(-produced - 1))")
        }
        return Array(output.prefix(produced))
    }

    /// Reads a body in chunks of any size (a sequence may be split between them) in constant
    /// memory, and says where it stops being UTF-8 and how much UTF-8 it holds. Ill-formed
    /// sequences are counted as U+FFFD replacement would count them (each maximal subpart once).
    ///
    /// ```swift
    /// var survey = TextDecoding.UTF8Survey()
    /// let latin1: [UInt8] = [0x43, 0x61, 0x66, 0xE9, 0x73]         // "Cafés" with a Latin-1 é
    /// latin1.withUnsafeBufferPointer { survey.feed($0) }
    /// survey.firstInvalid                                          // offset 3, line 1, byte 0xE9
    /// ```
    public struct UTF8Survey: Sendable {
        /// Where an ill-formed sequence starts: offset in the body (from 0), line (from 1; CRLF,
        /// LF and CR end lines), and its first byte.
        public struct Location: Sendable, Equatable {
            public var offset: Int
            public var line: Int
            public var byte: UInt8
        }

        /// Bytes read so far.
        public private(set) var bytesRead = 0
        /// Well-formed sequences of two to four bytes read (a BOM is one).
        public private(set) var multiByteCharacters = 0
        /// Ill-formed sequences read.
        public private(set) var invalidSequences = 0
        /// The first ill-formed sequence.
        public private(set) var firstInvalid: Location?
        /// Where the sequence in progress started.
        public private(set) var sequenceStart = 0

        /// Continuation bytes the sequence in progress still needs, and the range of the next.
        private var need = 0
        private var low: UInt8 = 0x80
        private var high: UInt8 = 0xBF
        private var sequenceLead: UInt8 = 0
        /// Line ends before the first ill-formed sequence (counting stops there).
        private var lineEnds = 0
        private var afterCR = false

        public init() {}

        /// Whether the bytes read end inside a multi-byte sequence (the body may have been cut).
        public var endsInsideSequence: Bool { need > 0 }

        /// Reads the next bytes of the body.
        public mutating func feed(_ bytes: UnsafeBufferPointer<UInt8>) {
            var offset = bytesRead
            for b in bytes {
                if need > 0 {
                    if b >= low && b <= high {
                        need -= 1
                        low = 0x80
                        high = 0xBF
                        if need == 0 { multiByteCharacters += 1 }
                        offset += 1
                        continue
                    }
                    // The sequence broke off: it is one invalid sequence, and `b` starts afresh.
                    need = 0
                    low = 0x80
                    high = 0xBF
                    invalid(at: sequenceStart, sequenceLead)
                }
                if b < 0x80 {
                    if firstInvalid == nil {
                        if b == 0x0A { if !afterCR { lineEnds += 1 }; afterCR = false } else if b == 0x0D { lineEnds += 1; afterCR = true } else { afterCR = false }
                    }
                } else {
                    afterCR = false
                    // Table 3-7 of the Unicode Standard: the lead byte fixes the length and the
                    // second byte's range (no overlong forms, surrogates or values past U+10FFFF).
                    switch b {
                    case 0xC2...0xDF: need = 1
                    case 0xE0: need = 2; low = 0xA0
                    case 0xE1...0xEC, 0xEE, 0xEF: need = 2
                    case 0xED: need = 2; high = 0x9F
                    case 0xF0: need = 3; low = 0x90
                    case 0xF1...0xF3: need = 3
                    case 0xF4: need = 3; high = 0x8F
                    default: invalid(at: offset, b)
                    }
                    if need > 0 { sequenceStart = offset; sequenceLead = b }
                }
                offset += 1
            }
            bytesRead = offset
        }

        private mutating func invalid(at offset: Int, _ byte: UInt8) {
            invalidSequences += 1
            if firstInvalid == nil { firstInvalid = Location(offset: offset, line: lineEnds + 1, byte: byte) }
        }
    }
}
