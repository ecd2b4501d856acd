/// Proposes a field's checks, code table and personal-data flag from its profile, by running the
/// project's own checks (`CreditCodeCheck`, `CitizenIDCheck`, `DivisionCodeCheck`,
/// `PhoneNumberCheck`, `SexCodeCheck`) over the sample: a check is proposed when at least 95 % of
/// the non-empty values pass it, and the values that fail are the ones a sync will quarantine.
///
/// ```swift
/// let d = CheckInferrer(codes: project.dictionaries.codes).infer(profile, term: glossary.term(for: profile.name))
/// d.checks.first?.value    // .named(.citizenID)
/// d.checks.first?.evidence // "1,900/2,000 valid GB 11643 check characters; 100 fail …"
/// ```
public struct CheckInferrer: Sendable {
    /// What the checks found for one field.
    public struct Decision: Sendable {
        public var checks: [Inference<FieldCheck>] = []
        /// 15-digit legacy IDs were seen and upgrade cleanly.
        public var legacyUpgrade = false
        public var codes: Inference<String>?
        public var pii: Inference<Bool>?
        /// How a sync should mask it (nil: by its check, or generic).
        public var piiKind: PIIKind?
        /// The check proves the type is text (a code), whatever the digits suggest.
        public var forcesText = false
    }

    public let codes: CodeTables

    public init(codes: CodeTables) { self.codes = codes }

    /// Names that say a field holds a sex code.
    static let sexNames: Set<String> = ["XB", "SEX", "GENDER", "性别", "XBDM"]
    /// Name fragments of personal data when the glossary does not know the field.
    static let personalNameFragments = ["XM", "NAME", "姓名", "DZ", "ADDR", "地址", "住址", "DH", "PHONE", "MOBILE", "电话", "手机"]

    public func infer(_ p: ColumnProfile, term: Glossary.Term?, type: FieldType) -> Decision {
        var d = Decision()
        let values = p.values
        let n = values.count
        guard n > 0, p.structured == 0 else { return d }
        let textual = type == .text || type == .int

        if textual, let (ok, failing) = passing(values, CreditCodeCheck.validate), Self.meets(ok, n) {
            d.checks.append(Inference(.named(.uscc), evidence(ok, n, "valid GB 32100 check characters", failing, p)))
            d.forcesText = true
        } else if textual, let result = citizenIDs(values), Self.meets(result.ok, n) {
            var text = evidence(result.ok, n, "valid GB 11643 check characters", result.failing, p, as: .citizenID)
            if result.legacy > 0 { text += "; \(Count.text(result.legacy)) are 15-digit legacy numbers, upgraded" }
            d.checks.append(Inference(.named(.citizenID), text))
            d.legacyUpgrade = result.legacy > 0
            d.forcesText = true
            d.pii = Inference(true, "citizen ID numbers")
        } else if textual, let (ok, failing) = passing(values, { DivisionCodeCheck.validate($0, table: codes.divisions) }), Self.meets(ok, n) {
            let snapshot = codes.divisions?.file ?? "the province list (no GB/T 2260 snapshot in Mappings/codes)"
            d.checks.append(Inference(.named(.division), evidence(ok, n, "in the GB/T 2260 snapshot \(snapshot)", failing, p)))
            d.forcesText = true
        } else if textual, let (ok, failing) = passing(values, PhoneNumberCheck.validate), Self.meets(ok, n) {
            d.checks.append(Inference(.named(.phone), evidence(ok, n, "mainland phone numbers", failing, p, as: .phone)))
            d.forcesText = true
            d.pii = Inference(true, "phone numbers")
        } else if textual, Self.sexNames.contains(p.name.uppercased()) || term?.column == "sex",
                  let (ok, failing) = passing(values, SexCodeCheck.validate), Self.meets(ok, n) {
            d.checks.append(Inference(.named(.sex), evidence(ok, n, "GB/T 2261.1 sex codes", failing, p)))
            d.forcesText = true
        } else if let table = codeTable(for: p, term: term) {
            d.codes = table
            d.forcesText = true
        }

        // IDs and phone numbers too often wrong for `check:` are personal all the same.
        if d.pii == nil, let (shaped, kind) = personalShapes(p) {
            d.pii = shaped
            d.piiKind = kind
            if textual { d.forcesText = true }
        }
        if d.pii == nil, let term, term.pii {
            d.pii = Inference(true, "personal data by name (glossary: \(p.name))")
            d.piiKind = term.kind
        } else if d.pii == nil, let names = personNames(p) {
            d.pii = names
            d.piiKind = .name
        } else if d.pii == nil, term == nil, Self.personalNameFragments.contains(where: { p.name.uppercased().contains($0) }) {
            d.pii = Inference(true, "the name \(p.name) suggests personal data", .uncertain)
        }
        // A closed list only for what is not personal: its evidence quotes the values.
        if d.checks.isEmpty, d.codes == nil, d.pii == nil, type == .text, let e = enumeration(p) {
            d.checks.append(e)
        }
        return d
    }

