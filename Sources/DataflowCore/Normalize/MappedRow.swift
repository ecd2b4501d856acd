

/// A record that passed mapping and checks: the row to upsert.
public struct MappedRow: Sendable {
    /// The key columns' values joined with U+001F.
    public var key: String
    /// One value per mapped field, in the dataset's field order.
    public var values: [CellValue]
    /// The resolved national matter code, if any.
    public var matter: String?
    /// The matter code as the source sent it.
    public var matterCode: String?
    public var deleted: Bool
    /// Content hash over values, matter and the deleted flag.
    public var hash: String
    /// The record's cursor, as epoch seconds, if it has one.
    public var cursor: Int?
}

/// Why a record was quarantined: machine-readable.
public struct RejectReason: Error, Sendable, Equatable {
    public var field: String?
    public var rule: String
    public var value: String?
    public var message: String

    /// `{"field":…,"rule":…,"value":…,"message":…}` with the value truncated to 200 characters,
    /// and the message quoting the same 200 and `…`: the value is masked where the message
    /// repeats it (`PIIMasking.reason`), so the message must not hold more of it than the value.
    public var json: String {
        var stored = value, said = message
        if let whole = value, whole.count > 200 {
            let cut = String(whole.prefix(200))
            stored = cut
            said = message.replacingOccurrences(of: whole, with: cut + "…")
        }
        var out = "{"
        out += "\"field\":" + (field.map(JSONValue.quoted) ?? "null")
        out += ",\"rule\":" + JSONValue.quoted(rule)
        out += ",\"value\":" + (stored.map(JSONValue.quoted) ?? "null")
        out += ",\"message\":" + JSONValue.quoted(said)
        return out + "}"
    }
}

/// A record that failed: stored whole with its reasons.
public struct RejectedRecord: Sendable {
    public var key: String?
    public var record: JSONValue
    public var reasons: [RejectReason]
    public var cursor: Int?

    public var reasonsJSON: String { "[" + reasons.map(\.json).joined(separator: ",") + "]" }
}
