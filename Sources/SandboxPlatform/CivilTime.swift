/// The gateway's wall-clock formats (`yyyy-MM-dd HH:mm:ss`, `yyyyMMdd`) over plain seconds.
///
/// Times are zone-less local times, as the gateways send them; internally they are seconds since
/// 1970-01-01 00:00:00 of that same local clock.
///
/// ```swift
/// let t = CivilTime.parse("2026-01-01 00:00:00")!   // 1_767_225_600
/// CivilTime.format(t + 61)                          // "2026-01-01 00:01:01"
/// ```
enum CivilTime {
    /// 2026-01-01 00:00:00, where base records' `UPDATE_TIME` starts.
    static let baseRecordsStart: Int64 = 1_767_225_600
    /// 2026-11-01 08:00:00, the earliest start of the sandbox clock.
    static let clockStart: Int64 = 1_793_520_000

    /// Days since 1970-01-01 for a proleptic Gregorian date (Howard Hinnant's algorithm).
    static func days(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        return era * 146_097 + dayOfEra - 719_468
    }

    /// The calendar date of a day number since 1970-01-01.
    static func date(days: Int64) -> (year: Int, month: Int, day: Int) {
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let dayOfEra = z - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let mp = (5 * dayOfYear + 2) / 153
        let day = dayOfYear - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yearOfEra + era * 400 + (month <= 2 ? 1 : 0)
        return (Int(year), Int(month), Int(day))
    }

    /// `yyyyMMdd` as an integer (20260101) for the day containing `seconds`.
    static func dateNumber(_ seconds: Int64) -> Int32 {
        let (year, month, day) = date(days: floorDiv(seconds, 86_400))
        return Int32(year * 10_000 + month * 100 + day)
    }

    /// `yyyyMMdd` as an integer for a day number since 1970-01-01.
    static func dateNumber(days: Int64) -> Int32 {
        let (year, month, day) = date(days: days)
        return Int32(year * 10_000 + month * 100 + day)
    }

    /// The 19 ASCII bytes of `yyyy-MM-dd HH:mm:ss` for `seconds`.
    static func formatBytes(_ seconds: Int64) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: 19)
        writeDateTime(seconds) { index, byte in bytes[index] = byte }
        return bytes
    }

    /// `yyyy-MM-dd HH:mm:ss` for `seconds`.
    static func format(_ seconds: Int64) -> String {
        String(decoding: formatBytes(seconds), as: UTF8.self)
    }

    /// Emits the 19 bytes of `yyyy-MM-dd HH:mm:ss` through `emit(index, byte)` without allocating.
    @inline(__always)
    static func writeDateTime(_ seconds: Int64, _ emit: (Int, UInt8) -> Void) {
        let dayNumber = floorDiv(seconds, 86_400)
        let (year, month, day) = date(days: dayNumber)
        let secondOfDay = Int(seconds - dayNumber * 86_400)
        @inline(__always) func twoDigits(_ value: Int, at index: Int) {
            emit(index, UInt8(truncatingIfNeeded: 48 + value / 10 % 10))
            emit(index + 1, UInt8(truncatingIfNeeded: 48 + value % 10))
        }
        twoDigits(year / 100, at: 0)
        twoDigits(year % 100, at: 2)
        emit(4, 45)
        twoDigits(month, at: 5)
        emit(7, 45)
        twoDigits(day, at: 8)
        emit(10, 32)
        twoDigits(secondOfDay / 3600, at: 11)
        emit(13, 58)
        twoDigits(secondOfDay / 60 % 60, at: 14)
        emit(16, 58)
        twoDigits(secondOfDay % 60, at: 17)
    }

    /// Strictly parses `yyyy-MM-dd HH:mm:ss`; nil for any other shape or an impossible date.
    static func parse(_ text: String) -> Int64? {
        let bytes = Array(text.utf8)
        guard bytes.count == 19, bytes[4] == 45, bytes[7] == 45, bytes[10] == 32, bytes[13] == 58, bytes[16] == 58 else {
            return nil
        }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for index in range {
                let byte = bytes[index]
                guard byte >= 48, byte <= 57 else { return nil }
                value = value * 10 + Int(byte - 48)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(5..<7), let day = number(8..<10),
              let hour = number(11..<13), let minute = number(14..<16), let second = number(17..<19),
              (1...12).contains(month), day >= 1, day <= daysInMonth(year: year, month: month),
              hour < 24, minute < 60, second < 60
        else { return nil }
        return days(year: year, month: month, day: day) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// Number of days in a Gregorian month.
    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Division rounding toward negative infinity.
    static func floorDiv(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient
    }
}
