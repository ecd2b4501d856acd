/// JSON string escaping over raw bytes, eight bytes at a time: the service-cases page embeds a
/// whole page of JSON as one string, so escaping speed matters as much as rendering.
enum JSONStringEscaper {
    private static let ones: UInt64 = 0x0101_0101_0101_0101
    private static let highBits: UInt64 = 0x8080_8080_8080_8080

    /// Whether any byte of `word` needs escaping: `"`, `\` or a control character.
    @inline(__always)
    static func hasSpecialByte(_ word: UInt64) -> Bool {
        @inline(__always) func hasZeroByte(_ value: UInt64) -> Bool { (value &- ones) & ~value & highBits != 0 }
        let hasControl = (word &- ones &* 0x20) & ~word & highBits != 0
        return hasControl || hasZeroByte(word ^ (ones &* 0x22)) || hasZeroByte(word ^ (ones &* 0x5C))
    }

    @inline(__always)
    static func needsEscape(_ byte: UInt8) -> Bool {
        byte < 0x20 || byte == 0x22 || byte == 0x5C
    }

    @inline(__always)
    private static func escapedLength(_ byte: UInt8) -> Int {
        switch byte {
        case 0x22, 0x5C, 0x0A, 0x0D, 0x09, 0x08, 0x0C: 2
        case ..<0x20: 6
        default: 1
        }
    }

    /// The length of `source` once escaped (without the surrounding quotes).
    static func escapedLength(of source: UnsafeRawBufferPointer) -> Int {
        guard let base = source.baseAddress else { return 0 }
        var length = 0
        var index = 0
        while index + 8 <= source.count {
            if !hasSpecialByte(base.loadUnaligned(fromByteOffset: index, as: UInt64.self)) {
                length += 8
            } else {
                for offset in index..<index + 8 { length += escapedLength(source[offset]) }
            }
            index += 8
        }
        while index < source.count {
            length += escapedLength(source[index])
            index += 1
        }
        return length
    }

    /// Writes `source` escaped at the start of `target` (which must hold `escapedLength(of:)`
    /// bytes); returns the bytes written.
    static func escape(_ source: UnsafeRawBufferPointer, into target: UnsafeMutableRawBufferPointer) -> Int {
        guard let base = source.baseAddress, let out = target.baseAddress else { return 0 }
        var read = 0
        var write = 0
        while read + 8 <= source.count {
            let word = base.loadUnaligned(fromByteOffset: read, as: UInt64.self)
            if !hasSpecialByte(word) {
                out.storeBytes(of: word, toByteOffset: write, as: UInt64.self)
                read += 8
                write += 8
            } else {
                for offset in read..<read + 8 { write += escapeByte(source[offset], into: out + write) }
                read += 8
            }
        }
        while read < source.count {
            write += escapeByte(source[read], into: out + write)
            read += 1
        }
        return write
    }

    /// Writes one byte, escaped if needed; returns the bytes written.
    @inline(__always)
    private static func escapeByte(_ byte: UInt8, into out: UnsafeMutableRawPointer) -> Int {
        let letter: UInt8
        switch byte {
        case 0x22: letter = UInt8(ascii: "\"")
        case 0x5C: letter = UInt8(ascii: "\\")
        case 0x0A: letter = UInt8(ascii: "n")
        case 0x0D: letter = UInt8(ascii: "r")
        case 0x09: letter = UInt8(ascii: "t")
        case 0x08: letter = UInt8(ascii: "b")
        case 0x0C: letter = UInt8(ascii: "f")
        case ..<0x20:
            let hex: StaticString = "0123456789abcdef"
            out.storeBytes(of: UInt8(ascii: "\\"), toByteOffset: 0, as: UInt8.self)
            out.storeBytes(of: UInt8(ascii: "u"), toByteOffset: 1, as: UInt8.self)
            out.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 2, as: UInt8.self)
            out.storeBytes(of: UInt8(ascii: "0"), toByteOffset: 3, as: UInt8.self)
            out.storeBytes(of: hex.utf8Start[Int(byte >> 4)], toByteOffset: 4, as: UInt8.self)
            out.storeBytes(of: hex.utf8Start[Int(byte & 0x0F)], toByteOffset: 5, as: UInt8.self)
            return 6
        default:
            out.storeBytes(of: byte, toByteOffset: 0, as: UInt8.self)
            return 1
        }
        out.storeBytes(of: UInt8(ascii: "\\"), toByteOffset: 0, as: UInt8.self)
        out.storeBytes(of: letter, toByteOffset: 1, as: UInt8.self)
        return 2
    }
}
