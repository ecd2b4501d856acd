#if canImport(Glibc)
import Glibc
#endif

/// Whitespace handling for the per-record hot path, without Foundation (whose `CharacterSet`
/// trimming bridges through `NSString` on Linux and dominated the mapping profile).
extension String {
    /// The string without leading and trailing Unicode whitespace (U+3000 and NBSP included).
    /// Returns `self` unchanged, without allocating, when there is nothing to trim.
    public var trimmingWhitespace: String {
        if !hasOuterWhitespace { return self }
        let scalars = unicodeScalars
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].isWhitespaceFast { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].isWhitespaceFast { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}

extension String {
    /// Calls `body` with the text's UTF-8 bytes where they are. `withUTF8` needs a `var` (a copy
    /// of the string: a retain and a release per call, per value on the per-record path); a
    /// native string is always contiguous, and only one that is not (bridged) is copied here.
    @inline(__always)
    func withUTF8Bytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        if let result = try utf8.withContiguousStorageIfAvailable(body) { return result }
        var copy = self
        return try copy.withUTF8(body)
    }

    /// Whether every byte is ASCII, read in place.
    var isASCIIBytes: Bool { withUTF8Bytes { $0.allSatisfy { $0 < 0x80 } } }

    /// Whether the first or the last scalar is Unicode whitespace. An ASCII first or last byte is
    /// that scalar, so it is tested as a byte; only a text that starts or ends outside ASCII
    /// reads the scalar there (the String's scalar view checks its index on every read).
    var hasOuterWhitespace: Bool {
        // Both end bytes in one read of the storage (each `utf8.first`/`last` checks the index anew).
        // For the last scalar its lead byte (up to three continuation bytes back). Whitespace outside
        // ASCII only starts with the lead bytes C2, E1, E2 or E3 (`TextTransformer.needsCollapse`), so
        // a scalar with any other lead byte is not whitespace, without decoding it.
        guard let (head, tail) = withUTF8Bytes({ bytes -> (UInt8, UInt8)? in
            guard !bytes.isEmpty else { return nil }
            var last = bytes.count - 1
            while last > 0, bytes.count - last < 4, bytes[last] & 0xC0 == 0x80 { last -= 1 }
            return (bytes[0], bytes[last])
        }) else { return false }
        if head < 0x80 ? Unicode.Scalar(head).isWhitespaceFast : String.mayLeadWhitespace(head) && unicodeScalars.first?.isWhitespaceFast == true { return true }
        return tail < 0x80 ? Unicode.Scalar(tail).isWhitespaceFast : String.mayLeadWhitespace(tail) && unicodeScalars.last?.isWhitespaceFast == true
    }

    /// Whether a scalar whose UTF-8 starts with `lead` (not ASCII) can be whitespace: U+0085 and
    /// U+00A0 (C2), U+1680 (E1), U+2000–U+205F (E2), U+3000 (E3).
    @inline(__always)
    static func mayLeadWhitespace(_ lead: UInt8) -> Bool { lead == 0xC2 || (lead >= 0xE1 && lead <= 0xE3) }

    /// Whether any UTF-8 byte of the text is one of `leads`, read in place (nil when the text is
    /// not stored contiguously, and then the caller reads scalars). A lead byte of a multi-byte
    /// scalar never appears inside another scalar's bytes, so "no 0xE3" means "no scalar from
    /// U+3000 to U+3FFF".
    func utf8Contains(anyOf leads: (UInt8, UInt8)) -> Bool? {
        // `memchr` reads a word at a time (a byte loop was 10 instructions a byte, 2 % of a sync).
        utf8.withContiguousStorageIfAvailable { bytes in
            guard let base = bytes.baseAddress, !bytes.isEmpty else { return false }
            if memchr(base, Int32(leads.0), bytes.count) != nil { return true }
            return leads.1 != leads.0 && memchr(base, Int32(leads.1), bytes.count) != nil
        }
    }
}

extension Unicode.Scalar {
    /// `properties.isWhitespace` without the property-table search: the Unicode White_Space set
    /// is small and fixed (U+0009–000D, 0020, 0085, 00A0, 1680, 2000–200A, 2028, 2029, 202F,
    /// 205F, 3000), and CJK text would otherwise pay a lookup per character.
    @inline(__always)
    var isWhitespaceFast: Bool {
        let v = value
        if v < 0x80 { return v == 0x20 || (v >= 0x09 && v <= 0x0D) }
        if v < 0x1680 { return v == 0x85 || v == 0xA0 }
        return v == 0x1680 || (v >= 0x2000 && v <= 0x200A) || v == 0x2028 || v == 0x2029 || v == 0x202F || v == 0x205F || v == 0x3000
    }
}

/// Byte tables for the GB 32100 alphabet, so checks index arrays instead of hashing characters.
enum CreditCodeAlphabet {
    /// Value 0–30 of an ASCII byte in the alphabet `0123456789ABCDEFGHJKLMNPQRTUWXY`, or -1.
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (i, b) in Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8).enumerated() { table[Int(b)] = Int8(i) }
        return table
    }()
    static let characters: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
}

extension Character {
    /// A YAML line break: LF, CRLF (one `Character`, so `split(separator: "\n")` keeps a file
    /// saved on Windows as one line) or a lone CR.
    var isLineBreak: Bool { self == "\n" || self == "\r\n" || self == "\r" }
}
