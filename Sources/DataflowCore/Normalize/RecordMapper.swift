import Foundation
/// Turns raw gateway records into typed rows for one dataset, or into rejects with reasons.
///
/// ```swift
/// let mapper = RecordMapper(dataset: ds, dictionaries: project.dictionaries)
/// switch mapper.map(record) { case .row(let row): …; case .rejected(let r): … }
/// ```
public final class RecordMapper {
    /// The outcome of mapping one record.
    public enum Outcome {
        case row(MappedRow)
        case rejected(RejectedRecord)
    }

    public let dataset: DatasetConfig
    let dictionaries: Dictionaries
    let hasher = ContentHasher()
    let keyIndexes: [Int]
    /// Per field, in field order: transforms, checks and code table, prepared once.
    let plans: [FieldPlan]
    /// Source field names the mapping uses (for schema drift).
    public let knownSourceFields: Set<String>
    /// Parts of `dataset` the per-record loop reads, held apart (reading them through `dataset`
    /// copied, and so retained and released, the rule around them on every record).
    private let matterField: String?
    private let deletedRule: DeletedRule?
    private let strict: Bool
    private let incremental: IncrementalConfig?
    /// Where `matterField` and the deleted flag were in the last record, as `FieldPlan.memberHint`
    /// (this mapper belongs to one thread at a time).
    @exclusivity(unchecked) private var matterHint = 0
    @exclusivity(unchecked) private var deletedHint = 0
    @exclusivity(unchecked) private var cursorHint = 0

    /// Prepared per-field machinery. A class, so the per-record loop passes one reference
    /// instead of copying the field's configuration (a copy retains every string in it).
    final class FieldPlan {
        let field: FieldConfig
        /// The field is (part of) the dataset's key.
        let isKey: Bool
        /// Parts of `field` the per-record loop reads, held apart: reading a member of the nested
        /// configuration retained what it reached (`format`, `codes`) on every record.
        let type: FieldType
        let from: String
        let column: String
        let defaultValue: String?
        /// The pattern a `date` or `datetime` value is read with (`format`, or the type's default).
        let datePattern: DatePattern
        /// The zone a `datetime` value is read in: the dataset's cursor zone, or the default.
        let zone: ZoneSpec
        let transformer: TextTransformer
        let checker: ValueChecker?
        let codeTable: CodeTable?
        let nullIf: Set<String>
        /// No text longer than this (in UTF-8 bytes) can equal a `null_if` value: canonical
        /// equivalence at most quadruples a text's UTF-8 length (its decomposition), so a longer
        /// value skips hashing (which normalizes non-ASCII text first) altogether.
        let nullIfMaxBytes: Int
        /// The ASCII text each `null_if` value equals, if any (`asciiEquivalent`): an ASCII text is
        /// compared with these bytes instead of being hashed.
        let nullIfASCII: [[UInt8]]
        /// The `null_if` values' bytes when every one is `isSelfDecomposed` (the default list is:
        /// "", "N/A", "-", "无", "null"), else nil: a text of that kind then equals a value only if
        /// it is the same bytes, and is compared so instead of being hashed (hashing a text that is
        /// not ASCII normalizes it first; a Chinese name took 1,700 instructions).
        let nullIfSelfDecomposed: [[UInt8]]?
        /// Where the field's source member was in the last record (`JSONObject.value(forKey:hint:)`).
        /// The mapper and its plans belong to one thread at a time (the walk's prefetch thread), and
        /// the hint is only passed `inout` to that lookup, so the runtime's exclusivity check on
        /// each access (0.6 % of a sync's instructions) is left out.
        @exclusivity(unchecked) var memberHint = 0

        init(field: FieldConfig, isKey: Bool, zone: ZoneSpec, transformer: TextTransformer, checker: ValueChecker?, codeTable: CodeTable?) {
            self.field = field
            self.isKey = isKey
            type = field.type
            from = field.from
            column = field.column
            defaultValue = field.defaultValue
            datePattern = field.format ?? (field.type == .datetime ? DateDefaults.dateTime : DateDefaults.date)
            self.zone = zone
            self.transformer = transformer
            self.checker = checker
            self.codeTable = codeTable
            nullIf = Set(field.nullIf)
            nullIfMaxBytes = 4 * (field.nullIf.map(\.utf8.count).max() ?? -1)
            nullIfASCII = field.nullIf.compactMap(FieldPlan.asciiEquivalent)
            let nullBytes = field.nullIf.map { Array($0.utf8) }
            nullIfSelfDecomposed = nullBytes.allSatisfy { $0.withUnsafeBufferPointer(FieldPlan.isSelfDecomposed) } ? nullBytes : nil
        }

