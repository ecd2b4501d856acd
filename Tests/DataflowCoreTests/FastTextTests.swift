import Testing
@testable import DataflowCore
import LoopbackGateway

/// The byte-level shortcuts of the mapping path (outer whitespace, collapse, half-width, a date's
/// first ten characters) must answer exactly what the scalar or character code they skip would
/// answer, for any text: every scalar of the Basic Multilingual Plane on its own and between
/// letters, and generated texts mixing every kind of whitespace, CR LF, combining marks,
/// full-width forms, CJK and emoji.
@Suite("Byte-level text shortcuts")
struct FastTextTests {
    /// The definitions the shortcuts replace, written over scalars and characters (`needsCollapse`
    /// and `halfWidth` are compared with their own scalar paths, `…ByScalars`).
    enum Reference {
        static func hasOuterWhitespace(_ text: String) -> Bool {
            guard let first = text.unicodeScalars.first, let last = text.unicodeScalars.last else { return false }
            return first.isWhitespaceFast || last.isWhitespaceFast
        }

        static func trimmed(_ text: String) -> String {
            var scalars = Array(text.unicodeScalars)
            while let first = scalars.first, first.isWhitespaceFast { scalars.removeFirst() }
            while let last = scalars.last, last.isWhitespaceFast { scalars.removeLast() }
            var view = String.UnicodeScalarView()
            view.append(contentsOf: scalars)
            return String(view)
        }
    }

    static func expectSame(_ text: String) {
        let shown = text.unicodeScalars.map { String($0.value, radix: 16) }.joined(separator: " ")
        #expect(text.hasOuterWhitespace == Reference.hasOuterWhitespace(text), "hasOuterWhitespace: \(shown)")
        #expect(TextTransformer.needsCollapse(text) == TextTransformer.needsCollapseByScalars(text), "needsCollapse: \(shown)")
        #expect(TextTransformer.halfWidth(text).unicodeScalars.elementsEqual(TextTransformer.halfWidthByScalars(text).unicodeScalars), "halfWidth: \(shown)")
        #expect(text.trimmingWhitespace.unicodeScalars.elementsEqual(Reference.trimmed(text).unicodeScalars), "trimmingWhitespace: \(shown)")
        #expect(ValueChecker.day(of: text).unicodeScalars.elementsEqual(String(text.prefix(10)).unicodeScalars), "day: \(shown)")
    }

    @Test func everyScalarOfTheBasicPlaneAloneAndBetweenLetters() {
        for value in UInt32(0)...0xFFFF {
            guard let scalar = Unicode.Scalar(value) else { continue }  // surrogates
            let s = String(Character(scalar))
            for text in [s, "a" + s, s + "a", "a" + s + "b", "  " + s, "2024-01-0" + s, "2024-01-01" + s + "x", "\r\n2024-01" + s] {
                Self.expectSame(text)
            }
        }
    }

    @Test func generatedTextsOfEveryKind() {
        let pieces = ["a", "Z", "0", "9", "-", ":", "T", " ", "  ", "\t", "\n", "\r", "\r\n", "\u{0B}", "\u{0C}", "\u{85}", "\u{A0}",
                      "\u{1680}", "\u{2000}", "\u{200A}", "\u{2028}", "\u{2029}", "\u{202F}", "\u{205F}", "\u{3000}", "\u{3001}",
                      "\u{FF01}", "\u{FF10}", "\u{FF21}", "\u{FF5E}", "\u{FF5F}", "\u{FFE5}", "义乌", "市", "\u{301}", "e\u{301}",
                      "👍", "👍🏽", "\u{E9}", "\u{1F1E8}\u{1F1F3}", "2024-01-01", "2024-01-01T08:00:00+08:00"]
        var g = SeededGenerator(seed: 2026_12_02)
        for _ in 0..<20_000 {
            let text = (0..<Int.random(in: 0...8, using: &g)).map { _ in pieces.randomElement(using: &g) ?? "" }.joined()
            Self.expectSame(text)
        }
    }

    /// A bridged or substring-built text may not be stored contiguously; the shortcuts then read
    /// scalars and still agree.
    @Test func textsBuiltFromSubstringsAgreeToo() {
        for whole in ["  义乌市\u{3000}", "\u{FF21}\u{FF22} c ", "2024-01-01T08:00", "\r\n2024-01-01", "e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}e\u{301}"] {
            for cut in 0...min(3, whole.count) {
                Self.expectSame(String(whole.dropFirst(cut)))
            }
        }
    }
}
