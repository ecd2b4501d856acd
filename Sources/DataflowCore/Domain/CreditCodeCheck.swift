/// GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters from
/// `0123456789ABCDEFGHJKLMNPQRTUWXY` with a MOD 31 check character; characters 9–17 are the
/// body's GB 11714 organisation code (8 characters and a MOD 11 check character).
///
/// ```swift
/// CreditCodeCheck.validate("91350100M000100Y43")  // nil (valid)
/// ```
public enum CreditCodeCheck {
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    static let values: [Character: Int] = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })
    static let organizationWeights = [3, 7, 9, 10, 5, 8, 4, 2]

    /// The check character for the first 17 characters, or nil if any is outside the alphabet.
    public static func checkCharacter(for body: String) -> Character? {
        let bytes = Array(body.utf8)
        guard bytes.count == 17, let check = checkByte(bytes[...]) else { return nil }
        return Character(Unicode.Scalar(check))
    }

    /// The check byte for 17 ASCII bytes (no allocation), or nil outside the alphabet.
    static func checkByte(_ body: some Collection<UInt8>) -> UInt8? {
        var sum = 0
        var i = 0
        for b in body {
            let v = CreditCodeAlphabet.values[Int(b)]
            guard v >= 0 else { return nil }
            sum += Int(v) * weights[i]
            i += 1
        }
        return CreditCodeAlphabet.characters[(31 - sum % 31) % 31]
    }

    /// GB 11714-1997 check character for an organisation code's 8 leading characters (digits = 0–9,
    /// A–Z = 10–35): `C9 = 11 − (Σ value × weight mod 11)`, 10 → `X`, 11 → `0`.
    public static func organizationCheckCharacter(for body: String) -> Character? {
        organizationCheckByte(body.utf8).map { Character(Unicode.Scalar($0)) }
    }

    /// `organizationCheckCharacter` over 8 ASCII bytes (no allocation).
    static func organizationCheckByte(_ body: some Collection<UInt8>) -> UInt8? {
        guard body.count == 8 else { return nil }
        var sum = 0
        for (i, c) in body.enumerated() {
            let v: Int
            switch c {
            case 48...57: v = Int(c) - 48
            case 65...90: v = Int(c) - 55
            default: return nil
            }
            sum += v * organizationWeights[i]
        }
        switch 11 - sum % 11 {
        case 10: return UInt8(ascii: "X")
        case 11: return UInt8(ascii: "0")
        case let d: return UInt8(48 + d)
        }
    }

    /// Whether the embedded organisation code is checked. Individual businesses (个体工商户,
    /// registration authority 9, type 2) are exempt: most of them never had a GB 11714 code, and
    /// the body codes assigned when their licences were converted do not reliably carry the
    /// MOD 11 check, so only the GB 32100 check character guards them.
    public static func checksOrganizationCode(_ code: String) -> Bool { !code.hasPrefix("92") }

    /// Whether 18 bytes are a valid code (`validate` returns nil), with no allocation.
    static func isValidFast(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard bytes.count == 18, let check = checkByte(bytes[0..<17]), check == bytes[17] else { return false }
        if bytes[0] == UInt8(ascii: "9") && bytes[1] == UInt8(ascii: "2") { return true }  // checksOrganizationCode
        return organizationCheckByte(bytes[8..<16]) == bytes[16]
    }

    /// nil when `code` is valid, else why not.
    public static func validate(_ code: String) -> String? {
        // Fast path, in the bytes and without a copy: 18 characters of the alphabet with the right
        // check characters. Anything else is explained below.
        if code.withUTF8Bytes(isValidFast) { return nil }
        let chars = Array(code)
        guard chars.count == 18 else { return "length \(chars.count), expected 18" }
        if let bad = chars.first(where: { values[$0] == nil }) { return "character '\(bad)' is not in the GB 32100 alphabet" }
        guard let expected = checkCharacter(for: String(chars[0..<17])) else { return "invalid characters" }
        guard chars[17] == expected else { return "check character is \(chars[17]), expected \(expected)" }
        if checksOrganizationCode(code), let org = organizationCheckCharacter(for: String(chars[8..<16])), chars[16] != org {
            return "embedded organisation code \(String(chars[8..<17])) has check character \(chars[16]), expected \(org) (GB 11714)"
        }
        return nil
    }
}
