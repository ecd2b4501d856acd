import Foundation

/// ANSI colours for terminal reports, and the rule for when to use them: only when the output is a
/// terminal, `NO_COLOR` (https://no-color.org) is unset or empty, and `TERM` is not `dumb`.
///
/// ```swift
/// let colour = TerminalColour(enabled: TerminalColour.shouldUse(isTerminal: isatty(1) == 1,
///                                                               environment: ProcessInfo.processInfo.environment))
/// print(colour.green("fresh"))
/// ```
public struct TerminalColour: Sendable {
    public var enabled: Bool

    public init(enabled: Bool) { self.enabled = enabled }

    public static func shouldUse(isTerminal: Bool, environment: [String: String]) -> Bool {
        guard isTerminal else { return false }
        if let noColor = environment["NO_COLOR"], !noColor.isEmpty { return false }
        return environment["TERM"] != "dumb"
    }

    public func green(_ s: String) -> String { wrap(s, "32") }
    public func yellow(_ s: String) -> String { wrap(s, "33") }
    public func red(_ s: String) -> String { wrap(s, "31") }
    public func bold(_ s: String) -> String { wrap(s, "1") }
    public func dim(_ s: String) -> String { wrap(s, "2") }

    /// Colours a freshness word: fresh green, stale yellow, never red.
    public func freshness(_ s: String) -> String {
        switch s {
        case "fresh": return green(s)
        case "stale": return yellow(s)
        default: return red(s)
        }
    }

    /// Colours a coverage percentage: ≥ 80 green, ≥ 50 yellow, else red.
    public func percent(_ p: Double, _ text: String) -> String {
        p >= 80 ? green(text) : p >= 50 ? yellow(text) : red(text)
    }

    private func wrap(_ s: String, _ code: String) -> String {
        enabled ? "\u{1B}[\(code)m\(s)\u{1B}[0m" : s
    }
}
