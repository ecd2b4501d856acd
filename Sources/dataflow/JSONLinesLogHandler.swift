import DataflowCore
import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line on stderr — for cron and log
/// shippers: `{"ts": …, "level": …, "event": <message>, <metadata…>}`. Numbers given as
/// `.stringConvertible` integers or decimals stay JSON numbers; everything else is a string.
/// Keys are sorted after the first three, so lines are stable. Every string passes the run's
/// redactor (control characters need no escaping here: JSON string literals escape them).
struct JSONLinesLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    let redactor: Redactor
    let write: @Sendable (String) -> Void

    init(redactor: Redactor, write: @escaping @Sendable (String) -> Void = { Console.stderr($0) }) {
        self.redactor = redactor
        self.write = write
    }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        write(JSONLinesLogHandler.line(level: event.level, event: event.message.description,
                                       metadata: metadata.merging(event.metadata ?? [:]) { $1 }, redactor: redactor))
    }

    static func line(level: Logger.Level, event: String, metadata: Logger.Metadata, redactor: Redactor) -> String {
        var out = "{\"ts\":" + JSONValue.quoted(Timestamp.now()) + ",\"level\":" + JSONValue.quoted(level.rawValue)
            + ",\"event\":" + JSONValue.quoted(redactor.redact(event))
        for (key, value) in metadata.sorted(by: { $0.key < $1.key }) {
            out += "," + JSONValue.quoted(key) + ":" + render(value, redactor)
        }
        return out + "}\n"
    }

    static func render(_ value: Logger.Metadata.Value, _ redactor: Redactor) -> String {
        switch value {
        case .string(let s): return JSONValue.quoted(redactor.redact(s))
        case .stringConvertible(let c):
            if let n = c as? JSONNumber { return n.text }
            return JSONValue.quoted(redactor.redact(c.description))
        case .array(let items): return "[" + items.map { render($0, redactor) }.joined(separator: ",") + "]"
        case .dictionary(let d):
            return "{" + d.sorted(by: { $0.key < $1.key }).map { JSONValue.quoted($0.key) + ":" + render($0.value, redactor) }.joined(separator: ",") + "}"
        }
    }
}

/// A number in a log event's metadata, rendered as a JSON number (null when absent).
struct JSONNumber: CustomStringConvertible, Sendable {
    let text: String
    var description: String { text }

    init(_ n: Int) { text = String(n) }
    init(_ n: Int64) { text = String(n) }
    init(seconds: Double) { text = String(format: "%.3f", seconds) }
    init(null: Void) { text = "null" }
    /// An already formatted number.
    init(raw: String) { text = raw }
}