    static func meets(_ ok: Int, _ n: Int) -> Bool { n > 0 && Double(ok) >= TypeInferrer.threshold * Double(n) }

    /// How many values pass `validate` (nil = valid) and which fail.
    private func passing(_ values: [String], _ validate: (String) -> String?) -> (Int, [String])? {
        var ok = 0
        var failing: [String] = []
        for v in values {
            if validate(v) == nil { ok += 1 } else { failing.append(v) }
            // Give up early on a column that is clearly something else.
            if failing.count > 20, Double(failing.count) > 0.1 * Double(values.count) { return nil }
        }
        return (ok, failing)
    }

    private func citizenIDs(_ values: [String]) -> (ok: Int, legacy: Int, failing: [String])? {
        var ok = 0, legacy = 0
        var failing: [String] = []
        for v in values {
            let upper = v.uppercased()
            if CitizenIDCheck.validate(upper, divisions: codes.divisions) == nil { ok += 1 }
            else if upper.utf8.count == 15, let up = CitizenIDCheck.upgrade(upper), CitizenIDCheck.validate(up, divisions: codes.divisions) == nil { ok += 1; legacy += 1 }
            else { failing.append(v) }
            if failing.count > 20, Double(failing.count) > 0.1 * Double(values.count) { return nil }
        }
        return (ok, legacy, failing)
    }

    /// "ok/n what", and the failing values (masked as `kind`, or as the profile masks them).
    private func evidence(_ ok: Int, _ n: Int, _ what: String, _ failing: [String], _ p: ColumnProfile, as kind: PIIKind? = nil) -> String {
        var text = "\(Count.ratio(ok, n)) \(what)"
        if !failing.isEmpty { text += "; \(Count.text(failing.count)) fail (\(p.examples(failing, as: kind))) and will be quarantined" }
        return text
    }

    /// A code table of the project (`Mappings/codes/`) that holds every value; numeric-looking
    /// values need the table to be named for the field, since 0/1/2 fit many tables.
    private func codeTable(for p: ColumnProfile, term: Glossary.Term?) -> Inference<String>? {
        let keys = Set(p.distinct.keys)
        let numeric = keys.allSatisfy(TypeInferrer.isWholeNumber)
        for name in codes.names where name != CodeTables.divisionTableName {
            guard let table = codes[name], !table.entries.isEmpty else { continue }
            guard keys.allSatisfy({ table.lookup($0) != nil }) else { continue }
            if numeric && term?.column != name && p.name.lowercased() != name { continue }
            return Inference(name, "all \(Count.text(p.values.count)) values (\(Count.text(keys.count)) distinct) are in code table \(name) (\(table.file))")
        }
        return nil
    }

    /// A closed list of a few values, when the sample shows each several times.
    private func enumeration(_ p: ColumnProfile) -> Inference<FieldCheck>? {
        let n = p.values.count
        let distinct = p.frequent
        guard n >= 20, (2...6).contains(distinct.count), distinct.allSatisfy({ $0.count >= 3 }),
              !distinct.allSatisfy({ TypeInferrer.isWholeNumber($0.value) }) else { return nil }
        let list = distinct.map { "\($0.value) \(Count.text($0.count))" }.joined(separator: ", ")
        return Inference(.oneOf(distinct.map(\.value).sorted()),
                         "only \(distinct.count) values in \(Count.text(n)) (\(list)); a sample cannot prove the list is complete", .uncertain)
    }

    /// Citizen IDs, phone numbers or e-mail addresses by their shape (`PIIText.kind(of:)`, check
    /// characters not asked), in at least a third of the values and at least 3: a column whose IDs
    /// fail the check too often to be given `check: citizen-id`, or that mixes IDs and phones, is
    /// personal all the same (it was drafted without `pii` and synced and exported in clear).
    private func personalShapes(_ p: ColumnProfile) -> (Inference<Bool>, PIIKind)? {
        var counts: [PIIKind: Int] = [:]
        for v in p.values { if let kind = PIIText.kind(of: v.trimmingWhitespace) { counts[kind, default: 0] += 1 } }
        let shaped = counts.values.reduce(0, +)
        guard shaped >= 3, 3 * shaped >= p.values.count, let most = counts.max(by: { $0.value < $1.value }) else { return nil }
        let kinds = counts.keys.map(\.rawValue).sorted().joined(separator: ", ")
        return (Inference(true, "\(Count.ratio(shaped, p.values.count)) values have the shape of personal data (\(kinds)), though not all pass a check", .uncertain), most.key)
    }

    /// Person names by content: mostly 2–4 Chinese characters, mostly distinct.
    private func personNames(_ p: ColumnProfile) -> Inference<Bool>? {
        let n = p.values.count
        guard n >= 10 else { return nil }
        let names = p.values.filter(EvidenceValue.looksLikePersonName)
        guard Double(names.count) >= 0.9 * Double(n), Double(p.distinct.count) >= 0.3 * Double(n) else { return nil }
        return Inference(true, "\(Count.ratio(names.count, n)) values look like person names (2–4 Chinese characters)", .uncertain)
    }
}
