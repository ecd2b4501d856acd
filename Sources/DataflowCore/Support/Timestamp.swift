import Foundation

/// UTC timestamps as ISO 8601 text, the warehouse's one time format.
public enum Timestamp {
    public static func now() -> String { format(Date()) }

    public static func format(_ date: Date) -> String {
        let t = CivilTime(epochSeconds: Int(date.timeIntervalSince1970.rounded(.down)), offset: 0)
        return t.isoDate + "T" + DatePattern.pad(t.hour, 2) + ":" + DatePattern.pad(t.minute, 2) + ":" + DatePattern.pad(t.second, 2) + "Z"
    }

    /// Parses what `format` writes.
    public static func parse(_ text: String) -> Date? {
        guard let pattern = try? DatePattern("yyyy-MM-dd'T'HH:mm:ss'Z'"), let civil = pattern.parse(text) else { return nil }
        return Date(timeIntervalSince1970: Double(civil.secondsAsUTC))
    }
}
