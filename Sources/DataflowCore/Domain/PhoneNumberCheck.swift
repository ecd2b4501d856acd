/// Mainland China phone numbers: mobile `1[3-9]` + 9 digits (optionally `+86`/`86`), or a
/// landline with its area code: `0` + 2–3 digits, an optional `-`, 7–8 digits, optional `-ext`.
///
/// ```swift
/// PhoneNumberCheck.validate("13812345678")    // nil
/// PhoneNumberCheck.validate("0579-85123456")  // nil
/// ```
public enum PhoneNumberCheck {
    public static func validate(_ number: String) -> String? {
        var bytes = Array(number.utf8)
        if bytes.starts(with: Array("+86".utf8)) { bytes.removeFirst(3) } else if bytes.count == 13, bytes.starts(with: Array("86".utf8)) { bytes.removeFirst(2) }
        if bytes.first == UInt8(ascii: "-") || bytes.first == UInt8(ascii: " ") { bytes.removeFirst() }
        func digits(_ s: ArraySlice<UInt8>) -> Bool { !s.isEmpty && s.allSatisfy { $0 >= 48 && $0 <= 57 } }
        if bytes.first == UInt8(ascii: "1") {
            guard bytes.count == 11, digits(bytes[...]), (UInt8(ascii: "3")...UInt8(ascii: "9")).contains(bytes[1]) else {
                return "'\(number)' is not a mainland mobile number (1[3-9] and 9 more digits)"
            }
            return nil
        }
        let landline = "'\(number)' is neither a mobile number nor a landline with area code (e.g. 0579-85123456)"
        guard bytes.first == UInt8(ascii: "0") else { return landline }
        var parts = bytes.split(separator: UInt8(ascii: "-"), omittingEmptySubsequences: false)
        var ext: ArraySlice<UInt8>?
        if parts.count == 3 { ext = parts.removeLast() }
        let area: ArraySlice<UInt8>, local: ArraySlice<UInt8>
        if parts.count == 2 {
            area = parts[0]; local = parts[1]
        } else if parts.count == 1 {
            // No separator: 010/02x area codes are 3 digits, others 4; the local part 7–8.
            let all = parts[0]
            let areaLength = (all.count > 1 && (all[all.startIndex + 1] == UInt8(ascii: "1") || all[all.startIndex + 1] == UInt8(ascii: "2"))) ? 3 : 4
            guard all.count > areaLength else { return landline }
            area = all.prefix(areaLength); local = all.dropFirst(areaLength)
        } else {
            return landline
        }
        guard digits(area), (3...4).contains(area.count), digits(local), (7...8).contains(local.count),
              local.first != UInt8(ascii: "0") else { return landline }
        if let ext, !(digits(ext) && ext.count <= 6) { return landline }
        return nil
    }
}
