import DataflowCore
import Foundation
import Logging

/// A swift-log handler that writes one JSON object per line on stderr — for cron and log
/// shippers: `{"ts": …, "level": …, "event": <message>, <metadata…>}`. Numbers given as
/// `.stringConvertible` integers or decimals stay JSON numbers; everything else is a string.
/// Keys are sorted after the first three, so lines are stable.
struct JSONLinesLogHandler: LogHandler {
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace
    let write: @Sendable (String) -> Void

    init(write: @escaping @Sendable (String) -> Void = { Console.stderr($0) }) { self.write = write }

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        write(JSONLinesLogHandler.line(level: event.level, event: event.message.description,
                                       metadata: metadata.merging(event.metadata ?? [:]) { $1 }))
    }

    static func line(level: Logger.Level, event: String, metadata: Logger.Metadata) -> String {
        var out = "{\"ts\":" + JSONValue.quoted(Timestamp.now()) + ",\"level\":" + JSONValue.quoted(level.rawValue)
            + ",\"event\":" + JSONValue.quoted(event)
        for key in metadata.keys.sorted() {
            out += "," + JSONValue.quoted(key) + ":" + render(metadata[key]!)
        }
        return out + "}\n"
    }

    static func render(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return JSONValue.quoted(s)
        case .stringConvertible(let c):
            if let n = c as? JSONNumber { return n.text }
            return JSONValue.quoted(c.description)
        case .array(let items): return "[" + items.map(render).joined(separator: ",") + "]"
        case .dictionary(let d): return "{" + d.keys.sorted().map { JSONValue.quoted($0) + ":" + render(d[$0]!) }.joined(separator: ",") + "}"
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
