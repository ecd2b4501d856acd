/// Infers the dataset-level roles of source fields: the key, the cursor, the deleted flag and
/// the matter field.
///
/// ```swift
/// let roles = RoleInferrer(dictionaries: project.dictionaries).infer(profiles, types: types, checks: checks)
/// roles.key?.value     // ["TYSHXYDM"], or ["XZQHDM", "TJND"] when only the two are unique together
/// roles.cursor?.value  // "UPDATE_TIME"
/// ```
public struct RoleInferrer: Sendable {
    /// The roles found.
    public struct Decision: Sendable {
        public var key: Inference<[String]>?
        public var cursor: Inference<String>?
        /// The cursor is non-decreasing in response order over the whole sample.
        public var cursorSorted = false
        public var deleted: Inference<DeletedRule>?
        public var matter: Inference<String>?
        /// No key found: the combination of fields that came closest to unique, for the CHECK line.
        public var keyHint: String?
    }

    /// Well-known change-time names, upper-cased.
    static let cursorNames: [String] = ["UPDATE_TIME", "UPDATETIME", "GXSJ", "更新时间", "UPDATED_AT", "MODIFY_TIME", "LAST_MODIFIED",
                                        "LASTMODIFIED", "LAST_UPDATE_TIME", "XGSJ", "修改时间", "SJC", "TIMESTAMP"]
    /// Well-known deleted-flag names, upper-cased.
    static let deletedNames: Set<String> = ["DEL_FLAG", "DELFLAG", "SCBZ", "删除标志", "IS_DELETED", "DELETED", "IS_DEL", "SFSC", "是否删除"]
    /// Well-known matter-code names, upper-cased.
    static let matterNames: Set<String> = ["SXBM", "事项编码", "MATTER_CODE", "SSSXBM", "JBBM", "SSBM"]
    /// Name fragments of case numbers and identifiers, for ranking key candidates.
    static let identifierFragments = ["ID", "BH", "BM", "NO", "CODE", "编号", "号码", "编码", "代码"]

    public let dictionaries: Dictionaries

    public init(dictionaries: Dictionaries) { self.dictionaries = dictionaries }

    public func infer(_ profiles: [ColumnProfile], types: [String: TypeInferrer.Decision], checks: [String: CheckInferrer.Decision]) -> Decision {
        var d = Decision()
        d.deleted = deleted(profiles)
        d.matter = matter(profiles)
        let roleFields = Set([d.deleted?.value.field, d.matter?.value].compactMap { $0 })
        (d.cursor, d.cursorSorted) = cursor(profiles, types: types)
        (d.key, d.keyHint) = key(profiles.filter { !roleFields.contains($0.name) }, cursor: d.cursor?.value, types: types, checks: checks)
        return d
    }

    private func deleted(_ profiles: [ColumnProfile]) -> Inference<DeletedRule>? {
        for p in profiles where Self.deletedNames.contains(p.name.uppercased()) {
            let values = Set(p.distinct.keys.map { $0.uppercased() })
            let counts = p.frequent.map { "\($0.value): \(Count.text($0.count))" }.joined(separator: ", ")
            if values.isSubset(of: ["0", "1"]) {
                let seen = values.contains("1")
                return Inference(DeletedRule(field: p.name, equals: ["1"]),
                                 "\(p.name) holds only 0/1 (\(counts))" + (seen ? "" : "; none is 1 in the sample, 1 is the convention for deleted"),
                                 .certain)
            }
            for (yesWord, noWord) in [("Y", "N"), ("TRUE", "FALSE"), ("是", "否")] where values.isSubset(of: [yesWord, noWord]) {
                // The "yes" of the family the sample holds, spelled as the sample spells it: a
                // sample of only `false` means `true`, not another family's word (it said 是).
                let seen = p.distinct.keys.first { $0.uppercased() == yesWord }
                let no = p.distinct.keys.first { $0.uppercased() == noWord } ?? yesWord
                let yes = seen ?? Self.spelled(yesWord, like: no)
                return Inference(DeletedRule(field: p.name, equals: [yes]),
                                 "\(p.name) holds only \(counts)" + (seen == nil ? "; none is \(yes) in the sample" : ""), .uncertain)
            }
        }
        return nil
    }

    /// `word` (upper case) in the case `sample` is written in: `false` gives `true`, `False` `True`.
    static func spelled(_ word: String, like sample: String) -> String {
        if sample == sample.lowercased() { return word.lowercased() }
        if sample.first?.isUppercase == true, sample.dropFirst() == sample.dropFirst().lowercased() { return word.prefix(1) + word.dropFirst().lowercased() }
        return word
    }

    private func matter(_ profiles: [ColumnProfile]) -> Inference<String>? {
        var best: (ColumnProfile, Int)?
        for p in profiles where p.values.count > 0 {
            let resolved = p.values.reduce(0) { $0 + (dictionaries.resolve($1) == nil ? 0 : 1) }
            if resolved > (best?.1 ?? 0) { best = (p, resolved) }
        }
        if let (p, resolved) = best, Double(resolved) >= 0.5 * Double(p.values.count) {
            let unresolved = p.values.filter { dictionaries.resolve($0) == nil }
            var text = "\(Count.ratio(resolved, p.values.count)) values resolve in dictionaries/matters.yml (codes and aliases)"
            if !unresolved.isEmpty { text += "; \(Count.text(unresolved.count)) do not (\(p.examples(Array(Set(unresolved)).sorted()))) and are counted as unresolved" }
            return Inference(p.name, text)
        }
        if let p = profiles.first(where: { Self.matterNames.contains($0.name.uppercased()) }) {
            return Inference(p.name, "named like a matter code, but no value resolves in dictionaries/matters.yml: add the matters (or aliases) to the dictionary", .uncertain)
        }
        return nil
    }