        /// Whether `text` is one of the field's `null_if` values (canonically equivalent, as
        /// `String` compares).
        func isNullText(_ text: String) -> Bool {
            text.withUTF8Bytes { bytes in
                guard bytes.count <= nullIfMaxBytes else { return false }
                // An ASCII text equals a value only if that value's ASCII equivalent is the same bytes.
                guard bytes.allSatisfy({ $0 < 0x80 }) else {
                    if let values = nullIfSelfDecomposed, FieldPlan.isSelfDecomposed(bytes) {
                        return values.contains { $0.elementsEqual(bytes) }
                    }
                    return nullIf.contains(text)
                }
                return nullIfASCII.contains { $0.elementsEqual(bytes) }
            }
        }

        /// Whether valid UTF-8 `bytes` hold only ASCII and U+4000–U+9FFF (CJK Unified Ideographs
        /// and Extension A, the hexagram symbols): scalars without a canonical decomposition and
        /// of combining class 0, so the text is its own canonical decomposition, and two such texts
        /// are canonically equal only if they are the same bytes. (The compatibility ideographs
        /// U+F900–U+FAFF decompose to these, and are outside.)
        static func isSelfDecomposed(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
            var i = 0
            while i < bytes.count {
                let b = bytes[i]
                if b < 0x80 { i += 1; continue }
                // In valid UTF-8 a lead byte E4–E9 starts a three-byte scalar U+4000–U+9FFF.
                guard b >= 0xE4, b <= 0xE9 else { return false }
                i += 3
            }
            return true
        }

        /// The characters outside ASCII whose canonical decomposition is one ASCII character
        /// (Greek question mark, Greek varia, Kelvin sign): the only way a text that is not ASCII
        /// can equal one that is. `RecordMapperTests` checks this list against every scalar.
        static let singletonsToASCII: [UInt32: UInt8] = [0x037E: UInt8(ascii: ";"), 0x1FEF: UInt8(ascii: "`"), 0x212A: UInt8(ascii: "K")]

        /// The ASCII text canonically equivalent to `value`, or nil if there is none.
        static func asciiEquivalent(_ value: String) -> [UInt8]? {
            var bytes: [UInt8] = []
            for scalar in value.unicodeScalars {
                if scalar.isASCII { bytes.append(UInt8(scalar.value)) } else if let b = singletonsToASCII[scalar.value] { bytes.append(b) } else { return nil }
            }
            return String(decoding: bytes, as: UTF8.self) == value ? bytes : nil
        }
    }

    public init(dataset: DatasetConfig, dictionaries: Dictionaries, now: Date = Date()) {
        self.dataset = dataset
        self.dictionaries = dictionaries
        keyIndexes = dataset.key.compactMap { k in dataset.fields.firstIndex { $0.column == k } }
        let zone = dataset.incremental?.timezone ?? DateDefaults.zone
        let epoch = Int(now.timeIntervalSince1970)
        let today = CivilTime(epochSeconds: epoch, offset: zone.offset(atEpoch: epoch)).isoDate
        plans = dataset.fields.map { field in
            FieldPlan(field: field, isKey: dataset.key.contains(field.column), zone: zone, transformer: TextTransformer(field.transforms),
                      checker: field.checks.isEmpty ? nil : ValueChecker(field: field, codes: dictionaries.codes, today: today),
                      codeTable: field.codes.flatMap { dictionaries.codes[$0.table] })
        }
        var known = Set(dataset.fields.map(\.from))
        if let c = dataset.incremental?.cursor { known.insert(c) }
        if let d = dataset.deleted?.field { known.insert(d) }
        if case .field(let f)? = dataset.matters { known.insert(f) }
        knownSourceFields = known
        if case .field(let f)? = dataset.matters { matterField = f } else { matterField = nil }
        deletedRule = dataset.deleted
        strict = dataset.strict
        incremental = dataset.incremental
    }

