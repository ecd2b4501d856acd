/// Looks for the smallest combination of two or three fields whose values are unique together
/// across a sample, for the datasets no single field identifies: statistics per (division code,
/// year), licences per (enterprise, licence type).
///
/// ```swift
/// let found = CompositeKeySearch(candidates: inferrer.keyCandidates(profiles, types: types, checks: checks)).run()
/// found.key?.value      // ["XZQHDM", "TJND"]
/// found.key?.evidence   // "XZQHDM + TJND: unique together in 1,500 records (no single field is unique); …"
/// found.hint            // nil (set, naming the closest combination, when none is unique)
/// ```
struct CompositeKeySearch {
    /// At most this many candidates, the best-ranked, are combined. 12 fields make 66 pairs and 220
    /// triples: at most 286 passes over the sample, about 600,000 hash inserts for 2,000 records,
    /// well under a second. All fields of a 200-column sample would make 19,900 pairs and 1.3
    /// million triples, billions of inserts. Key fields rank high (a credit code, an identifier by
    /// name), so the cut drops plain text and numbers first, and the evidence says when it cut.
    static let maxFields = 12
    /// Combinations of up to this many fields: a key of four is rare in county datasets, and one
    /// found by chance in a sample is more likely a coincidence of measured values than a key.
    static let maxSize = 3
    /// Fewer records than this cannot prove a key (as for a single field).
    static let minRecords = 20

    /// What the search found.
    struct Outcome {
        /// The key, when a combination is unique together.
        var key: Inference<[String]>?
        /// No combination is unique: the one that came closest, for the CHECK line.
        var hint: String?
        /// Combinations whose values were counted (bounded by `maxFields`).
        var combinationsTried = 0
    }

    /// One combination counted over the sample.
    struct Tally {
        /// Indexes into the searched fields, ascending (field order).
        var members: [Int]
        /// Records where every member has a value.
        var present = 0
        /// Of those, records whose values together repeat an earlier record's.
        var duplicates = 0
    }

    /// The fields that may take part (`RoleInferrer.keyCandidates`), in field order; none is
    /// unique on its own.
    let candidates: [RoleInferrer.KeyCandidate]

    func run() -> Outcome {
        var outcome = Outcome()
        guard candidates.count >= 2, let records = candidates.first?.profile.records else { return outcome }
        // The best-ranked candidates (score, then field order), kept in field order.
        let searched = candidates.indices
            .sorted { candidates[$0].score != candidates[$1].score ? candidates[$0].score > candidates[$1].score : $0 < $1 }
            .prefix(Self.maxFields).sorted().map { candidates[$0] }
        let codes = searched.map(Self.codes)
        let cut = candidates.count > searched.count
            ? "only the \(searched.count) best-ranked of \(candidates.count) candidate fields were combined" : nil
        var tried: [Tally] = []
        for size in 2...min(Self.maxSize, searched.count) {
            let tallies = Self.combinations(of: searched.count, size: size).map { Self.tally($0, codes: codes) }
            outcome.combinationsTried += tallies.count
            tried += tallies
            let unique = tallies.filter { $0.duplicates == 0 && $0.present > 0 }.sorted { ranksBefore($0, $1, searched) }
            guard let best = unique.first else { continue }
            outcome.key = key(best, others: unique.dropFirst().map(\.members), searched: searched, records: records, cut: cut)
            return outcome
        }
        // Fewest repeats; among equals the smaller combination, then the usual rank.
        let closest = tried.min {
            $0.duplicates != $1.duplicates ? $0.duplicates < $1.duplicates
                : $0.members.count != $1.members.count ? $0.members.count < $1.members.count : ranksBefore($0, $1, searched)
        }
        if let closest {
            outcome.hint = "no combination of up to \(Self.maxSize) fields is unique either; closest: \(Self.names(closest.members, searched)), "
                + "where \(Count.ratio(closest.duplicates, closest.present)) records repeat another's values"
                + (cut.map { " (\($0))" } ?? "")
        }
        return outcome
    }

