/// A fixed-width date/time pattern such as `yyyy-MM-dd HH:mm:ss` or `yyyyMMdd`.
/// Tokens: `yyyy MM dd HH mm ss SSS`; `'…'` quotes literal text; anything else is literal.
/// Parsing is exact: every character must match, every token takes exactly its width.
///
/// ```swift
/// let p = try DatePattern("yyyy-MM-dd HH:mm:ss")
/// p.parse("2026-03-01 08:30:00")  // CivilTime(2026, 3, 1, 8, 30, 0)
/// ```
public struct DatePattern: Sendable, Equatable, CustomStringConvertible {
    enum Piece: Sendable, Equatable {
        case year, month, day, hour, minute, second, millisecond
        case literal(UInt8)

        var width: Int {
            switch self {
            case .year: return 4
            case .millisecond: return 3
            case .literal: return 1
            default: return 2
            }
        }
    }

    public let text: String
    let pieces: [Piece]
    let width: Int

    /// Why a pattern is not usable.
    public struct PatternError: Error, Sendable { public var message: String }

    public init(_ text: String) throws(PatternError) {
        self.text = text
        var pieces: [Piece] = []
        let bytes = Array(text.utf8)
        var i = 0
        func run(_ c: UInt8) -> Int {
            var n = 0
            while i + n < bytes.count, bytes[i + n] == c { n += 1 }
            return n
        }
        while i < bytes.count {
            let c = bytes[i]
            if c == UInt8(ascii: "'") {
                guard let close = bytes[(i + 1)...].firstIndex(of: UInt8(ascii: "'")) else {
                    throw PatternError(message: "unclosed quote in date format '\(text)'")
                }
                for b in bytes[(i + 1)..<close] { pieces.append(.literal(b)) }
                i = close + 1
                continue
            }
            let token: (Piece, Int)?
            switch c {
            case UInt8(ascii: "y"): token = (.year, 4)
            case UInt8(ascii: "M"): token = (.month, 2)
            case UInt8(ascii: "d"): token = (.day, 2)
            case UInt8(ascii: "H"): token = (.hour, 2)
            case UInt8(ascii: "m"): token = (.minute, 2)
            case UInt8(ascii: "s"): token = (.second, 2)
            case UInt8(ascii: "S"): token = (.millisecond, 3)
            default: token = nil
            }
            if let (piece, expected) = token {
                let n = run(c)
                guard n == expected else {
                    throw PatternError(message: "date format '\(text)': '\(String(repeating: Character(Unicode.Scalar(c)), count: n))' must be written as \(expected) letters (supported: yyyy MM dd HH mm ss SSS)")
                }
                pieces.append(piece)
                i += n
            } else {
                if (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(c) || (UInt8(ascii: "A")...UInt8(ascii: "Z")).contains(c) {
                    throw PatternError(message: "date format '\(text)': unsupported letter '\(Character(Unicode.Scalar(c)))' (supported: yyyy MM dd HH mm ss SSS; quote literal text as 'T')")
                }
                pieces.append(.literal(c))
                i += 1
            }
        }
        guard pieces.contains(.year), pieces.contains(.month), pieces.contains(.day) else {
            throw PatternError(message: "date format '\(text)' needs yyyy, MM and dd")
        }
        self.pieces = pieces
        self.width = pieces.reduce(0) { $0 + $1.width }
    }

    public var description: String { text }

    /// True when the pattern has a time of day.
    public var hasTime: Bool { pieces.contains(.hour) }

    /// Parses `value` exactly; nil if it does not fit or is not a real date.
    public func parse(_ value: String) -> CivilTime? {
        value.withUTF8Bytes { parse(bytes: $0) }
    }

    func parse(bytes: UnsafeBufferPointer<UInt8>) -> CivilTime? {
        guard bytes.count == width else { return nil }
        var t = CivilTime(year: 1970, month: 1, day: 1)
        var i = 0
        for piece in pieces {
            if case .literal(let b) = piece {
                guard bytes[i] == b else { return nil }
                i += 1
                continue
            }
            var n = 0
            for _ in 0..<piece.width {
                let d = bytes[i]
                guard d >= 48, d <= 57 else { return nil }
                n = n * 10 + Int(d - 48)
                i += 1
            }
            switch piece {
            case .year: t.year = n
            case .month: t.month = n
            case .day: t.day = n
            case .hour: t.hour = n
            case .minute: t.minute = n
            case .second: t.second = n
            case .millisecond: t.millisecond = n
            case .literal: break
            }
        }
        return t.isValid ? t : nil
    }

    /// Formats `t` with this pattern.
    public func format(_ t: CivilTime) -> String {
        // Built as UTF-8 bytes: a literal such as 年 is several bytes, each its own piece (appended
        // as scalars, each byte became a Latin-1 character).
        var out: [UInt8] = []
        out.reserveCapacity(width)
        for piece in pieces {
            switch piece {
            case .year: out += DatePattern.pad(t.year, 4).utf8
            case .month: out += DatePattern.pad(t.month, 2).utf8
            case .day: out += DatePattern.pad(t.day, 2).utf8
            case .hour: out += DatePattern.pad(t.hour, 2).utf8
            case .minute: out += DatePattern.pad(t.minute, 2).utf8
            case .second: out += DatePattern.pad(t.second, 2).utf8
            case .millisecond: out += DatePattern.pad(t.millisecond, 3).utf8
            case .literal(let b): out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func pad(_ n: Int, _ width: Int) -> String {
        let s = String(n)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }
}

extension CivilTime {
    /// ISO 8601 calendar date `YYYY-MM-DD`.
    public var isoDate: String {
        String(unsafeUninitializedCapacity: 10) { out in
            CivilTime.writeDigits(year, 4, into: out, at: 0)
            out[4] = UInt8(ascii: "-")
            CivilTime.writeDigits(month, 2, into: out, at: 5)
            out[7] = UInt8(ascii: "-")
            CivilTime.writeDigits(day, 2, into: out, at: 8)
            return 10
        }
    }

    /// ISO 8601 date-time with an explicit offset: `2026-03-01T08:30:00+08:00` (milliseconds when non-zero).
    public func isoDateTime(offset: Int) -> String {
        // Built in one buffer: this runs for every datetime value of every record.
        String(unsafeUninitializedCapacity: 29) { out in
            CivilTime.writeDigits(year, 4, into: out, at: 0)
            out[4] = UInt8(ascii: "-")
            CivilTime.writeDigits(month, 2, into: out, at: 5)
            out[7] = UInt8(ascii: "-")
            CivilTime.writeDigits(day, 2, into: out, at: 8)
            out[10] = UInt8(ascii: "T")
            CivilTime.writeDigits(hour, 2, into: out, at: 11)
            out[13] = UInt8(ascii: ":")
            CivilTime.writeDigits(minute, 2, into: out, at: 14)
            out[16] = UInt8(ascii: ":")
            CivilTime.writeDigits(second, 2, into: out, at: 17)
            var i = 19
            if millisecond != 0 {
                out[i] = UInt8(ascii: ".")
                CivilTime.writeDigits(millisecond, 3, into: out, at: i + 1)
                i += 4
            }
            let a = abs(offset)
            out[i] = offset < 0 ? UInt8(ascii: "-") : UInt8(ascii: "+")
            CivilTime.writeDigits(a / 3600, 2, into: out, at: i + 1)
            out[i + 3] = UInt8(ascii: ":")
            CivilTime.writeDigits((a % 3600) / 60, 2, into: out, at: i + 4)
            return i + 6
        }
    }

    /// Writes `value` zero-padded to `width` decimal digits (values that need more keep their digits' low part).
    @inline(__always)
    static func writeDigits(_ value: Int, _ width: Int, into out: UnsafeMutableBufferPointer<UInt8>, at start: Int) {
        var v = abs(value)
        var i = start + width - 1
        while i >= start {
            out[i] = UInt8(48 + v % 10)
            v /= 10
            i -= 1
        }
    }
}
