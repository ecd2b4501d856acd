/// Check characters of the Chinese identifier standards the sandbox must generate validly.
///
/// ```swift
/// CheckDigits.isValidCreditCode("91350100M000100Y43")   // true (GB 32100)
/// CheckDigits.isValidCitizenID("11010519491231002X")    // true (GB 11643)
/// ```
enum CheckDigits {
    /// GB 32100 alphabet: digits and capitals without I, O, S, V, Z.
    static let creditCodeAlphabet: [UInt8] = Array("0123456789ABCDEFGHJKLMNPQRTUWXY".utf8)
    /// Value of each byte in the GB 32100 alphabet, -1 outside it.
    private static let creditCodeValues: [Int8] = (0..<256).map { byte in
        Int8(creditCodeAlphabet.firstIndex(of: UInt8(byte)) ?? -1)
    }
    private static let creditCodeWeights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    private static let organizationCodeWeights = [3, 7, 9, 10, 5, 8, 4, 2]
    private static let citizenIDWeights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    private static let citizenIDCheckAlphabet: [UInt8] = Array("10X98765432".utf8)

    /// GB 32100 check character over the first 17 characters, or nil if one is outside the alphabet.
    static func creditCodeCheckCharacter(_ first17: UnsafeBufferPointer<UInt8>) -> UInt8? {
        guard first17.count == 17 else { return nil }
        var sum = 0
        for position in 0..<17 {
            let value = Int(creditCodeValues[Int(first17[position])])
            guard value >= 0 else { return nil }
            sum += value * creditCodeWeights[position]
        }
        return creditCodeAlphabet[(31 - sum % 31) % 31]
    }

    /// GB 11714 organisation-code check character over the first 8 characters (digits and capitals).
    static func organizationCodeCheckCharacter(_ first8: UnsafeBufferPointer<UInt8>) -> UInt8? {
        guard first8.count == 8 else { return nil }
        var sum = 0
        for position in 0..<8 {
            let byte = first8[position]
            let value: Int
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): value = Int(byte) - 48
            case UInt8(ascii: "A")...UInt8(ascii: "Z"): value = Int(byte) - 55
            default: return nil
            }
            sum += value * organizationCodeWeights[position]
        }
        switch 11 - sum % 11 {
        case 10: return UInt8(ascii: "X")
        case 11: return UInt8(ascii: "0")
        case let digit: return UInt8(48 + digit)
        }
    }

    /// GB 11643 check character over the first 17 digits, or nil if one is not a digit.
    static func citizenIDCheckCharacter(_ first17: UnsafeBufferPointer<UInt8>) -> UInt8? {
        guard first17.count == 17 else { return nil }
        var sum = 0
        for position in 0..<17 {
            let byte = first17[position]
            guard (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) else { return nil }
            sum += (Int(byte) - 48) * citizenIDWeights[position]
        }
        return citizenIDCheckAlphabet[sum % 11]
    }

    /// Whether an 18-character credit code carries a correct GB 32100 check character.
    static func isValidCreditCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 18 else { return false }
        return bytes.withUnsafeBufferPointer { creditCodeCheckCharacter(UnsafeBufferPointer(rebasing: $0[0..<17])) } == bytes[17]
    }

    /// Whether positions 9–17 of a credit code form a valid GB 11714 organisation code.
    static func hasValidOrganizationCode(_ code: String) -> Bool {
        let bytes = Array(code.utf8)
        guard bytes.count == 18 else { return false }
        return bytes.withUnsafeBufferPointer { organizationCodeCheckCharacter(UnsafeBufferPointer(rebasing: $0[8..<16])) } == bytes[16]
    }

    /// Whether an 18-character citizen ID carries a correct GB 11643 check character.
    static func isValidCitizenID(_ id: String) -> Bool {
        let bytes = Array(id.utf8)
        guard bytes.count == 18 else { return false }
        return bytes.withUnsafeBufferPointer { citizenIDCheckCharacter(UnsafeBufferPointer(rebasing: $0[0..<17])) } == bytes[17]
    }
}
