import Foundation

/// The personal-data fields of one dataset, by column and by source field, and how each view
/// masks them: mapped values (`export`, `check`), raw gateway records (`rejects`, `check`),
/// reject reasons and keys.
///
/// ```swift
/// let masking = PIIMasking(dataset: serviceCases)
/// masking.value("330782199001014239", column: "applicant_id")   // "330782***********9"
/// masking.record(raw)                                            // SQRZJHM, SQRXM masked
/// ```
///
/// A raw record may carry members the mapping never reads (the gateway sends more than the
/// county maps, or a record arrives as a list): nobody has said whether those are personal, so
/// the masked view masks them too — by the shape their value has (a citizen ID, a phone number,
/// an e-mail address, see `PIIText.kind(of:)`), else by the generic rule.
public struct PIIMasking: Sendable {
    /// Column → kind, for mapped rows.
    public let columns: [String: PIIKind]
    /// Source field name (`from:`) → kind, for raw records as the gateway sent them.
    public let sources: [String: PIIKind]
    /// The members the mapping reads (fields' `from:`, the incremental cursor, the deleted flag,
    /// the matter field): shown as they are unless personal. Any other member of a raw record is masked.
    let read: Set<String>
    /// The kind of each key column (nil where the key column is not personal data).
    let keyKinds: [PIIKind?]
    /// Mask every member and the whole key (a reject of a dataset no longer configured: its
    /// personal fields are unknown, so all of it is treated as personal).
    let everything: Bool

    /// Masks every value: for records whose dataset mapping is unknown.
    public static let everything = PIIMasking()

    private init() {
        columns = [:]
        sources = [:]
        read = []
        keyKinds = []
        everything = true
    }

    public init(dataset: DatasetConfig) {
        var columns: [String: PIIKind] = [:]
        var sources: [String: PIIKind] = [:]
        for field in dataset.fields {
            guard let kind = field.piiKind else { continue }
            columns[field.column] = kind
            sources[field.from] = kind
        }
        self.columns = columns
        self.sources = sources
        var matterField: String?
        if case .field(let name)? = dataset.matters { matterField = name }
        read = Set(dataset.fields.map(\.from) + [dataset.incremental?.cursor, dataset.deleted?.field, matterField].compactMap { $0 })
        keyKinds = dataset.key.map { columns[$0] }
        everything = false
    }

    /// True when the dataset has no personal data.
    public var isEmpty: Bool { columns.isEmpty && !everything }

    /// True when the stored `_key` contains personal data.
    public var keyIsPersonal: Bool { everything || keyKinds.contains { $0 != nil } }

    /// An earlier key of the dataset held personal data (`_dataflow_meta`
    /// `keyWasPersonalMeta(dataset)`, kept by the sync): the change feed and the quarantine may
    /// still hold such keys after `sync --rekey`, whatever the key is now.
    public var formerKeyWasPersonal = false

    /// The `_dataflow_meta` name under which the sync notes that a dataset's key holds personal data.
    public static func keyWasPersonalMeta(_ dataset: String) -> String { "key_was_personal:" + dataset }

