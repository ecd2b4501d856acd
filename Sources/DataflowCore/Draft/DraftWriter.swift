/// Renders a drafted dataset as YAML: the file's own request part as the user wrote it, then
/// `incremental`, `key`, `deleted`, `matters` and `fields`, each line preceded by its evidence as a
/// comment (`# CHECK:` where a human must decide).
///
/// ```swift
/// let text = DraftWriter.render(original: fileText, draft: draft)
/// ```
public enum DraftWriter {
    /// Top-level keys the drafter writes (and, with --force, replaces).
    public static let draftedKeys: Set<String> = ["incremental", "key", "deleted", "matters", "fields", "null_if"]
    /// Metadata keys a catalogue draft adds when the file lacks them.
    public static let metadataKeys: Set<String> = ["title", "provider", "resource_code", "update_cycle", "share_type"]

    /// What the drafter writes after the request part.
    public struct DatasetDraft: Sendable {
        public var header: [String] = []
        public var incremental: (cursor: Inference<String>, filter: Inference<IncrementalProbe.Filter>, format: DatePattern, sorted: Bool)?
        /// Why there is no incremental block (a full snapshot every run).
        public var snapshotReason: Inference<String>?
        /// Keep the file's own incremental block.
        public var keepIncremental = false
        public var key: Inference<[String]>?
        /// No key found: the combination that came closest, added to the CHECK line as a lead.
        public var keyHint: String?
        public var deleted: Inference<DeletedRule>?
        public var matter: Inference<String>?
        /// A fixed list of matters (from the catalogue) when no field carries them.
        public var fixedMatters: Inference<[String]>?
        /// Top-level lines added after the request part (metadata from the catalogue).
        public var metadata: [String] = []
        public var fields: [FieldDraft] = []
        /// Source fields left out of `fields`, with why.
        public var omitted: [String] = []

        public init() {}
    }

