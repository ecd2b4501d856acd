/// The common subset of regular expressions used in field checks (`YW[0-9]{12}`, `\d{6}`,
/// `[A-Z]{2}\d+`), matched directly on Unicode scalars. NSRegularExpression on Linux costs
/// microseconds per call through NSString bridging, which made a regex check the most expensive
/// part of mapping a record. Supported: literals and escaped literals, `.`, `\d \D \w \W \s \S`,
/// classes `[a-z0-9_]` and `[^…]`, quantifiers `? * + {n} {n,} {n,m}`, and `^`/`$` at the ends.
/// Anything else (groups, alternation, flags, backreferences, lazy quantifiers) returns nil from
/// `init`, and the caller falls back to NSRegularExpression with identical results.
///
/// ```swift
/// SimplePattern("YW[0-9]{12}")?.matchesWhole("YW202601010001")  // true
/// ```
struct SimplePattern {
    enum Atom {
        case literal(Unicode.Scalar)
        case any
        case digit(Bool)
        case word(Bool)
        case space(Bool)
        case set([ClosedRange<UInt32>], digits: Bool, negated: Bool)

        func matches(_ s: Unicode.Scalar) -> Bool {
            switch self {
            case .literal(let l): return s == l
            // ICU's `.`: anything but a line terminator (LF, VT, FF, CR, NEL, LS, PS).
            case .any: return !(0x0A...0x0D).contains(s.value) && s.value != 0x85 && s.value != 0x2028 && s.value != 0x2029
            case .digit(let yes): return (s.properties.generalCategory == .decimalNumber) == yes
            case .word(let yes):
                let p = s.properties
                let w = p.isAlphabetic || p.generalCategory == .decimalNumber || p.generalCategory == .connectorPunctuation
                    || p.generalCategory == .nonspacingMark || p.generalCategory == .spacingMark
                return w == yes
            case .space(let yes): return s.isWhitespaceFast == yes
            case .set(let ranges, let digits, let negated):
                let inSet = ranges.contains { $0.contains(s.value) } || (digits && s.properties.generalCategory == .decimalNumber)
                return inSet != negated
            }
        }
    }

    struct Piece {
        var atom: Atom
        var min: Int
        var max: Int
    }

    let pieces: [Piece]

    init?(_ pattern: String) {
        var scalars = Array(pattern.unicodeScalars)
        if scalars.first == "^" { scalars.removeFirst() }
        if scalars.last == "$", scalars.count < 2 || scalars[scalars.count - 2] != "\\" { scalars.removeLast() }
        var pieces: [Piece] = []
        var i = 0
        while i < scalars.count {
            let c = scalars[i]
            var atom: Atom
            switch c {
            case "(", ")", "|", "^", "$", "{", "}", "?", "*", "+", "]": return nil
            case ".": atom = .any; i += 1
            case "\\":
                guard i + 1 < scalars.count else { return nil }
                let e = scalars[i + 1]
                switch e {
                case "d": atom = .digit(true)
                case "D": atom = .digit(false)
                case "w": atom = .word(true)
                case "W": atom = .word(false)
                case "s": atom = .space(true)
                case "S": atom = .space(false)
                default:
                    // Only punctuation escapes are plain literals; letters and digits mean something else.
                    guard !e.properties.isAlphabetic, !("0"..."9").contains(e), e.isASCII else { return nil }
                    atom = .literal(e)
                }
                i += 2
            case "[":
                guard let (set, next) = SimplePattern.parseSet(scalars, from: i + 1) else { return nil }
                atom = set
                i = next
            default:
                atom = .literal(c)
                i += 1
            }
            var minCount = 1, maxCount = 1
            if i < scalars.count {
                switch scalars[i] {
                case "?": minCount = 0; maxCount = 1; i += 1
                case "*": minCount = 0; maxCount = Int.max; i += 1
                case "+": minCount = 1; maxCount = Int.max; i += 1
                case "{":
                    guard let close = scalars[i...].firstIndex(of: "}") else { return nil }
                    let body = String(String.UnicodeScalarView(scalars[(i + 1)..<close]))
                    let parts = body.split(separator: ",", omittingEmptySubsequences: false)
                    guard parts.count == 1 || parts.count == 2, let low = Int(parts[0]) else { return nil }
                    minCount = low
                    if parts.count == 1 { maxCount = low } else if parts[1].isEmpty { maxCount = Int.max } else {
                        guard let high = Int(parts[1]), high >= low else { return nil }
                        maxCount = high
                    }
                    i = close + 1
                default: break
                }
                // Lazy or possessive quantifiers and stacked quantifiers are left to the full engine.
                if i < scalars.count, ["?", "+", "*", "{"].contains(scalars[i]) { return nil }
            }
            pieces.append(Piece(atom: atom, min: minCount, max: maxCount))
        }
        self.pieces = pieces
    }

    private static func parseSet(_ s: [Unicode.Scalar], from start: Int) -> (Atom, Int)? {
        var i = start
        var negated = false
        if i < s.count, s[i] == "^" { negated = true; i += 1 }
        var ranges: [ClosedRange<UInt32>] = []
        var digits = false
        var first = true
        while i < s.count {
            var c = s[i]
            if c == "]" && !first { return (.set(ranges, digits: digits, negated: negated), i + 1) }
            first = false
            if c == "[" { return nil }  // POSIX classes, nested sets
            if c == "\\" {
                guard i + 1 < s.count else { return nil }
                let e = s[i + 1]
                switch e {
                case "d": digits = true; i += 2; continue
                default:
                    guard !e.properties.isAlphabetic, !("0"..."9").contains(e), e.isASCII else { return nil }
                    c = e
                    i += 1
                }
            }
            if i + 2 < s.count, s[i + 1] == "-", s[i + 2] != "]" {
                let high = s[i + 2]
                if high == "\\" || high == "[" { return nil }
                guard c.value <= high.value else { return nil }
                ranges.append(c.value...high.value)
                i += 3
            } else {
                ranges.append(c.value...c.value)
                i += 1
            }
        }
        return nil
    }

    /// True when the whole of `text` matches.
    func matchesWhole(_ text: String) -> Bool {
        let scalars = Array(text.unicodeScalars)
        return match(piece: 0, at: 0, scalars)
    }

    private func match(piece: Int, at position: Int, _ s: [Unicode.Scalar]) -> Bool {
        if piece == pieces.count { return position == s.count }
        let p = pieces[piece]
        var count = 0
        var pos = position
        while count < p.max, pos < s.count, p.atom.matches(s[pos]) { count += 1; pos += 1 }
        if count < p.min { return false }
        // Greedy, then back off one at a time.
        while true {
            if match(piece: piece + 1, at: position + count, s) { return true }
            if count == p.min { return false }
            count -= 1
        }
    }
}
