/// GB/T 2260 administrative division codes (行政区划代码): 6 digits (province, prefecture,
/// county), or the 12-digit statistical code that adds town (3) and village (3).
///
/// ```swift
/// DivisionCodeCheck.validate("330782", table: project.dictionaries.codes.divisions)  // nil (valid)
/// ```
public enum DivisionCodeCheck {
    /// Province-level prefixes in use since 1988 (GB/T 2260), for projects without a snapshot.
    static let provinces: Set<String> = [
        "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
        "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "71", "81", "82",
    ]

    /// nil when `code` is a division code, else why not. With a snapshot `table` the first six
    /// digits must be in it (any date); without one only the structure and province are checked.
    public static func validate(_ code: String, table: CodeTable?) -> String? {
        // Read as bytes: once the text is known to be ASCII digits, a byte is a character.
        let bytes = code.utf8
        guard bytes.count == 6 || bytes.count == 12 else { return "length \(bytes.count), expected 6 or 12 digits" }
        guard bytes.allSatisfy({ $0 >= 48 && $0 <= 57 }) else { return "only digits are allowed" }
        let county = bytes.count == 6 ? code : String(decoding: bytes.prefix(6), as: UTF8.self)
        if let table {
            guard table.lookup(county) != nil else { return "\(county) is not a GB/T 2260 code of any date in \(table.file)" }
        } else {
            let province = String(decoding: bytes.prefix(2), as: UTF8.self)
            guard provinces.contains(province) else { return "\(province) is not a province code" }
        }
        if bytes.count == 12 {
            func digit(_ offset: Int) -> Int { Int(bytes[bytes.index(bytes.startIndex, offsetBy: offset)] - 48) }
            let town = digit(6) * 100 + digit(7) * 10 + digit(8)
            let villageIsZero = digit(9) == 0 && digit(10) == 0 && digit(11) == 0
            if town == 0 && !villageIsZero { return "a village part needs a town part (digits 7–9)" }
            if town > 599 { return "town part \(town) is outside 001–599" }
        }
        return nil
    }
}
