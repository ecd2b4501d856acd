import Foundation

/// Short, printable excerpts of response bodies for error messages.
public enum ResponseText {
    public static func snippet(_ body: [UInt8], limit: Int = 300) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        let trimmed = text.trimmingCharacters(in: .whitespacesAndNewlines)
        return trimmed.count > limit ? String(trimmed.prefix(limit)) + "…" : (trimmed.isEmpty ? "(empty body)" : trimmed)
    }
}
