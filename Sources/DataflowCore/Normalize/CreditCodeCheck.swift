/// GB 32100-2015 unified social credit code (统一社会信用代码): 18 characters from
/// `0123456789ABCDEFGHJKLMNPQRTUWXY` with a MOD 31 check character.
///
/// ```swift
/// CreditCodeCheck.validate("91350100M000100Y43")  // nil (valid)
/// ```
public enum CreditCodeCheck {
    static let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
    static let weights = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28]
    static let values: [Character: Int] = Dictionary(uniqueKeysWithValues: alphabet.enumerated().map { ($1, $0) })

    /// The check character for the first 17 characters, or nil if any is outside the alphabet.
    public static func checkCharacter(for body: String) -> Character? {
        let chars = Array(body)
        guard chars.count == 17 else { return nil }
        var sum = 0
        for (i, c) in chars.enumerated() {
            guard let v = values[c] else { return nil }
            sum += v * weights[i]
        }
        return alphabet[(31 - sum % 31) % 31]
    }

    /// nil when `code` is valid, else why not.
    public static func validate(_ code: String) -> String? {
        let chars = Array(code)
        guard chars.count == 18 else { return "length \(chars.count), expected 18" }
        if let bad = chars.first(where: { values[$0] == nil }) { return "character '\(bad)' is not in the GB 32100 alphabet" }
        guard let expected = checkCharacter(for: String(chars[0..<17])) else { return "invalid characters" }
        guard chars[17] == expected else { return "check character is \(chars[17]), expected \(expected)" }
        return nil
    }
}