    /// Maps one record.
    public func map(_ record: JSONValue) -> Outcome { map(record, cursor: nil) }

    /// Maps one record whose cursor the caller may have read already (`known`, from
    /// `RecordMapper.cursor(of:_:hint:)` with this dataset's `incremental`; `.some(nil)` when it has none),
    /// so a cursor walk does not parse each record's cursor twice.
    func map(_ record: JSONValue, cursor known: Int??) -> Outcome {
        guard case .object(let object) = record else {
            return .rejected(RejectedRecord(key: nil, record: record, reasons: [
                RejectReason(field: nil, rule: "record", value: nil, message: "record is not a JSON object")]))
        }
        var values: [CellValue] = []
        values.reserveCapacity(plans.count)
        var reasons: [RejectReason] = []
        // A member the mapping reads that the record names twice: either value would be a guess.
        for name in object.duplicateKeys where knownSourceFields.contains(name) {
            reasons.append(RejectReason(field: name, rule: "duplicate-member", value: nil,
                                        message: "\(name) appears more than once in the record; which value is meant is unknown"))
        }
        for plan in plans {
            let raw = object.value(forKey: plan.from, hint: &plan.memberHint)
            switch convert(raw, plan: plan) {
            case .success(let value):
                if value.isNull, plan.isKey || plan.field.required {
                    reasons.append(RejectReason(field: plan.column, rule: plan.isKey ? "key" : "required",
                                                value: raw?.text, message: "\(plan.from) is missing or empty"))
                }
                values.append(value)
            case .failure(let reason):
                reasons.append(reason)
                values.append(.null)
            }
        }
        let cursor = known ?? cursorValue(object)
        let keyText = keyText(values)
        var matterCode: String?
        var matter: String?
        if let f = matterField, let code = object.value(forKey: f, hint: &matterHint)?.text?.trimmingWhitespace, !code.isEmpty {
            // `_matter_code` and the unresolved-code list store the code as text.
            if RecordMapper.holdsNUL(code) {
                reasons.append(RecordMapper.nulReason(field: f, from: f, code))
            } else {
                matterCode = code
                matter = dictionaries.resolvedCode(code)
            }
            if matterCode != nil, matter == nil, strict {
                reasons.append(RejectReason(field: f, rule: "matter", value: code,
                                            message: "\(f): matter code \(code) is not in dictionaries/matters.yml (strict: true)"))
            }
        }
        if !reasons.isEmpty {
            return .rejected(RejectedRecord(key: keyText, record: record, reasons: reasons, cursor: cursor))
        }
        var deleted = false
        if let rule = deletedRule, let flag = object.value(forKey: rule.field, hint: &deletedHint)?.text {
            deleted = rule.equals.contains(flag)
        }
        let hash = contentHash(values, matter: matter, matterCode: matterCode, deleted: deleted)
        return .row(MappedRow(key: keyText ?? "", values: values, matter: matter, matterCode: matterCode,
                              deleted: deleted, hash: hash, cursor: cursor))
    }

    /// The record's key (`keyIdentity` of its key values joined with U+001F), or nil when a key
    /// value is null. A one-field key is its value's own text: no array and no joined copy.
    private func keyText(_ values: [CellValue]) -> String? {
        if keyIndexes.count == 1 {
            return values[keyIndexes[0]].text.map(RecordMapper.keyIdentity)
        }
        guard keyIndexes.allSatisfy({ !values[$0].isNull }) else { return nil }
        return RecordMapper.keyIdentity(keyIndexes.map { values[$0].text ?? "" }.joined(separator: "\u{1F}"))
    }

    /// A key as the warehouse stores and compares it (`_key`, the change feed, open rejects): its
    /// Unicode NFC form. Swift compares strings by canonical equivalence, SQLite and PostgreSQL
    /// compare their bytes; in NFC the two agree, so a key sent once as `café` (U+00E9) and once
    /// as `cafe` + U+0301 is one row, not a row the page's own bookkeeping thinks it updated and
    /// the table never sees. ASCII text is already NFC and comes back as it is.
    static func keyIdentity(_ key: String) -> String {
        key.isASCIIBytes ? key : key.precomposedStringWithCanonicalMapping
    }