    /// The key from the best unique combination, with its evidence and confidence.
    private func key(_ best: Tally, others: [[Int]], searched: [RoleInferrer.KeyCandidate], records: Int, cut: String?) -> Inference<[String]> {
        let fields = best.members.map { searched[$0].profile }
        var text = "\(Self.names(best.members, searched)): unique together in \(Count.text(best.present)) records (no single field is unique); "
        text += fields.map { "\($0.name) alone repeats \(Count.text($0.values.count - $0.distinct.count)) times" }.joined(separator: ", ")
        if best.present < records { text += "; a part is empty in \(Count.text(records - best.present)) records, which will be quarantined" }
        var certain = true
        if !others.isEmpty {
            let listed = others.prefix(3).map { Self.names($0, searched) }.joined(separator: ", ")
            text += "; \(listed)\(others.count > 3 ? " and \(Count.text(others.count - 3)) more" : "") would also do"
            certain = false
        }
        if records < Self.minRecords {
            text += "; only \(Count.text(records)) records, too few to prove a key"
            certain = false
        }
        if let cut {
            // Combinations of the fields left out were never counted: one of them may do as well.
            text += "; \(cut)"
            certain = false
        }
        return Inference(fields.map(\.name), text, certain ? .certain : .uncertain)
    }

    /// Among unique (or equally close) combinations: the higher total score, as a single key is
    /// ranked; then the fewer distinct values in its fields together, since a dimension (a year,
    /// a licence type) makes a combination unique by design while a measured value that happens
    /// to vary makes it unique by chance; then field order.
    private func ranksBefore(_ a: Tally, _ b: Tally, _ searched: [RoleInferrer.KeyCandidate]) -> Bool {
        let scoreA = a.members.reduce(0) { $0 + searched[$1].score }, scoreB = b.members.reduce(0) { $0 + searched[$1].score }
        if scoreA != scoreB { return scoreA > scoreB }
        let spreadA = a.members.reduce(1.0) { $0 * Double(searched[$1].profile.distinct.count) }
        let spreadB = b.members.reduce(1.0) { $0 * Double(searched[$1].profile.distinct.count) }
        if spreadA != spreadB { return spreadA < spreadB }
        return a.members.lexicographicallyPrecedes(b.members)
    }

    /// `XZQHDM + TJND`.
    private static func names(_ members: [Int], _ searched: [RoleInferrer.KeyCandidate]) -> String {
        members.map { searched[$0].profile.name }.joined(separator: " + ")
    }

    /// A field's values record by record as small numbers (-1: no value), so that a combination
    /// hashes as one vector instead of an array of strings.
    private static func codes(_ candidate: RoleInferrer.KeyCandidate) -> [Int32] {
        var ids: [String: Int32] = [:]
        return candidate.profile.byRecord.map { value in
            guard let value else { return -1 }
            if let id = ids[value] { return id }
            let id = Int32(ids.count)
            ids[value] = id
            return id
        }
    }

    /// Counts how many records repeat an earlier record's values in `members` (at most 3, lanes
    /// left at 0).
    private static func tally(_ members: [Int], codes: [[Int32]]) -> Tally {
        var tally = Tally(members: members)
        var seen = Set<SIMD4<Int32>>()
        seen.reserveCapacity(codes[members[0]].count)
        for record in codes[members[0]].indices {
            var combined = SIMD4<Int32>(repeating: 0)
            var complete = true
            for (lane, member) in members.enumerated() {
                let code = codes[member][record]
                if code < 0 { complete = false; break }
                combined[lane] = code
            }
            guard complete else { continue }
            tally.present += 1
            if !seen.insert(combined).inserted { tally.duplicates += 1 }
        }
        return tally
    }

    /// Every ascending choice of `size` indexes out of `0..<count`, in lexicographic order.
    static func combinations(of count: Int, size: Int) -> [[Int]] {
        guard size > 0, size <= count else { return [] }
        var out: [[Int]] = []
        var current = Array(0..<size)
        while true {
            out.append(current)
            // The rightmost index that can still move right.
            var i = size - 1
            while i >= 0 && current[i] == count - size + i { i -= 1 }
            if i < 0 { return out }
            current[i] += 1
            for j in (i + 1)..<size { current[j] = current[j - 1] + 1 }
        }
    }
}
