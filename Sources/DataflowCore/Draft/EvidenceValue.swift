/// How the drafter quotes a sample value in an evidence comment. The dataset file it writes is
/// configuration, often committed, and its summary goes to the terminal, so a personal value is
/// masked the way every other view masks it (`PIIMask`): by the field's kind when the drafter
/// knows the field is personal, else by the kind the value looks like — a citizen ID, a phone
/// number, an e-mail address or a person's name (the drafter's own name heuristic).
///
/// ```swift
/// EvidenceValue.shown("057985123456", kind: nil)        // "0579******56" (looks like a landline)
/// EvidenceValue.shown("330782199001014239", kind: nil)  // "330782***********9"
/// EvidenceValue.shown("2026-13-45", kind: nil)          // "2026-13-45" (nothing personal)
/// EvidenceValue.shown("A-17", kind: .generic)           // "A***"
/// ```
enum EvidenceValue {
    /// `value` as an evidence comment may show it.
    static func shown(_ value: String, kind: PIIKind?) -> String {
        guard let kind = kind ?? lookalike(value) else { return value }
        return PIIMask.mask(value, as: kind)
    }

    /// The kind of personal data `value` has the shape of, if any.
    static func lookalike(_ value: String) -> PIIKind? {
        if PIIMask.citizenID(value) != nil { return .citizenID }
        if PhoneNumberCheck.validate(value) == nil { return .phone }
        if value.contains("@") { return .email }
        if looksLikePersonName(value) { return .name }
        return nil
    }

    /// 2–4 Chinese characters (a middle dot allowed): how the drafter recognises a person's name.
    static func looksLikePersonName(_ value: String) -> Bool {
        (2...4).contains(value.count) && value.unicodeScalars.allSatisfy { $0.properties.isIdeographic || $0 == "·" }
    }
}
