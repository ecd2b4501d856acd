import Foundation

/// Seconds to wait according to a `Retry-After` value: delta-seconds (`120`) or an HTTP-date
/// (`Wed, 21 Oct 2015 07:28:00 GMT`, also the obsolete RFC 850 and asctime forms).
///
/// A date in the past gives `0`; anything unparseable gives `nil`.
///
/// ```swift
/// parseRetryAfter("30", now: Date())                                  // 30
/// parseRetryAfter("Wed, 21 Oct 2015 07:28:00 GMT", now: someDate)      // seconds until then
/// ```
public func parseRetryAfter(_ value: String, now: Date) -> Double? {
    let text = value.trimmingCharacters(in: .whitespaces)
    guard !text.isEmpty else { return nil }
    if text.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) {
        // Very long digit strings overflow Int: treat them as "very long".
        return Double(text).map { min($0, Double(Int32.max)) }
    }
    guard let date = HTTPDate.parse(text) else { return nil }
    return max(0, date.timeIntervalSince(now))
}

/// Parses the three HTTP-date forms of RFC 9110 §5.6.7 without locale-dependent formatters.
enum HTTPDate {
    private static let months = ["jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"]

    static func parse(_ text: String) -> Date? {
        let tokens = text.split(whereSeparator: { $0 == " " || $0 == "," }).map(String.init)
        switch tokens.count {
        case 6:
            // IMF-fixdate: Sun, 06 Nov 1994 08:49:37 GMT
            guard tokens[5].uppercased() == "GMT" else { return nil }
            return make(day: tokens[1], month: tokens[2], year: tokens[3], time: tokens[4])
        case 4:
            // RFC 850: Sunday, 06-Nov-94 08:49:37 GMT
            guard tokens[3].uppercased() == "GMT" else { return nil }
            let parts = tokens[1].split(separator: "-").map(String.init)
            guard parts.count == 3, parts[2].count == 2, let yy = Int(parts[2]) else { return nil }
            // Two-digit years: RFC 9110 says pick the most recent past century; 70 is the usual pivot.
            let year = yy < 70 ? 2000 + yy : 1900 + yy
            return make(day: parts[0], month: parts[1], year: String(year), time: tokens[2])
        case 5:
            // asctime: Sun Nov  6 08:49:37 1994
            return make(day: tokens[2], month: tokens[1], year: tokens[4], time: tokens[3])
        default:
            return nil
        }
    }

    private static func make(day: String, month: String, year: String, time: String) -> Date? {
        guard let d = Int(day), (1...31).contains(d),
              let m = months.firstIndex(of: month.lowercased()),
              year.count == 4, let y = Int(year)
        else { return nil }
        let clock = time.split(separator: ":", omittingEmptySubsequences: false)
        guard clock.count == 3,
              let hh = Int(clock[0]), let mm = Int(clock[1]), let ss = Int(clock[2]),
              (0...23).contains(hh), (0...59).contains(mm), (0...60).contains(ss)
        else { return nil }
        let days = daysFromCivil(year: y, month: m + 1, day: d)
        let seconds = Double(days) * 86_400 + Double(hh * 3600 + mm * 60 + ss)
        return Date(timeIntervalSince1970: seconds)
    }

    /// Days since 1970-01-01 in the proleptic Gregorian calendar (Howard Hinnant's algorithm).
    private static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (month + 9) % 12
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }
}
