import Foundation

/// Runs a field's checks on its converted value. A check may also rewrite the value (a 15-digit
/// citizen ID upgraded to 18 under `legacy_id: upgrade`).
///
/// ```swift
/// let checker = ValueChecker(field: field, codes: dictionaries.codes, today: "2026-11-29")
/// checker.check("330782198001010017")  // .success("330782198001010017")
/// ```
final class ValueChecker {
    let field: FieldConfig
    let divisions: CodeTable?
    let today: String
    /// One matcher per pattern: `SimplePattern` where the pattern is in its subset, else the full engine.
    private enum Matcher {
        case simple(SimplePattern)
        case full(NSRegularExpression)
    }
    private var matchers: [String: Matcher] = [:]

    init(field: FieldConfig, codes: CodeTables, today: String) {
        self.field = field
        self.divisions = codes.divisions
        self.today = today
        for case .regex(let pattern) in field.checks {
            // Anchored: the whole value must match, to its very end (`$` would also match before a
            // final line break, and "110105\n" pass a six-digit check).
            // Compiled by NSRegularExpression first either way: a pattern it rejects stays invalid.
            guard let full = try? NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z") else { continue }
            matchers[pattern] = SimplePattern(pattern).map(Matcher.simple) ?? .full(full)
        }
    }

    /// The (possibly rewritten) value, or the first failing check as (rule, message).
    func check(_ value: String) -> Result<String, CheckFailure> {
        var value = value
        for check in field.checks {
            let problem: String?
            switch check {
            case .named(.citizenID):
                if field.legacyID == .upgrade, value.utf8.count == 15, let upgraded = CitizenIDCheck.upgrade(value) { value = upgraded }
                problem = CitizenIDCheck.validate(value, divisions: divisions)
            case .named(.uscc): problem = CreditCodeCheck.validate(value)
            case .named(.division): problem = DivisionCodeCheck.validate(value, table: divisions)
            case .named(.sex): problem = SexCodeCheck.validate(value)
            case .named(.phone): problem = PhoneNumberCheck.validate(value)
            case .regex(let pattern):
                switch matchers[pattern] {
                case .simple(let fast)?: problem = fast.matchesWhole(value) ? nil : "does not match /\(pattern)/"
                case .full(let regex)?:
                    let range = NSRange(value.startIndex..., in: value)
                    problem = regex.firstMatch(in: value, range: range) == nil ? "does not match /\(pattern)/" : nil
                case nil: problem = "invalid pattern /\(pattern)/"
                }
            case .range(let low, let high):
                // The value quoted, so a masked view masks it there and only there.
                if let low, DecimalCompare.compare(value, low) == .orderedAscending { problem = "'\(value)' is below \(low)" }
                else if let high, DecimalCompare.compare(value, high) == .orderedDescending { problem = "'\(value)' is above \(high)" }
                else { problem = nil }
            case .oneOf(let values):
                problem = values.contains(value) ? nil : "not one of: \(values.joined(separator: ", "))"
            case .dateRange(let from, let to):
                let day = Self.day(of: value)
                let upper = to == "today" ? today : to
                let lower = from == "today" ? today : from
                if let lower, day < lower { problem = "\(day) is before \(lower)" }
                else if let upper, day > upper { problem = "\(day) is after \(upper)" }
                else { problem = nil }
            }
            if let problem { return .failure(CheckFailure(rule: check.rule, message: problem, value: value)) }
        }
        return .success(value)
    }
}

extension ValueChecker {
    /// The first ten characters of a date or datetime (`String(value.prefix(10))`). When the
    /// first eleven bytes (or all, if fewer) are ASCII and the first ten hold no CR, those ten bytes
    /// are ten characters: only CR LF joins two ASCII scalars into one character, and an ASCII
    /// eleventh byte cannot extend the tenth (a combining mark there is not ASCII).
    static func day(of value: String) -> String {
        let fast = value.utf8.withContiguousStorageIfAvailable { bytes -> String? in
            let head = bytes.prefix(11)
            guard head.allSatisfy({ $0 < 0x80 }), !head.prefix(10).contains(0x0D) else { return nil }
            return String(decoding: UnsafeBufferPointer(rebasing: head.prefix(10)), as: UTF8.self)
        }
        if let day = fast ?? nil { return day }
        return String(value.prefix(10))
    }
}

/// A failed check: its rule name and why.
struct CheckFailure: Error {
    var rule: String
    var message: String
    var value: String
}

