/// Everything the drafter decided about one source field, each decision with its evidence.
public struct FieldDraft: Sendable {
    public var source: String
    public var column: Inference<String>
    public var type: Inference<FieldType>
    public var format: DatePattern?
    public var checks: [Inference<FieldCheck>] = []
    public var legacyUpgrade = false
    public var codes: Inference<String>?
    public var transforms: [Inference<Transform>] = []
    public var pii: Inference<Bool>?
    public var piiKind: PIIKind?
    public var required = false

    /// Drafts one field from its profile.
    ///
    /// ```swift
    /// let f = FieldDraft.infer(profile, glossary: glossary, checks: CheckInferrer(codes: codes))
    /// f.column.value   // "uscc"
    /// ```
    public static func infer(_ p: ColumnProfile, glossary: Glossary, checks: CheckInferrer) -> (FieldDraft, TypeInferrer.Decision, CheckInferrer.Decision) {
        var typeDecision = TypeInferrer.infer(p)
        var checkDecision = checks.infer(p, term: glossary.term(for: p.name), type: typeDecision.type.value)
        if checkDecision.pii?.value == true {
            // Personal data: infer again with every quoted value masked as the field will be
            // masked (the decisions are the same; only the evidence changes).
            var masked = p
            masked.maskedAs = checkDecision.piiKind ?? FieldParser.piiKind(impliedBy: checkDecision.checks.map(\.value)) ?? .generic
            typeDecision = TypeInferrer.infer(masked)
            checkDecision = checks.infer(masked, term: glossary.term(for: p.name), type: typeDecision.type.value)
        }
        if checkDecision.forcesText, typeDecision.type.value != .text {
            typeDecision = TypeInferrer.Decision(type: Inference(.text, "a code (see its check), kept as text"))
        }
        var draft = FieldDraft(source: p.name, column: glossary.columnName(for: p.name), type: typeDecision.type, format: typeDecision.format)
        draft.checks = checkDecision.checks
        draft.legacyUpgrade = checkDecision.legacyUpgrade
        draft.codes = checkDecision.codes
        draft.pii = checkDecision.pii
        draft.piiKind = checkDecision.piiKind
        if p.outerSpace > 0, draft.type.value == .text {
            draft.transforms.append(Inference(.trim, "\(Count.ratio(p.outerSpace, p.nonEmpty)) values have leading or trailing spaces"))
        }
        if draft.checks.contains(where: { $0.value == .named(.citizenID) || $0.value == .named(.uscc) }),
           p.values.contains(where: { $0.contains(where: \.isLowercase) }) {
            draft.transforms.append(Inference(.upper, "some values are written in lower case"))
        }
        return (draft, typeDecision, checkDecision)
    }
}