    /// The original text without the top-level blocks in `keys` (each block runs to the next
    /// top-level key; comments directly above a removed key go with it).
    public static func strip(_ text: String, keys: Set<String>) -> String {
        var out: [Substring] = []
        var pendingComments: [Substring] = []
        var dropping = false
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isLineBreak) {
            let isTopLevel = !line.isEmpty && !line.hasPrefix(" ") && !line.hasPrefix("\t") && !line.hasPrefix("#") && !line.hasPrefix("-")
            if line.hasPrefix("#") && !dropping { pendingComments.append(line); continue }
            if isTopLevel {
                let key = line.split(separator: ":", maxSplits: 1).first.map { $0.trimmingCharacters(in: .whitespaces) } ?? ""
                dropping = keys.contains(key)
                if !dropping { out += pendingComments }
                pendingComments = []
                if !dropping { out.append(line) }
                continue
            }
            if dropping { continue }
            out += pendingComments
            pendingComments = []
            out.append(line)
        }
        out += pendingComments
        while let last = out.last, last.trimmingCharacters(in: .whitespaces).isEmpty { out.removeLast() }
        return out.joined(separator: "\n") + "\n"
    }

    public static func render(original: String, draft: DatasetDraft) -> String {
        var keys = draftedKeys
        if draft.keepIncremental { keys.remove("incremental") }
        var out = strip(original, keys: keys)
        for line in draft.metadata { out += line + "\n" }
        out += "\n"
        for line in draft.header { out += "# " + commentText(line) + "\n" }
        if let inc = draft.incremental {
            out += "incremental:\n"
            out += "  # " + commentText(inc.cursor.comment) + "\n"
            out += "  cursor: \(scalar(inc.cursor.value))\n"
            out += "  # " + commentText(inc.filter.comment) + "\n"
            out += "  param: \(scalar(inc.filter.value.param))\n"
            if let template = inc.filter.value.template { out += "  template: \(quoted(template))\n" }
            out += "  format: \(quoted(inc.format.text))\n"
            out += "  timezone: Asia/Shanghai\n"
            out += "  lookback: 10m\n"
            if inc.sorted { out += "  # the cursor never decreased in response order\n  sorted: true\n" }
        } else if let reason = draft.snapshotReason {
            out += "# " + commentText(reason.comment) + "\n"
        }
        if let key = draft.key {
            let columns = key.value.compactMap { source in draft.fields.first { $0.source == source }?.column.value }
            out += "# key: " + commentText(key.comment) + "\n"
            out += "key: [\(columns.map(scalar).joined(separator: ", "))]\n"
        } else {
            out += "# CHECK: no field is unique and always present in the sample: name the key column(s)" + (draft.keyHint.map { "; " + commentText($0) } ?? "") + "\n"
            out += "key: [\(draft.fields.first.map { scalar($0.column.value) } ?? "id")]\n"
        }
        if let deleted = draft.deleted {
            out += "# deleted: " + commentText(deleted.comment) + "\n"
            out += "deleted: { field: \(scalar(deleted.value.field)), equals: [\(deleted.value.equals.map(quoted).joined(separator: ", "))] }\n"
        }
        if let matter = draft.matter {
            out += "# matters: " + commentText(matter.comment) + "\n"
            out += "matters: { field: \(scalar(matter.value)) }\n"
        } else if let fixed = draft.fixedMatters {
            out += "# matters: " + commentText(fixed.comment) + "\n"
            out += "matters: [\(fixed.value.map(quoted).joined(separator: ", "))]\n"
        }
        out += "fields:\n"
        for field in draft.fields {
            out += "  # " + commentText("\(field.source) → \(field.column.value): \(field.type.value.rawValue), \(field.type.evidence)") + "\n"
            var comments: [String] = []
            if field.column.confidence == .uncertain { comments.append(field.column.comment) }
            if field.type.confidence == .uncertain { comments.append("CHECK: type") }
            comments += field.checks.map(\.comment)
            if let codes = field.codes { comments.append(codes.comment) }
            comments += field.transforms.map(\.comment)
            if let pii = field.pii { comments.append("pii: " + pii.comment) }
            for comment in comments {
                // CHECK comments on their own line so a reader (and grep) sees them first.
                out += "  # " + commentText(comment) + "\n"
            }
            out += "  \(scalar(field.column.value)): { " + attributes(field).joined(separator: ", ") + " }\n"
        }
        for line in draft.omitted { out += "# " + commentText(line) + "\n" }
        return out
    }

    static func attributes(_ field: FieldDraft) -> [String] {
        var parts = ["from: \(scalar(field.source))", "type: \(field.type.value.rawValue)"]
        if let format = field.format, field.type.value == .date || field.type.value == .datetime { parts.append("format: \(quoted(format.text))") }
        if !field.transforms.isEmpty { parts.append("transform: [\(field.transforms.map { name($0.value) }.joined(separator: ", "))]") }
        if let codes = field.codes { parts.append("codes: { table: \(scalar(codes.value)), unknown: reject }") }
        let checks = field.checks.map { check(($0.value)) }
        if checks.count == 1 { parts.append("check: \(checks[0])") } else if checks.count > 1 { parts.append("check: [\(checks.joined(separator: ", "))]") }
        if field.legacyUpgrade { parts.append("legacy_id: upgrade") }
        if field.required { parts.append("required: true") }
        if field.pii?.value == true {
            // A kind the check already implies (citizen-id, phone) is written as true.
            let implied = field.checks.contains { $0.value == .named(.citizenID) || $0.value == .named(.phone) }
            if let kind = field.piiKind, kind != .generic, !implied { parts.append("pii: \(kind.rawValue)") } else { parts.append("pii: true") }
        }
        return parts
    }

    static func name(_ t: Transform) -> String {
        switch t {
        case .trim: return "trim"
        case .collapse: return "collapse"
        case .halfWidth: return "half-width"
        case .upper: return "upper"
        case .lower: return "lower"
        case .replace(let pattern, let with): return "{ replace: { pattern: \(quoted(pattern)), with: \(quoted(with)) } }"
        }
    }

    static func check(_ c: FieldCheck) -> String {
        switch c {
        case .named(let kind): return kind.rawValue
        case .regex(let pattern): return "{ regex: \(quoted(pattern)) }"
        case .oneOf(let values): return "{ enum: [\(values.map(quoted).joined(separator: ", "))] }"
        case .range(let low, let high): return "{ range: [\(low ?? "~"), \(high ?? "~")] }"
        case .dateRange(let from, let to): return "{ date_range: [\(from ?? "~"), \(to ?? "~")] }"
        }
    }

    /// A plain scalar when it is a simple name, else double-quoted.
    static func scalar(_ s: String) -> String {
        let simple = !s.isEmpty && s.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "_" }
            && !(s.first?.isNumber ?? true)
            && !["true", "false", "null", "yes", "no", "on", "off", "y", "n"].contains(s.lowercased())
        return simple ? s : quoted(s)
    }

    /// Text for a YAML comment: a line break or control character (escaped as `\n`, `\u{1B}`),
    /// or a Unicode line or paragraph separator, in a sample value or a member name would end
    /// the comment and turn the rest into YAML of the draft's own — a field nobody decided on.
    static func commentText(_ text: String) -> String {
        Redactor.escapingControls(text).replacingOccurrences(of: "\u{2028}", with: "\\u{2028}").replacingOccurrences(of: "\u{2029}", with: "\\u{2029}")
    }

    /// YAML double-quoted (JSON string escaping is valid YAML).
    static func quoted(_ s: String) -> String { JSONValue.quoted(s) }
}
