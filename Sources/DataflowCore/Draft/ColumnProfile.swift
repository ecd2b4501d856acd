/// What one pass over a sample says about one source field: how often it is there, what kinds
/// of JSON values it holds, its distinct values and its values in response order. Inferrers read
/// profiles, never raw records.
///
/// ```swift
/// let profiles = ColumnProfile.profiles(of: sample.records)
/// profiles[0].name        // "TYSHXYDM"
/// profiles[0].nonEmpty    // 2000
/// ```
public struct ColumnProfile: Sendable {
    /// The source field's name.
    public var name: String
    /// Records in the sample.
    public var records = 0
    /// Records where the field is missing, null, or empty after trimming.
    public var empty = 0
    /// Non-empty scalar values as text (JSON numbers as their literal), in response order.
    public var values: [String] = []
    /// Values that were JSON objects or arrays.
    public var structured = 0
    /// Values that were JSON booleans.
    public var booleans = 0
    /// Values that were JSON numbers.
    public var numbers = 0
    /// Values with leading or trailing whitespace.
    public var outerSpace = 0
    /// Distinct non-empty values and how often each occurs.
    public var distinct: [String: Int] = [:]
    /// One entry per record, in response order: the value as in `values`, nil where the field is
    /// empty or structured. Lines fields up record by record (a composite key's columns).
    public var byRecord: [String?] = []
    /// How evidence quoting this field's values masks them, once the drafter knows the field is
    /// personal data (nil: only values that look personal are masked, see `EvidenceValue`).
    public var maskedAs: PIIKind?

    public var nonEmpty: Int { values.count + structured }

    /// Distinct values ordered by frequency, then text.
    public var frequent: [(value: String, count: Int)] {
        distinct.map { ($0.key, $0.value) }.sorted { $0.1 != $1.1 ? $0.1 > $1.1 : $0.0 < $1.0 }
    }

    /// A few example values for evidence comments, masked (as `kind`, else as `maskedAs`, else
    /// as what they look like) and shortened: evidence never quotes personal data in clear.
    public func examples(_ values: [String], limit: Int = 2, as kind: PIIKind? = nil) -> String {
        values.prefix(limit).map { value in
            let shown = EvidenceValue.shown(value, kind: kind ?? maskedAs)
            return "'" + (shown.count > 24 ? String(shown.prefix(24)) + "…" : shown) + "'"
        }.joined(separator: ", ")
    }

    /// Profiles of every field seen in `records`, in order of first appearance.
    public static func profiles(of records: [JSONValue]) -> [ColumnProfile] {
        var order: [String] = []
        var byName: [String: ColumnProfile] = [:]
        for record in records {
            guard case .object(let object) = record else { continue }
            for member in object.members where byName[member.key] == nil {
                order.append(member.key)
                byName[member.key] = ColumnProfile(name: member.key)
            }
        }
        for record in records {
            guard case .object(let object) = record else { continue }
            for name in order {
                byName[name]?.add(object[name])
            }
        }
        return order.compactMap { byName[$0] }
    }

    mutating func add(_ value: JSONValue?) {
        records += 1
        switch value {
        case nil, .null?:
            empty += 1
            byRecord.append(nil)
        case .array?, .object?:
            structured += 1
            byRecord.append(nil)
        case .bool(let b)?:
            booleans += 1
            append(b ? "true" : "false")
        case .number(let n)?:
            numbers += 1
            append(n)
        case .string(let s)?:
            let trimmed = s.trimmingWhitespace
            if trimmed.isEmpty || NullDefaults.values.contains(trimmed) { empty += 1; byRecord.append(nil); return }
            if trimmed.count != s.count { outerSpace += 1 }
            append(trimmed)
        }
    }

    private mutating func append(_ text: String) {
        values.append(text)
        byRecord.append(text)
        distinct[text, default: 0] += 1
    }
}
