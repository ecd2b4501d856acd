/// The quarantine as `dataflow rejects` shows it: one entry per stored reject, with its reasons.
/// Personal data is masked by each dataset's mapping unless the listing is built with no
/// masking (`--reveal-pii`).
///
/// ```swift
/// let listing = try RejectListing(store: warehouse, dataset: "service_cases", includeResolved: false,
///                                 masking: ["service_cases": PIIMasking(dataset: serviceCases)])
/// print(listing.table())
/// ```
public struct RejectListing {
    public var rejects: [StoredReject]

    /// `masking`: each dataset's masking by name (a dataset not in it is masked whole); nil shows
    /// everything in clear.
    public init(store: RejectStore, dataset: String?, includeResolved: Bool, masking: [String: PIIMasking]?) throws {
        let stored = try store.rejects(dataset: dataset, includeResolved: includeResolved)
        guard let masking else { rejects = stored; return }
        rejects = stored.map { RejectListing.masked($0, by: masking[$0.dataset] ?? .everything) }
    }

    /// A stored reject with its key, source record and reasons masked. The record is masked
    /// even for a dataset with no personal field: members its mapping does not read are.
    static func masked(_ reject: StoredReject, by masking: PIIMasking) -> StoredReject {
        var out = reject
        out.key = reject.key.map(masking.pastKey)
        if let record = try? JSONParser.parse(Array(reject.record.utf8)) {
            out.record = masking.record(record).serialized()
        } else {
            out.record = JSONValue.quoted(PIIMask.mask(reject.record, as: .generic))
        }
        let reasons = RejectListing.reasons(reject).map(masking.reason)
        out.reasons = "[" + reasons.map(\.json).joined(separator: ",") + "]"
        return out
    }

    /// The reasons of one reject, parsed from their stored JSON.
    public static func reasons(_ r: StoredReject) -> [RejectReason] {
        guard case .array(let items)? = try? JSONParser.parse(Array(r.reasons.utf8)) else { return [] }
        return items.map { item in
            RejectReason(field: item["field"]?.text, rule: item["rule"]?.text ?? "", value: item["value"]?.text,
                         message: item["message"]?.text ?? "")
        }
    }

    /// A text table: one line per reason.
    public func table() -> String {
        if rejects.isEmpty { return "no rejects\n" }
        var rows: [[String]] = []
        for r in rejects {
            for (i, reason) in RejectListing.reasons(r).enumerated() {
                let value = reason.value.map { $0.count > 40 ? String($0.prefix(39)) + "…" : $0 } ?? "-"
                rows.append(i == 0
                    ? [String(r.id), r.dataset, r.key ?? "-", reason.field ?? "-", reason.rule, value, r.resolvedAt.map { "resolved \($0)" } ?? "open", reason.message]
                    : ["", "", "", reason.field ?? "-", reason.rule, value, "", reason.message])
            }
        }
        let open = rejects.filter { $0.resolvedAt == nil }.count
        return TextTable.render(headers: ["id", "dataset", "key", "field", "rule", "value", "state", "message"], rows: rows)
            + "\n\(rejects.count) rejects (\(open) open)\n"
    }

    /// A JSON array: each reject with its reasons and the source record as it arrived.
    public func json() -> String {
        var out = "["
        for (i, r) in rejects.enumerated() {
            if i > 0 { out += "," }
            out += "\n  {\"id\":\(r.id),\"dataset\":\(JSONValue.quoted(r.dataset)),\"key\":\(r.key.map(JSONValue.quoted) ?? "null")"
            out += ",\"reasons\":\(r.reasons),\"record\":\(r.record)"
            out += ",\"first_seen\":\(JSONValue.quoted(r.firstSeen)),\"last_seen\":\(JSONValue.quoted(r.lastSeen))"
            out += ",\"resolved_at\":\(r.resolvedAt.map(JSONValue.quoted) ?? "null"),\"resolved_run_id\":\(r.resolvedRunID.map(String.init) ?? "null")}"
        }
        return out + (rejects.isEmpty ? "]\n" : "\n]\n")
    }

    public static let csvHeader = ["id", "dataset", "key", "field", "rule", "value", "message", "first_seen", "last_seen", "resolved_at", "resolved_run_id", "record"]

    /// CSV rows: one per reason, the record's JSON in the last column.
    public func csvRows() -> [[String?]] {
        var rows: [[String?]] = []
        for r in rejects {
            for reason in RejectListing.reasons(r) {
                rows.append([String(r.id), r.dataset, r.key, reason.field, reason.rule, reason.value, reason.message,
                             r.firstSeen, r.lastSeen, r.resolvedAt, r.resolvedRunID.map(String.init), r.record])
            }
        }
        return rows
    }
}
