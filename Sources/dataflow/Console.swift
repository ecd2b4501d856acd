import DataflowCore
import Foundation
import Synchronization

/// Writes to stdout and stderr without buffering surprises.
///
/// With `--log-format json` (`Console.useJSON`, set from the command line before it is parsed)
/// every line a command writes to stderr through `error` and `info` is a JSON event, like the
/// sync's own: stderr then holds only JSON objects, one per line (docs/operations.md).
enum Console {
    private static let json = Mutex(false)

    /// Whether stderr carries JSON lines.
    static var usesJSON: Bool { json.withLock { $0 } }

    /// Switches stderr to JSON lines when the arguments ask for `--log-format json` (read before
    /// ArgumentParser, so a usage error is a JSON event too).
    static func useJSON(ifAskedIn arguments: [String]) {
        var asked = false
        for (i, argument) in arguments.enumerated() {
            if argument == "--log-format" { asked = i + 1 < arguments.count && arguments[i + 1] == "json" }
            if argument.hasPrefix("--log-format=") { asked = argument == "--log-format=json" }
        }
        json.withLock { $0 = asked }
    }

    static func out(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }

    /// An error, or a warning when `text` starts with `warning: `: `dataflow: TEXT`, or an event
    /// `error` / `warning` with the text as `message`.
    static func error(_ text: String) {
        if usesJSON {
            let warning = text.hasPrefix("warning: ")
            event(warning ? "warning" : "error", level: warning ? "warning" : "error", message: warning ? String(text.dropFirst(9)) : text)
        } else {
            FileHandle.standardError.write(Data(("dataflow: " + text + "\n").utf8))
        }
    }

    /// What a command says it did (`exported 27 rows …`): the text as it is, or an event
    /// `message` (level info) with it as `message`, the trailing line break dropped.
    static func info(_ text: String) {
        if usesJSON {
            event("message", level: "info", message: text.hasSuffix("\n") ? String(text.dropLast()) : text)
        } else {
            stderr(text)
        }
    }

    /// A usage error found before the command ran (ArgumentParser's own): its message alone.
    static func usageError(_ message: String, exitCode: Int32) { errorEvent("usage_error", message, exitCode: exitCode) }

    /// An error that ends a command, as a JSON event `{event, error, exit_code}`.
    static func errorEvent(_ event: String, _ message: String, exitCode: Int32, redactor: Redactor = Redactor()) {
        stderr(EventLog.jsonLine(event, [("error", .text(message)), ("exit_code", .int(Int(exitCode)))], level: "error", redactor: redactor))
    }

    private static func event(_ name: String, level: String, message: String) {
        stderr(EventLog.jsonLine(name, [("message", .text(message))], level: level, redactor: Redactor()))
    }

    /// Raw bytes to stderr (progress drawing, and JSON lines made elsewhere).
    static func stderr(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
    }

    static var stderrIsTerminal: Bool { isatty(STDERR_FILENO) == 1 }
}
