/// Exact decimals kept as text: validated and canonicalized, never through binary floating point.
public enum DecimalText {
    /// `"+007.50"` → `"7.50"`, `"-0.0"` → `"0.0"`; the scale (digits after the point) is kept.
    /// Plain notation only: sign, digits, optional point and digits.
    public static func canonical(_ text: String) -> String? {
        // Most values already are canonical: they come back as they are, without a copy.
        if text.withUTF8Bytes(isCanonical) { return text }
        return rebuilt(text)
    }

    /// `canonical` built anew from the text's bytes (the path for values not yet canonical).
    static func rebuilt(_ text: String) -> String? {
        var bytes = Array(text.utf8)
        while let f = bytes.first, f == 0x20 { bytes.removeFirst() }
        while let l = bytes.last, l == 0x20 { bytes.removeLast() }
        var negative = false
        if let f = bytes.first, f == UInt8(ascii: "+") || f == UInt8(ascii: "-") {
            negative = f == UInt8(ascii: "-")
            bytes.removeFirst()
        }
        let parts = bytes.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        guard parts.count == 1 || parts.count == 2 else { return nil }
        var integer = Array(parts[0])
        let fraction = parts.count == 2 ? Array(parts[1]) : []
        guard !integer.isEmpty || !fraction.isEmpty, parts.count == 1 || !fraction.isEmpty,
              integer.allSatisfy(isDigit), fraction.allSatisfy(isDigit) else { return nil }
        while integer.count > 1, integer.first == UInt8(ascii: "0") { integer.removeFirst() }
        if integer.isEmpty { integer = [UInt8(ascii: "0")] }
        let isZero = integer == [UInt8(ascii: "0")] && fraction.allSatisfy { $0 == UInt8(ascii: "0") }
        var out = (negative && !isZero) ? "-" : ""
        out += String(decoding: integer, as: UTF8.self)
        if !fraction.isEmpty { out += "." + String(decoding: fraction, as: UTF8.self) }
        return out
    }

    private static func isDigit(_ b: UInt8) -> Bool { b >= 48 && b <= 57 }

    /// Whether `canonical` would return these bytes unchanged: an optional minus (not before a
    /// zero), digits without a leading zero (or one zero), and optionally a point and digits.
    static func isCanonical(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 0
        let negative = bytes.first == UInt8(ascii: "-")
        if negative { i = 1 }
        let integerStart = i
        while i < bytes.count, isDigit(bytes[i]) { i += 1 }
        let integerCount = i - integerStart
        guard integerCount > 0, integerCount == 1 || bytes[integerStart] != UInt8(ascii: "0") else { return false }
        var nonZero = integerCount > 1 || bytes[integerStart] != UInt8(ascii: "0")
        if i < bytes.count {
            guard bytes[i] == UInt8(ascii: "."), i + 1 < bytes.count else { return false }
            i += 1
            while i < bytes.count {
                guard isDigit(bytes[i]) else { return false }
                if bytes[i] != UInt8(ascii: "0") { nonZero = true }
                i += 1
            }
        }
        return !negative || nonZero
    }
}
