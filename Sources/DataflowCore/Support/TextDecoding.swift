import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Turns downloaded bytes into UTF-8 text: UTF-8 BOM → strict UTF-8 → GB18030 (docs/connectors.md), or a
/// declared `encoding:`.
public enum TextDecoding {
    /// A text encoding a source may declare.
    public enum Encoding: String, Sendable, CaseIterable { case utf8 = "utf-8", gb18030 }

    /// A body that is not valid in the declared or detected encoding.
    public struct DecodeError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    /// UTF-8 bytes of `bytes` (BOM removed); `encoding` nil = detect.
    public static func utf8(_ bytes: [UInt8], encoding: Encoding?) throws -> [UInt8] {
        let hasBOM = bytes.count >= 3 && bytes[0] == 0xEF && bytes[1] == 0xBB && bytes[2] == 0xBF
        switch encoding {
        case .utf8?:
            let body = hasBOM ? Array(bytes[3...]) : bytes
            guard String(validating: body, as: UTF8.self) != nil else {
                throw DecodeError(description: "the body is declared utf-8 but is not valid UTF-8")
            }
            return body
        case .gb18030?:
            return try fromGB18030(bytes)
        case nil:
            if hasBOM { return Array(bytes[3...]) }
            if String(validating: bytes, as: UTF8.self) != nil { return bytes }
            return try fromGB18030(bytes)
        }
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
}