    /// A key that may have been stored under an earlier key of the dataset (the change feed, the
    /// quarantine, or the table while a changed key waits for `sync --rekey`). When an earlier key
    /// held personal data, every part is masked: by its kind in the key of now when it has one,
    /// else by the kind its shape shows, else generically — an old citizen ID in a part whose
    /// column is not personal now is masked all the same.
    public func pastKey(_ key: String) -> String {
        guard formerKeyWasPersonal, !everything else { return self.key(key) }
        let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false)
        let kinds = parts.count == keyKinds.count ? keyKinds : Array(repeating: nil, count: parts.count)
        return zip(parts, kinds).map { part, kind in
            PIIMask.mask(String(part), as: kind ?? PIIText.kind(of: String(part)) ?? .generic)
        }.joined(separator: "\u{1F}")
    }

    /// Reads `formerKeyWasPersonal` from the warehouse's `_dataflow_meta`.
    public mutating func readFormerKey(dataset: String, from db: WarehouseReader) throws {
        formerKeyWasPersonal = try db.metaText(Self.keyWasPersonalMeta(dataset)) == "1"
    }

    /// A mapped column's value, masked when the column is personal data.
    public func value(_ text: String, column: String) -> String {
        columns[column].map { PIIMask.mask(text, as: $0) } ?? text
    }

    /// A stored `_key` (key columns joined by U+001F) with its personal parts masked.
    public func key(_ key: String) -> String {
        guard keyIsPersonal else { return key }
        if everything { return PIIMask.mask(key, as: .generic) }
        let parts = key.split(separator: "\u{1F}", omittingEmptySubsequences: false)
        guard parts.count == keyKinds.count else { return PIIMask.mask(key, as: .generic) }
        return zip(parts, keyKinds).map { part, kind in kind.map { PIIMask.mask(String(part), as: $0) } ?? String(part) }
            .joined(separator: "\u{1F}")
    }

    /// A raw record with the members named by personal fields' `from:` masked by their kind, and
    /// the members the mapping does not read masked by their shape (else generically). A member
    /// that is an object or a list is replaced by its masked JSON text. A record that is not an
    /// object (a list, a bare value) has no member the mapping reads: each value in it is masked
    /// by its shape, else generically.
    public func record(_ record: JSONValue) -> JSONValue {
        guard case .object(let object) = record else {
            return everything ? .string(PIIMask.mask(record.serialized(), as: .generic)) : Self.unread(record)
        }
        return .object(JSONObject(object.members.map { member in
            let kind: PIIKind
            if everything {
                kind = .generic
            } else if let personal = sources[member.key] {
                kind = personal
            } else if read.contains(member.key) {
                return member
            } else {
                return (member.key, Self.unread(member.value))
            }
            switch member.value {
            case .null: return member
            case .string, .number, .bool: return (member.key, .string(PIIMask.mask(member.value.text ?? "", as: kind)))
            case .array, .object: return (member.key, .string(PIIMask.mask(member.value.serialized(), as: .generic)))
            }
        }))
    }

    /// A value nobody declared: each scalar in it masked by the personal shape it has, else by
    /// the generic rule; lists and objects keep their structure (names are not data).
    static func unread(_ value: JSONValue) -> JSONValue {
        switch value {
        case .null: return value
        case .string, .number, .bool:
            let text = value.text ?? ""
            return .string(PIIMask.mask(text, as: PIIText.kind(of: text) ?? .generic))
        case .array(let items): return .array(items.map(unread))
        case .object(let object): return .object(JSONObject(object.members.map { ($0.key, unread($0.value)) }))
        }
    }

    /// A reject reason whose value (and the value wherever the message repeats it) is masked
    /// when the reason is about a personal field. A message that still quotes a piece of the
    /// value (a check's "birth date 19900231 is not a real date" names the part of an ID the
    /// mask hides) keeps only its field prefix and rule: the masked value stands beside it.
    public func reason(_ reason: RejectReason) -> RejectReason {
        guard let value = reason.value, !value.isEmpty,
              let kind = everything ? .generic : reason.field.flatMap({ columns[$0] ?? sources[$0] }) else { return reason }
        var out = reason
        let masked = PIIMask.mask(value, as: kind)
        out.value = masked
        // A value of one or two characters is masked only where the message quotes it whole: found
        // anywhere, it was our own words that were starred ("length 1, expected 18" became
        // "length *, expected *8", which showed the value).
        out.message = value.count < 3
            ? reason.message.replacingOccurrences(of: "'\(value)'", with: "'\(masked)'")
            : reason.message.replacingOccurrences(of: value, with: masked)
        if Self.quotesPiece(of: value, in: out.message, besides: masked) {
            let prefix = out.message.firstRange(of: ": ").map { String(out.message[..<$0.upperBound]) } ?? ""
            out.message = prefix + "fails \(reason.rule) (value masked: \(masked))"
        }
        return out
    }

    /// Whether `message` holds four or more consecutive characters of `value` that the masked
    /// form does not show anyway.
    static func quotesPiece(of value: String, in message: String, besides masked: String) -> Bool {
        let chars = Array(value)
        guard chars.count >= 4 else { return false }
        let rest = message.replacingOccurrences(of: masked, with: "")
        for start in 0...(chars.count - 4) {
            let piece = String(chars[start..<start + 4])
            if rest.contains(piece) && !masked.contains(piece) { return true }
        }
        return false
    }
}
