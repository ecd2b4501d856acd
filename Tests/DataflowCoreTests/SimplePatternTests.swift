import Foundation
import Testing
@testable import DataflowCore
import LoopbackGateway

@Suite("SimplePattern agrees with NSRegularExpression")
struct SimplePatternTests {
    func nsMatches(_ pattern: String, _ text: String) -> Bool {
        guard let regex = try? NSRegularExpression(pattern: "\\A(?:" + pattern + ")\\z") else { return false }
        return regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }

    @Test func randomPatternsAndInputsMatchExactlyLikeTheFullEngine() throws {
        var rng = SeededGenerator(seed: 20261129)
        let atoms = ["a", "b", "Y", "W", "7", "中", "\\d", "\\w", "\\s", "\\D", ".", "[0-9]", "[A-Z]", "[^0-9]", "[a-c_]", "\\.", "\\-", "[X\\d]"]
        let quantifiers = ["", "", "?", "*", "+", "{2}", "{1,3}", "{0,}", "{3}"]
        let alphabet: [String] = ["a", "b", "Y", "W", "7", "0", "9", "中", " ", ".", "-", "_", "Z", "x", "５", "\t",
                                  "\n", "\r", "\u{0B}", "\u{85}", "\u{2028}"]
        var compared = 0
        for _ in 0..<400 {
            let pattern = (0..<Int.random(in: 1...4, using: &rng)).map { _ in
                atoms.randomElement(using: &rng)! + quantifiers.randomElement(using: &rng)!
            }.joined()
            let fast = try #require(SimplePattern(pattern), "\(pattern) should be in the subset")
            for _ in 0..<25 {
                let text = (0..<Int.random(in: 0...6, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }.joined()
                #expect(fast.matchesWhole(text) == nsMatches(pattern, text), "/\(pattern)/ on '\(text)'")
                compared += 1
            }
        }
        #expect(compared == 10_000)
    }

    @Test func theExampleCountysPatternsUseTheFastPath() {
        let p = SimplePattern("YW[0-9]{12}")
        #expect(p?.matchesWhole("YW202601010001") == true)
        #expect(p?.matchesWhole("YW20260101000") == false)
        #expect(p?.matchesWhole("XYW202601010001") == false)
        #expect(SimplePattern("^\\d{6}$")?.matchesWhole("330782") == true)
    }

    @Test("constructs outside the subset fall back to the full engine", arguments: [
        "(ab)+", "a|b", "a*?", "\\bword", "[[:digit:]]", "(?i)abc", "\\1", "a{2}{3}", "[z-a]", "x++",
    ])
    func unsupported(_ pattern: String) {
        #expect(SimplePattern(pattern) == nil)
    }
}

@Suite("Fast whitespace")
struct FastWhitespaceTests {
    @Test func agreesWithTheUnicodePropertyForEveryBMPScalarAndBeyond() {
        var checked = 0
        for v in UInt32(0)...0x2FFFF {
            guard let s = Unicode.Scalar(v) else { continue }
            #expect(s.isWhitespaceFast == s.properties.isWhitespace, "U+\(String(v, radix: 16))")
            checked += 1
        }
        #expect(checked > 190_000)
    }

    @Test func trimming() {
        #expect("\u{3000} 义乌 \u{A0}\n".trimmingWhitespace == "义乌")
        #expect("义乌".trimmingWhitespace == "义乌")
        #expect("   ".trimmingWhitespace == "")
    }
}