    /// The record's cursor as epoch seconds (nil if absent or unparseable).
    private func cursorValue(_ object: JSONObject) -> Int? {
        guard let inc = incremental else { return nil }
        return RecordMapper.cursor(of: object, inc, hint: &cursorHint)
    }

    /// A raw record's cursor as epoch seconds — the one definition the page walk and the mapper
    /// share. The member is looked for first where it was in the previous record (`hint`, as
    /// `JSONObject.value(forKey:hint:)`; start at 0): a page's records name their members in one order.
    static func cursor(of object: JSONObject, _ inc: IncrementalConfig, hint: inout Int) -> Int? {
        guard let text = object.value(forKey: inc.cursor, hint: &hint)?.text, let civil = inc.format.parse(text) else { return nil }
        return inc.timezone.epochSeconds(of: civil)
    }

    func contentHash(_ values: [CellValue], matter: String?, matterCode: String?, deleted: Bool) -> String {
        hasher.hexDigest { bytes in
            for value in values {
                switch value {
                case .null: bytes.append(byte: 0)
                case .text(let s): bytes.append(byte: 1); bytes.append(s)
                case .integer(let n): bytes.append(byte: 2); bytes.append(String(n))
                }
                bytes.append(byte: 0x1F)
            }
            bytes.append(byte: 3); bytes.append(matter ?? ""); bytes.append(byte: 0x1F)
            bytes.append(byte: 4); bytes.append(matterCode ?? ""); bytes.append(byte: 0x1F)
            bytes.append(byte: deleted ? 1 : 0)
        }
    }

    func convert(_ raw: JSONValue?, plan: FieldPlan) -> Result<CellValue, RejectReason> {
        if plan.type == .json { return convertJSON(raw, plan: plan) }
        var text: String
        if let raw, !raw.isNull {
            // A source field that turns into an object or array quarantines the record: a type
            // change upstream must never write a mangled value into the table.
            guard let scalar = raw.text else {
                return .failure(RejectReason(field: plan.column, rule: "type:\(plan.type.rawValue)", value: raw.serialized(),
                                             message: "\(plan.from) is a JSON \(raw.kindName), expected a scalar"))
            }
            text = plan.transformer.apply(scalar)
            if plan.isNullText(text) || (RecordMapper.hasOuterSpace(text) && plan.isNullText(text.trimmingWhitespace)) {
                text = ""
            }
        } else {
            text = ""
        }
        if text.isEmpty {
            guard let fallback = plan.defaultValue else { return .success(.null) }
            text = fallback
        }
        if let table = plan.codeTable, let lookup = plan.field.codes {
            if let mapped = table.lookup(text) {
                text = mapped
            } else {
                switch lookup.unknown {
                case .keep: break
                case .null: return .success(.null)
                case .reject: return .failure(reject(plan.field, "codes:\(lookup.table)", text, "'\(text)' is not in code table \(lookup.table) (\(table.file))"))
                }
            }
        }
        let value: CellValue
        switch plan.type {
        case .text, .json:
            if RecordMapper.holdsNUL(text) { return .failure(RecordMapper.nulReason(field: plan.column, from: plan.from, text)) }
            value = .text(text)
        case .int:
            let digits = text.trimmingWhitespace
            guard let n = Int64(digits) else {
                let unsigned = digits.first == "-" || digits.first == "+" ? digits.utf8.dropFirst() : digits.utf8[...]
                let whole = !unsigned.isEmpty && unsigned.allSatisfy { (0x30...0x39).contains($0) }
                return .failure(reject(plan.field, "type:int", text, whole
                    ? "a whole number outside the 64-bit range (-9223372036854775808 to 9223372036854775807); use type: decimal"
                    : "not a whole number"))
            }
            value = .integer(n)
        case .decimal:
            guard let d = DecimalText.canonical(text) else {
                return .failure(reject(plan.field, "type:decimal", text, "not a decimal number"))
            }
            value = .text(d)
        case .bool:
            switch text.lowercased() {
            case "1", "true", "y", "yes", "是", "t": value = .integer(1)
            case "0", "false", "n", "no", "否", "f": value = .integer(0)
            default: return .failure(reject(plan.field, "type:bool", text, "not a boolean (1/0, true/false, 是/否)"))
            }
        case .date:
            let pattern = plan.datePattern
            guard let civil = pattern.parse(text) else {
                return .failure(reject(plan.field, "type:date", text, "does not match date format \(pattern)"))
            }
            value = .text(civil.isoDate)
        case .datetime:
            let pattern = plan.datePattern
            guard let civil = pattern.parse(text) else {
                return .failure(reject(plan.field, "type:datetime", text, "does not match datetime format \(pattern)"))
            }
            let zone = plan.zone
            let epoch = zone.epochSeconds(of: civil)
            value = .text(civil.isoDateTime(offset: zone.offset(atEpoch: epoch)))
        }
        if let checker = plan.checker, let s = value.text {
            switch checker.check(s) {
            case .success(let checked):
                if checked != s { return .success(.text(checked)) }
            case .failure(let failure):
                return .failure(reject(plan.field, failure.rule, failure.value, failure.message))
            }
        }
        return .success(value)
    }