/// Exact comparison of canonical decimal strings (`DecimalText.canonical` output).
enum DecimalCompare {
    static func compare(_ a: String, _ b: String) -> ComparisonResult {
        // Digits, points and a leading minus (every canonical decimal) are compared in their bytes.
        if let fast = a.withUTF8Bytes({ x in b.withUTF8Bytes { y in compareBytes(x, y) } }) { return fast }
        return compareText(a, b)
    }

    /// `compareText` over ASCII bytes, or nil when either side holds anything but digits, points
    /// and one leading minus (then `compareText` decides).
    static func compareBytes(_ a: UnsafeBufferPointer<UInt8>, _ b: UnsafeBufferPointer<UInt8>) -> ComparisonResult? {
        let minus = UInt8(ascii: "-"), point = UInt8(ascii: ".")
        let an = a.first == minus, bn = b.first == minus
        let a = UnsafeBufferPointer(rebasing: a[(an ? 1 : 0)...]), b = UnsafeBufferPointer(rebasing: b[(bn ? 1 : 0)...])
        for x in a where !(x == point || (x >= 48 && x <= 57)) { return nil }
        for y in b where !(y == point || (y >= 48 && y <= 57)) { return nil }
        if an != bn { return an ? .orderedAscending : .orderedDescending }
        // The integer part is everything before the first point; the fraction runs to the next point.
        let ai = a.firstIndex(of: point) ?? a.count, bi = b.firstIndex(of: point) ?? b.count
        var magnitude = ComparisonResult.orderedSame
        if ai != bi {
            magnitude = ai < bi ? .orderedAscending : .orderedDescending
        } else {
            for i in 0..<ai where a[i] != b[i] { magnitude = a[i] < b[i] ? .orderedAscending : .orderedDescending; break }
            if magnitude == .orderedSame {
                let af = fraction(a, after: ai), bf = fraction(b, after: bi)
                // Shorter fractions read as padded with zeros.
                for i in 0..<max(af.count, bf.count) {
                    let x = i < af.count ? af[i] : 48, y = i < bf.count ? bf[i] : 48
                    if x != y { magnitude = x < y ? .orderedAscending : .orderedDescending; break }
                }
            }
        }
        if !an { return magnitude }
        switch magnitude {
        case .orderedAscending: return .orderedDescending
        case .orderedDescending: return .orderedAscending
        case .orderedSame: return .orderedSame
        }
    }

    private static func fraction(_ bytes: UnsafeBufferPointer<UInt8>, after integerEnd: Int) -> UnsafeBufferPointer<UInt8> {
        guard integerEnd < bytes.count else { return UnsafeBufferPointer(rebasing: bytes[bytes.count...]) }
        let rest = bytes[(integerEnd + 1)...]
        return UnsafeBufferPointer(rebasing: rest[..<(rest.firstIndex(of: UInt8(ascii: ".")) ?? rest.endIndex)])
    }

    /// The comparison on `String`s, for values outside `compareBytes`' alphabet (and the reference
    /// its property test checks the byte path against).
    static func compareText(_ a: String, _ b: String) -> ComparisonResult {
        let an = a.hasPrefix("-"), bn = b.hasPrefix("-")
        if an != bn { return an ? .orderedAscending : .orderedDescending }
        let magnitude = compareMagnitude(an ? String(a.dropFirst()) : a, bn ? String(b.dropFirst()) : b)
        if !an { return magnitude }
        switch magnitude {
        case .orderedAscending: return .orderedDescending
        case .orderedDescending: return .orderedAscending
        case .orderedSame: return .orderedSame
        }
    }

    private static func compareMagnitude(_ a: String, _ b: String) -> ComparisonResult {
        let ap = a.split(separator: ".", omittingEmptySubsequences: false), bp = b.split(separator: ".", omittingEmptySubsequences: false)
        let ai = String(ap[0]), bi = String(bp[0])
        if ai.count != bi.count { return ai.count < bi.count ? .orderedAscending : .orderedDescending }
        if ai != bi { return ai < bi ? .orderedAscending : .orderedDescending }
        var af = ap.count > 1 ? String(ap[1]) : "", bf = bp.count > 1 ? String(bp[1]) : ""
        let width = max(af.count, bf.count)
        af += String(repeating: "0", count: width - af.count)
        bf += String(repeating: "0", count: width - bf.count)
        if af == bf { return .orderedSame }
        return af < bf ? .orderedAscending : .orderedDescending
    }
}
