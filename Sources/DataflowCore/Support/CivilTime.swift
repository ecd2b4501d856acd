import Foundation

/// A wall-clock date and time with no zone, and conversions to and from epoch seconds.
public struct CivilTime: Sendable, Equatable {
    public var year: Int
    public var month: Int
    public var day: Int
    public var hour: Int = 0
    public var minute: Int = 0
    public var second: Int = 0
    public var millisecond: Int = 0

    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0, millisecond: Int = 0) {
        self.year = year
        self.month = month
        self.day = day
        self.hour = hour
        self.minute = minute
        self.second = second
        self.millisecond = millisecond
    }

    /// True when the fields name a real calendar day and time (proleptic Gregorian).
    public var isValid: Bool {
        guard (1...9999).contains(year), (1...12).contains(month), (0...23).contains(hour),
              (0...59).contains(minute), (0...59).contains(second), (0...999).contains(millisecond) else { return false }
        return (1...CivilTime.daysInMonth(year: year, month: month)).contains(day)
    }

    public static func isLeap(_ y: Int) -> Bool { (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 }

    public static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    /// Days since 1970-01-01 (Howard Hinnant's days_from_civil).
    public static func daysFromCivil(_ y0: Int, _ m: Int, _ d: Int) -> Int {
        let y = m <= 2 ? y0 - 1 : y0
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = (m + 9) % 12
        let doy = (153 * mp + 2) / 5 + d - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146097 + doe - 719468
    }

    /// The civil date of a day count since 1970-01-01.
    public static func civilFromDays(_ z0: Int) -> (Int, Int, Int) {
        let z = z0 + 719468
        let era = (z >= 0 ? z : z - 146096) / 146097
        let doe = z - era * 146097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365
        let y = yoe + era * 400
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let d = doy - (153 * mp + 2) / 5 + 1
        let m = mp < 10 ? mp + 3 : mp - 9
        return (m <= 2 ? y + 1 : y, m, d)
    }

    /// Seconds since the epoch if this wall time were UTC.
    public var secondsAsUTC: Int {
        CivilTime.daysFromCivil(year, month, day) * 86400 + hour * 3600 + minute * 60 + second
    }

    /// The wall time at `epochSeconds` shifted by `offset` seconds.
    public init(epochSeconds: Int, offset: Int) {
        let t = epochSeconds + offset
        let days = t >= 0 ? t / 86400 : (t - 86399) / 86400
        let secs = t - days * 86400
        let (y, m, d) = CivilTime.civilFromDays(days)
        self.init(year: y, month: m, day: d, hour: secs / 3600, minute: (secs % 3600) / 60, second: secs % 60)
    }
}

/// A time zone for interpreting gateway timestamps (IANA name or a fixed `+08:00` offset).
public struct ZoneSpec: Sendable, Equatable {
    public let identifier: String
    private let fixedOffset: Int?

    /// `Asia/Shanghai`, `UTC`, `+08:00`.
    public init?(_ text: String) {
        if let offset = ZoneSpec.parseOffset(text) {
            identifier = text
            fixedOffset = offset
            return
        }
        guard let zone = TimeZone(identifier: text) else { return nil }
        identifier = zone.identifier
        // Zones without transitions in the modern era (Asia/Shanghai since 1991) get a fixed
        // offset from 1992 on so conversions stay cheap; earlier instants (China kept summer
        // time 1986–1991) and other zones are asked per instant.
        let probe = Date(timeIntervalSince1970: Double(ZoneSpec.modernEra))
        fixedOffset = zone.nextDaylightSavingTimeTransition(after: probe) == nil ? zone.secondsFromGMT(for: probe) : nil
    }

    /// 1992-03-07: after China's last summer time.
    static let modernEra = 700_000_000

    public static let utc = ZoneSpec("UTC")!

    /// Offset from UTC (seconds) in force at `epochSeconds`.
    public func offset(atEpoch epochSeconds: Int) -> Int {
        if let fixedOffset, epochSeconds >= ZoneSpec.modernEra || identifier.hasPrefix("+") || identifier.hasPrefix("-") || identifier == "Z" {
            return fixedOffset
        }
        return TimeZone(identifier: identifier)?.secondsFromGMT(for: Date(timeIntervalSince1970: Double(epochSeconds))) ?? 0
    }

    /// Epoch seconds of a wall time in this zone.
    public func epochSeconds(of civil: CivilTime) -> Int {
        let asUTC = civil.secondsAsUTC
        let guess = asUTC - offset(atEpoch: asUTC)
        return asUTC - offset(atEpoch: guess)
    }

    static func parseOffset(_ text: String) -> Int? {
        if text == "Z" { return 0 }
        let chars = Array(text)
        guard chars.count == 6, chars[0] == "+" || chars[0] == "-", chars[3] == ":",
              let h = Int(String(chars[1...2])), let m = Int(String(chars[4...5])), h <= 14, m < 60 else { return nil }
        return (chars[0] == "-" ? -1 : 1) * (h * 3600 + m * 60)
    }

    /// `+08:00` style text of an offset.
    public static func formatOffset(_ seconds: Int) -> String {
        let sign = seconds < 0 ? "-" : "+"
        let a = abs(seconds)
        return sign + DatePattern.pad(a / 3600, 2) + ":" + DatePattern.pad((a % 3600) / 60, 2)
    }
}
