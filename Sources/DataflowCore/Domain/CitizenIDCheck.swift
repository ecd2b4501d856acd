/// GB 11643-1999 citizen identity number: 17 digits (division, birth date, sequence) and an
/// ISO 7064 MOD 11-2 check character.
///
/// ```swift
/// CitizenIDCheck.validate("11010519491231002X")  // nil (valid)
/// CitizenIDCheck.upgrade("110105491231002")      // "11010519491231002X"
/// ```
public enum CitizenIDCheck {
    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters = Array("10X98765432")

    /// The check character for 17 leading digits, or nil if they are not 17 digits.
    public static func checkCharacter(for body: String) -> Character? {
        let digits = Array(body.utf8)
        guard digits.count == 17 else { return nil }
        var sum = 0
        for (i, d) in digits.enumerated() {
            guard d >= 48, d <= 57 else { return nil }
            sum += Int(d - 48) * weights[i]
        }
        return checkCharacters[sum % 11]
    }

    /// nil when `id` is a valid 18-character number, else why not. With `divisions`, the first six
    /// digits must be a GB/T 2260 code of any date (an ID keeps the code of its issue date).
    public static func validate(_ id: String, divisions: CodeTable? = nil) -> String? {
        let chars = Array(id)
        guard chars.count == 18 else {
            return chars.count == 15 ? "15-digit legacy number (18 characters expected; legacy_id: upgrade converts it)" : "length \(chars.count), expected 18"
        }
        guard let expected = checkCharacter(for: String(chars[0..<17])) else { return "the first 17 characters must be digits" }
        let birth = String(chars[6..<14])
        guard let y = Int(birth.prefix(4)), let m = Int(birth.dropFirst(4).prefix(2)), let d = Int(birth.suffix(2)),
              y >= 1800, CivilTime(year: y, month: m, day: d).isValid else { return "birth date \(birth) is not a real date" }
        guard chars[17] == expected else { return "check character is \(chars[17]), expected \(expected)" }
        if let divisions {
            let prefix = String(chars[0..<6])
            guard divisions.lookup(prefix) != nil else { return "division prefix \(prefix) is not a GB/T 2260 code of any date" }
        }
        return nil
    }

    /// The 18-character form of a 15-digit legacy number (GB 11643-1989): the century `19` is
    /// inserted before the two-digit birth year and the check character appended. nil if `id` is
    /// not 15 digits.
    public static func upgrade(_ id: String) -> String? {
        let bytes = Array(id.utf8)
        guard bytes.count == 15, bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return nil }
        let body = String(decoding: bytes[0..<6], as: UTF8.self) + "19" + String(decoding: bytes[6..<15], as: UTF8.self)
        guard let check = checkCharacter(for: body) else { return nil }
        return body + String(check)
    }
}