    /// Whether the text holds U+0000. PostgreSQL's `text` cannot store it (COPY fails the whole
    /// page) while SQLite can, so such a value is quarantined on every backend alike (rule
    /// `control-char`). In UTF-8 the byte 0x00 is U+0000 and nothing else, so the test reads the
    /// bytes in place, as the other fast paths do, without allocating.
    @inline(__always)
    static func holdsNUL(_ text: String) -> Bool {
        text.utf8Contains(anyOf: (0, 0)) ?? text.utf8.contains(0)
    }

    /// Whether a `json` value holds U+0000 in any string or member name. Its canonical text
    /// escapes it (`\u0000`), which PostgreSQL's `text` takes but its `jsonb` refuses, so the
    /// value is quarantined like a text that holds it.
    static func holdsNUL(_ value: JSONValue) -> Bool {
        switch value {
        case .string(let s): return holdsNUL(s)
        case .array(let items): return items.contains { holdsNUL($0) }
        case .object(let o): return o.members.contains { holdsNUL($0.key) || holdsNUL($0.value) }
        case .null, .bool, .number: return false
        }
    }

    /// The reject reason for a value that holds U+0000; the value is shown with its control
    /// characters escaped (the record itself is kept as sent).
    static func nulReason(field: String, from: String, _ value: String) -> RejectReason {
        RejectReason(field: field, rule: "control-char", value: Redactor.escapingControls(value),
                     message: "\(from): holds the character U+0000 (NUL), which a PostgreSQL warehouse cannot store; the gateway must correct the record")
    }

    /// Whether the text starts or ends with whitespace (the common case, none, skips trimming).
    static func hasOuterSpace(_ text: String) -> Bool { text.hasOuterWhitespace }

    /// `json` fields store canonical JSON text: objects and arrays as they come, and a string that
    /// holds JSON decoded first (gateways often double-encode).
    private func convertJSON(_ raw: JSONValue?, plan: FieldPlan) -> Result<CellValue, RejectReason> {
        let field = plan.field
        guard let raw, !raw.isNull else {
            return .success(field.defaultValue.map(CellValue.text) ?? .null)
        }
        if case .string(let s) = raw {
            let trimmed = s.trimmingWhitespace
            if plan.isNullText(trimmed) { return .success(field.defaultValue.map(CellValue.text) ?? .null) }
            guard let parsed = try? JSONParser.parse(Array(trimmed.utf8)) else {
                return .failure(reject(field, "type:json", String(s.prefix(200)), "not valid JSON"))
            }
            let text = parsed.serialized()
            if RecordMapper.holdsNUL(parsed) { return .failure(RecordMapper.nulReason(field: field.column, from: field.from, text)) }
            return .success(.text(text))
        }
        let text = raw.serialized()
        if RecordMapper.holdsNUL(raw) { return .failure(RecordMapper.nulReason(field: field.column, from: field.from, text)) }
        return .success(.text(text))
    }

    private func reject(_ field: FieldConfig, _ rule: String, _ value: String, _ message: String) -> RejectReason {
        RejectReason(field: field.column, rule: rule, value: value, message: "\(field.from): \(message)")
    }
}

extension JSONValue {
    var kindName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .number: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
