import Foundation

/// A plain text table that lines up CJK text (two columns per wide character) and ignores ANSI
/// colour sequences when measuring.
///
/// ```swift
/// print(TextTable.render(headers: ["部门", "matters"], rows: [["市场监管局", "3/4"]]))
/// ```
public enum TextTable {
    public static func render(headers: [String], rows: [[String]]) -> String {
        let headers = headers.map(printable), rows = rows.map { $0.map(printable) }
        var widths = headers.map(displayWidth)
        for row in rows { for (i, cell) in row.enumerated() where i < widths.count { widths[i] = max(widths[i], displayWidth(cell)) } }
        func line(_ cells: [String]) -> String {
            var parts: [String] = []
            for (i, cell) in cells.enumerated() {
                let pad = i == cells.count - 1 ? 0 : widths[i] - displayWidth(cell)
                parts.append(cell + String(repeating: " ", count: max(0, pad)))
            }
            return "  " + parts.joined(separator: "  ") + "\n"
        }
        var out = line(headers)
        out += "  " + widths.map { String(repeating: "-", count: $0) }.joined(separator: "  ") + "\n"
        for row in rows { out += line(row) }
        return out
    }

    /// `cell` with its control characters escaped (`Redactor.escapingControls`) except the colour
    /// sequences (`ESC [ … m`) dataflow itself adds: a catalogue's or a gateway's value holding
    /// `ESC ] 0;…` or a cursor movement would otherwise retitle or repaint the terminal.
    public static func printable(_ cell: String) -> String {
        guard cell.unicodeScalars.contains(where: Redactor.needsEscape) else { return cell }
        var out = "", rest = Substring(cell)
        while let escape = rest.firstIndex(of: "\u{1B}") {
            out += Redactor.escapingControls(String(rest[..<escape]))
            let after = rest[rest.index(after: escape)...]
            if after.first == "[", let m = after.dropFirst().firstIndex(where: { !("0"..."9").contains($0) && $0 != ";" }), after[m] == "m" {
                out += "\u{1B}" + after[..<after.index(after: m)]
                rest = after[after.index(after: m)...]
            } else {
                out += "\\u{1B}"
                rest = after
            }
        }
        return out + Redactor.escapingControls(String(rest))
    }

    /// Terminal columns of `s`: East Asian wide characters (and emoji) count two; combining marks,
    /// format characters (zero-width space and joiner, byte-order mark), variation selectors,
    /// Hangul medial vowels and final consonants, and control characters count none; `ESC [ … m`
    /// sequences count none.
    public static func displayWidth(_ s: String) -> Int {
        var total = 0
        var inEscape = false
        for scalar in s.unicodeScalars {
            if inEscape { if scalar.value == 0x6D { inEscape = false }; continue }
            if scalar.value == 0x1B { inEscape = true; continue }
            total += width(of: scalar)
        }
        return total
    }

    /// Terminal columns of one scalar (0, 1 or 2), as `displayWidth` counts them.
    public static func width(of scalar: Unicode.Scalar) -> Int {
        let v = scalar.value
        if v < 0x7F { return v < 0x20 ? 0 : 1 }
        if v == 0xAD { return 1 }  // the soft hyphen: a format character that terminals show
        switch scalar.properties.generalCategory {
        case .nonspacingMark, .enclosingMark, .format, .control: return 0
        default: break
        }
        if (0x1160...0x11FF).contains(v) || (0xD7B0...0xD7FF).contains(v) { return 0 }  // Hangul Jungseong and Jongseong join the syllable before
        let wide = (0x1100...0x115F).contains(v) || (0x2E80...0x303E).contains(v) || (0x3041...0xA4CF).contains(v)
            || (0xAC00...0xD7A3).contains(v) || (0xF900...0xFAFF).contains(v) || (0xFE30...0xFE4F).contains(v)
            || (0xFF00...0xFF60).contains(v) || (0xFFE0...0xFFE6).contains(v)
            || (0x1F300...0x1F64F).contains(v) || (0x1F900...0x1F9FF).contains(v) || (0x20000...0x3FFFD).contains(v)
        return wide ? 2 : 1
    }

    /// The longest start of `s` that fits in `columns` terminal columns (`displayWidth`), with `…`
    /// at its end when it was cut; `s` itself when it fits.
    public static func fitted(_ s: String, columns: Int) -> String {
        guard displayWidth(s) > columns else { return s }
        guard columns > 1 else { return columns == 1 ? "…" : "" }
        var out = "", used = 0
        for character in s {
            let w = displayWidth(String(character))
            if used + w > columns - 1 { break }
            out.append(character)
            used += w
        }
        return out + "…"
    }
}
