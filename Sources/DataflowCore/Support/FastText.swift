/// Whitespace handling for the per-record hot path, without Foundation (whose `CharacterSet`
/// trimming bridges through `NSString` on Linux and dominated the mapping profile).
extension String {
    /// The string without leading and trailing Unicode whitespace (U+3000 and NBSP included).
    /// Returns `self` unchanged, without allocating, when there is nothing to trim.
    public var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return self }
        if !first.isWhitespaceFast && !last.isWhitespaceFast { return self }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].isWhitespaceFast { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].isWhitespaceFast { end = scalars.index(before: end) }
        return String(scalars[start..<end])
    }
}

extension Unicode.Scalar {
    /// `properties.isWhitespace` with an ASCII fast path (the property lookup is a table search).
    @inline(__always)
    var isWhitespaceFast: Bool {
        if value < 0x80 { return value == 0x20 || (value >= 0x09 && value <= 0x0D) }
        return properties.isWhitespace
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
