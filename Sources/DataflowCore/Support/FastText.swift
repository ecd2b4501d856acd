/// Whitespace handling for the per-record hot path, without Foundation (whose `CharacterSet`
/// trimming bridges through `NSString` on Linux and dominated the mapping profile).
extension String {
    /// The string without leading and trailing Unicode whitespace (U+3000 and NBSP included).
    /// Returns `self` unchanged, without allocating, when there is nothing to trim.
    public var trimmingWhitespace: String {
        let scalars = unicodeScalars
        guard let first = scalars.first, let last = scalars.last else { return self }
        if !first.properties.isWhitespace && !last.properties.isWhitespace { return self }
        var start = scalars.startIndex
        var end = scalars.endIndex
        while start < end, scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start, scalars[scalars.index(before: end)].properties.isWhitespace { end = scalars.index(before: end) }
        return String(scalars[start..<end])
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
