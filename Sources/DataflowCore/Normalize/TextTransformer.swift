import Foundation

/// Applies a field's `transform:` list to a source value, with its regular expressions compiled once.
///
/// ```swift
/// let t = TextTransformer([.halfWidth, .collapse])
/// t.apply("ＡＢＣ　 123")  // "ABC 123"
/// ```
final class TextTransformer {
    private enum Step {
        case trim, collapse, halfWidth, upper, lower
        case replace(NSRegularExpression, String)
    }
    private let steps: [Step]

    init(_ transforms: [Transform]) {
        steps = transforms.compactMap { t in
            switch t {
            case .trim: return .trim
            case .collapse: return .collapse
            case .halfWidth: return .halfWidth
            case .upper: return .upper
            case .lower: return .lower
            case .replace(let pattern, let with):
                // Patterns were compiled when the config was loaded; one that fails here is skipped.
                return (try? NSRegularExpression(pattern: pattern)).map { .replace($0, with) }
            }
        }
    }

    var isEmpty: Bool { steps.isEmpty }

    func apply(_ input: String) -> String {
        var text = input
        for step in steps {
            switch step {
            case .trim: text = text.trimmingWhitespace
            case .collapse: text = TextTransformer.collapse(text)
            case .halfWidth: text = TextTransformer.halfWidth(text)
            case .upper: text = TextTransformer.upper(text)
            case .lower: text = text.lowercased()
            case .replace(let regex, let with):
                let range = NSRange(text.startIndex..., in: text)
                text = regex.stringByReplacingMatches(in: text, range: range, withTemplate: with)
            }
        }
        return text
    }

    /// `uppercased()`, without a copy for text that has no lower-case letter and is all ASCII
    /// (codes and identifiers usually are already upper case).
    static func upper(_ text: String) -> String {
        if text.withUTF8Bytes({ $0.allSatisfy { $0 < 0x80 && !($0 >= 0x61 && $0 <= 0x7A) } }) { return text }
        return text.uppercased()
    }

    /// Runs of Unicode whitespace (including U+3000) become one space; the ends are trimmed.
    static func collapse(_ text: String) -> String {
        if !needsCollapse(text) { return text }
        var out = String.UnicodeScalarView()
        var pendingSpace = false
        for scalar in text.unicodeScalars {
            if scalar.isWhitespaceFast {
                pendingSpace = !out.isEmpty
            } else {
                if pendingSpace { out.append(" "); pendingSpace = false }
                out.append(scalar)
            }
        }
        return String(out)
    }

    /// False when `collapse` would return the text unchanged (the common case: no allocation).
    /// Read in bytes when no byte can start a whitespace scalar outside ASCII (lead bytes C2: U+0085
    /// and U+00A0; E1: U+1680; E2: U+2000–U+205F; E3: U+3000): then every whitespace scalar is
    /// one ASCII byte and every other byte stands for (part of) a scalar that is not whitespace.
    static func needsCollapse(_ text: String) -> Bool {
        let fast = text.utf8.withContiguousStorageIfAvailable { bytes -> Bool? in
            var previousSpace = true
            for byte in bytes {
                if byte < 0x80 {
                    if byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) {
                        if previousSpace || byte != 0x20 { return true }
                        previousSpace = true
                        continue
                    }
                } else if byte == 0xC2 || (byte >= 0xE1 && byte <= 0xE3) {
                    return nil
                }
                previousSpace = false
            }
            return previousSpace && !bytes.isEmpty
        }
        if let decided = fast ?? nil { return decided }
        return needsCollapseByScalars(text)
    }

    /// `needsCollapse`, scalar by scalar (any text).
    static func needsCollapseByScalars(_ text: String) -> Bool {
        var previousSpace = true  // a leading space needs trimming
        for scalar in text.unicodeScalars {
            if scalar.isWhitespaceFast {
                if previousSpace || scalar != " " { return true }
                previousSpace = true
            } else {
                previousSpace = false
            }
        }
        return previousSpace && !text.isEmpty  // a trailing space needs trimming
    }

    /// Full-width forms U+FF01–U+FF5E → U+0021–U+007E, ideographic space U+3000 → space. Other
    /// characters (CJK, full-width punctuation outside that block) are left as they are.
    /// A text with no lead byte 0xEF (U+F000–U+FFFF) or 0xE3 (U+3000–U+3FFF) has nothing to change
    /// and is returned without reading its scalars.
    static func halfWidth(_ text: String) -> String {
        if text.utf8Contains(anyOf: (0xEF, 0xE3)) == false { return text }
        return halfWidthByScalars(text)
    }

    /// `halfWidth`, scalar by scalar (any text).
    static func halfWidthByScalars(_ text: String) -> String {
        if !text.unicodeScalars.contains(where: { (0xFF01...0xFF5E).contains($0.value) || $0.value == 0x3000 }) { return text }
        var out = String.UnicodeScalarView()
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0xFF01...0xFF5E: out.append(Unicode.Scalar(scalar.value - 0xFEE0) ?? scalar)
            case 0x3000: out.append(" ")
            default: out.append(scalar)
            }
        }
        return String(out)
    }
}