    private func cursor(_ profiles: [ColumnProfile], types: [String: TypeInferrer.Decision]) -> (Inference<String>?, Bool) {
        let datetimes = profiles.filter { types[$0.name]?.type.value == .datetime && types[$0.name]?.format != nil }
        func isSorted(_ p: ColumnProfile) -> Bool {
            guard let format = types[p.name]?.format, p.empty == 0 else { return false }
            var previous = Int.min
            for v in p.values {
                guard let t = format.parse(v) else { return false }
                let ms = t.secondsAsUTC * 1000 + t.millisecond
                if ms < previous { return false }
                previous = ms
            }
            return true
        }
        for name in Self.cursorNames {
            if let p = datetimes.first(where: { $0.name.uppercased() == name }) {
                let sorted = isSorted(p)
                return (Inference(p.name, "a well-known change-time name" + (sorted ? ", non-decreasing over \(Count.text(p.values.count)) records in response order" : "")), sorted)
            }
        }
        for p in datetimes where isSorted(p) && p.distinct.count > 1 {
            return (Inference(p.name, "a datetime non-decreasing over \(Count.text(p.values.count)) records in response order", .uncertain), true)
        }
        return (nil, false)
    }

    /// A field that may take part in a key: scalar, text or int, not a flag, and (almost) always
    /// there; with its rank among key fields and the reason for it.
    struct KeyCandidate: Sendable {
        var profile: ColumnProfile
        var score: Int
        var why: String
        /// Unique among its non-empty values: a key on its own.
        var isUnique: Bool { profile.distinct.count == profile.values.count }
    }

    /// The fields of `profiles` that may take part in a key, in field order.
    func keyCandidates(_ profiles: [ColumnProfile], types: [String: TypeInferrer.Decision], checks: [String: CheckInferrer.Decision]) -> [KeyCandidate] {
        var candidates: [KeyCandidate] = []
        for p in profiles {
            let nonEmpty = p.values.count
            guard p.records >= 2, p.structured == 0, nonEmpty > 0 else { continue }
            guard Double(nonEmpty) >= 0.99 * Double(p.records) else { continue }          // (almost) always there
            let type = types[p.name]?.type.value ?? .text
            guard type == .text || type == .int else { continue }
            let lowered = Set(p.distinct.keys.map { $0.lowercased() })
            if lowered.isSubset(of: ["0", "1", "true", "false", "y", "n", "是", "否"]) { continue }   // a flag, never a key
            let check = checks[p.name]?.checks.first?.value
            let upper = p.name.uppercased()
            let (score, why): (Int, String)
            // A credit code identifies an enterprise record; a column named as an identifier (a case
            // number) beats a citizen ID, which in a case or licence dataset names the applicant.
            if check == .named(.uscc) { (score, why) = (100, "credit codes") }
            else if Self.identifierFragments.contains(where: { upper.contains($0) }), check == nil { (score, why) = (90, "an identifier by name") }
            else if check == .named(.citizenID) { (score, why) = (80, "citizen IDs") }
            else if type == .text { (score, why) = (50, "text") }
            else { (score, why) = (40, "numbers") }
            candidates.append(KeyCandidate(profile: p, score: score, why: why))
        }
        return candidates
    }

    /// The key and, when none is found, a lead for the CHECK line. A single unique field first;
    /// failing that, the smallest combination of fields unique together (`CompositeKeySearch`),
    /// never with the cursor in it: a change time says when, not which.
    private func key(_ profiles: [ColumnProfile], cursor: String?, types: [String: TypeInferrer.Decision], checks: [String: CheckInferrer.Decision]) -> (Inference<[String]>?, String?) {
        let candidates = keyCandidates(profiles, types: types, checks: checks)
        let unique = candidates.filter(\.isUnique)
        // The highest score; among equals, the field that comes first.
        guard let best = unique.enumerated().max(by: { $0.element.score != $1.element.score ? $0.element.score < $1.element.score : $0.offset > $1.offset })?.element else {
            let found = CompositeKeySearch(candidates: candidates.filter { $0.profile.name != cursor }).run()
            return (found.key, found.hint)
        }
        let p = best.profile
        var text = "\(p.name): unique in \(Count.text(p.values.count)) non-empty values (\(best.why))"
        if p.empty > 0 { text += "; empty in \(Count.text(p.empty)) records, which will be quarantined" }
        let others = unique.filter { $0.profile.name != p.name && $0.score == best.score }.map(\.profile.name)
        if !others.isEmpty { text += "; \(others.joined(separator: ", ")) would also do" }
        return (Inference([p.name], text, best.score >= 80 && p.records >= 20 ? .certain : .uncertain), nil)
    }
}
