/// GB 11643-1999 citizen identity number: 17 digits (division, birth date, sequence) and an
/// ISO 7064 MOD 11-2 check character.
///
/// ```swift
/// CitizenIDCheck.validate("11010519491231002X")  // nil (valid)
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

    /// nil when `id` is a valid 18-character number, else why not.
    public static func validate(_ id: String) -> String? {
        let chars = Array(id)
        guard chars.count == 18 else {
            return chars.count == 15 ? "15-digit legacy number (18 characters expected)" : "length \(chars.count), expected 18"
        }
        guard let expected = checkCharacter(for: String(chars[0..<17])) else { return "the first 17 characters must be digits" }
        let birth = String(chars[6..<14])
        guard let y = Int(birth.prefix(4)), let m = Int(birth.dropFirst(4).prefix(2)), let d = Int(birth.suffix(2)),
              y >= 1800, CivilTime(year: y, month: m, day: d).isValid else { return "birth date \(birth) is not a real date" }
        guard chars[17] == expected else { return "check character is \(chars[17]), expected \(expected)" }
        return nil
    }
}
