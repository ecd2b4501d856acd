import Foundation
import Testing
@testable import DataflowCore

/// Aliases are budgeted on libyaml's events before anything is composed: ordinary anchors still
/// work, a bomb or a deep nest is refused at its position (the binary under a memory limit is
/// tested in IntegrationTests/ConfigInputTests).
@Suite("YAML alias budget")
struct YAMLAliasBudgetTests {
    @Test func ordinaryAnchorsStillResolve() throws {
        let node = try YAMLDocument.parse("""
            base: &base { type: text, pii: name }
            fields:
              a: *base
              b: *base
            """, file: "x.yml")
        guard case .mapping(let entries, _) = node, case .mapping(let fields, _)? = entries.last?.value else { Issue.record("not a mapping"); return }
        #expect(fields.map(\.key) == ["a", "b"])
        guard case .mapping(let b, _) = fields[1].value else { Issue.record("alias not resolved"); return }
        #expect(b.map(\.key) == ["type", "pii"])
    }

    @Test func aBombIsRefusedAtTheAliasThatCrossesTheBudget() throws {
        // Each level multiplies by ten: level 5 is 10⁵ nodes, so its first alias to level 4 (11,111
        // nodes) is what crosses a budget of 20,000 after level 4's own 11,110.
        var lines = ["l0: &l0 [x,x,x,x,x,x,x,x,x,x]"]
        for level in 1...8 { lines.append("l\(level): &l\(level) [" + Array(repeating: "*l\(level - 1)", count: 10).joined(separator: ",") + "]") }
        do {
            try YAMLAliasBudget.check(lines.joined(separator: "\n"), file: "bomb.yml", limit: 20_000)
            Issue.record("a bomb passed the budget")
        } catch {
            #expect(error.description.hasPrefix("bomb.yml:5:"), "\(error)")
            #expect(error.description.contains("YAML aliases expand to more than 20000 nodes"))
        }
    }

    @Test func deepNestingIsRefused() throws {
        let text = "a: " + String(repeating: "[", count: 300) + String(repeating: "]", count: 300)
        #expect(throws: ConfigError.self) { try YAMLDocument.parse(text, file: "deep.yml") }
        do { _ = try YAMLDocument.parse(text, file: "deep.yml") } catch {
            #expect(error.description.contains("deep.yml:1:") && error.description.contains("nested more than 200 levels"), "\(error)")
        }
    }
}
