/// Deterministic service cases: record `id` is a pure function of `(seed, id)` and its stamp.
///
/// Exactly 1 % of base cases are invalid, each for one reason: `id % 300 == 117` has an empty
/// `CASE_ID`, `== 17` a wrong citizen-ID check digit, `== 217` an unparseable `SLSJ`.
/// Inserted cases (`id >= baseCount`) are always valid and use known matters.
struct CaseGenerator: RecordGenerator {
    let baseCount: Int
    let supportsDeletion = false
    private let hash: SeededHash
    private let caseNumberOffset: UInt64

    private static let caseNumberSpace: UInt64 = 1_000_000_000_000
    /// ≈ 0.618 · 10¹², odd and not a multiple of 5, so `id ↦ id·m + offset (mod 10¹²)` is a
    /// bijection that scatters neighbouring ids.
    private static let caseNumberMultiplier: UInt64 = 618_033_988_749
    private static let divisions: [[UInt8]] = ["330782", "330782", "330782", "330782", "330782", "330702", "330783", "330781"]
        .map { Array($0.utf8) }
    private static let birthEarliest = CivilTime.days(year: 1950, month: 1, day: 1)
    private static let birthSpan = Int(CivilTime.days(year: 2005, month: 12, day: 31) - birthEarliest + 1)
    private static let checkAlphabet: [UInt8] = Array("10X98765432".utf8)

    /// The invalidity reason of base case `index`, if any.
    enum Defect: Sendable, Equatable {
        case emptyCaseID
        case badCitizenIDCheck
        case unparseableAcceptedAt

        init?(index: Int) {
            switch index % 300 {
            case 117: self = .emptyCaseID
            case 17: self = .badCitizenIDCheck
            case 217: self = .unparseableAcceptedAt
            default: return nil
            }
        }
    }

    private enum Stream: UInt64 {
        case caseNumberOffset = 200, matter, applicantName, applicantID, accepted, status, finished
    }

    init(seed: UInt64, baseCount: Int) {
        self.baseCount = baseCount
        hash = SeededHash(seed: seed)
        caseNumberOffset = hash.value(stream: Stream.caseNumberOffset.rawValue, index: 0) % Self.caseNumberSpace
    }

    private func defect(_ id: Int32) -> Defect? {
        Int(id) < baseCount ? Defect(index: Int(id)) : nil
    }

    /// The 12-digit case number of record `id`, unique per id.
    private func caseNumber(id: Int32) -> UInt64 {
        SeededHash.affine(UInt64(UInt32(bitPattern: id)), multiplier: Self.caseNumberMultiplier, offset: caseNumberOffset, modulus: Self.caseNumberSpace)
    }

    /// `YW` + fixed-width digits order as their number; the empty key sorts first.
    func sortKey(id: Int32) -> UInt64 {
        defect(id) == .emptyCaseID ? 0 : caseNumber(id: id) + 1
    }

    func key(id: Int32) -> String {
        caseID(id: id).string
    }

    /// `CASE_ID` of record `id`, inline; empty for the deliberately keyless cases.
    func caseID(id: Int32) -> InlineText {
        if defect(id) == .emptyCaseID { return InlineText() }
        var number = caseNumber(id: id)
        return InlineText(count: 14) { text in
            text[0] = UInt8(ascii: "Y")
            text[1] = UInt8(ascii: "W")
            for position in (2..<14).reversed() {
                text[position] = UInt8(truncatingIfNeeded: 48 + number % 10)
                number /= 10
            }
        }
    }

    func record(id: Int32, updateTime: Int64) -> CaseRecord {
        let index = UInt64(UInt32(bitPattern: id))
        let defect = defect(id)
        let matterCode: String
        if Int(id) < baseCount, MatterCatalog.hasUnknownMatter(index: Int(id)) {
            matterCode = MatterCatalog.unknownCaseMatter
        } else {
            let bits = hash.value(stream: Stream.matter.rawValue, index: index)
            let matter = MatterCatalog.caseMatters[Int(bits % UInt64(MatterCatalog.caseMatters.count))]
            matterCode = (bits >> 32) & 1 == 0 ? matter.nationalCode : matter.alias
        }
        // Accepted between one hour and 30 days before the update; finished in between.
        let lag = 3_600 + Int64(hash.below(30 * 86_400, stream: Stream.accepted.rawValue, index: index))
        let acceptedAt = updateTime - lag
        let isFinished = hash.below(10, stream: Stream.status.rawValue, index: index) < 7
        let finishedAt = acceptedAt + Int64(hash.below(Int(lag) + 1, stream: Stream.finished.rawValue, index: index))
        return CaseRecord(
            caseID: caseID(id: id),
            matterCode: matterCode,
            applicantName: ChineseNameTables.personName(hash.value(stream: Stream.applicantName.rawValue, index: index)),
            applicantID: citizenID(index: index, validCheck: defect != .badCitizenIDCheck),
            acceptedAt: defect == .unparseableAcceptedAt ? nil : acceptedAt,
            finishedOn: isFinished ? CivilTime.dateNumber(finishedAt) : nil,
            status: isFinished ? .finished : .inProgress,
            updateTime: updateTime
        )
    }

    /// Each update flips the status: an open case is finished on the update's date, a finished
    /// one is reopened. Cases have no deletion flag.
    func record(id: Int32, change: RecordChange) -> CaseRecord {
        var changed = record(id: id, updateTime: change.originTime)
        changed.updateTime = change.updateTime
        guard change.updateCount > 0 else { return changed }
        let flipped = change.updateCount % 2 == 1
        let finished = (changed.status == .finished) != flipped
        changed.status = finished ? .finished : .inProgress
        changed.finishedOn = finished ? CivilTime.dateNumber(change.updateTime) : nil
        return changed
    }

    /// Division + birth date + sequence + GB 11643 check (deliberately wrong when `validCheck` is false).
    private func citizenID(index: UInt64, validCheck: Bool) -> InlineText {
        let bits = hash.value(stream: Stream.applicantID.rawValue, index: index)
        let division = Self.divisions[Int(bits % UInt64(Self.divisions.count))]
        let birth = CivilTime.dateNumber(days: Self.birthEarliest + Int64((bits >> 8) % UInt64(Self.birthSpan)))
        let sequence = 1 + Int((bits >> 32) % 999)
        return InlineText(count: 18) { text in
            for position in 0..<6 { text[position] = division[position] }
            var birthDigits = Int(birth)
            for position in (6..<14).reversed() {
                text[position] = UInt8(truncatingIfNeeded: 48 + birthDigits % 10)
                birthDigits /= 10
            }
            text[14] = UInt8(truncatingIfNeeded: 48 + sequence / 100)
            text[15] = UInt8(truncatingIfNeeded: 48 + sequence / 10 % 10)
            text[16] = UInt8(truncatingIfNeeded: 48 + sequence % 10)
            let check = CheckDigits.citizenIDCheckCharacter(UnsafeBufferPointer(rebasing: UnsafeBufferPointer(text)[0..<17])) ?? UInt8(ascii: "0")
            if validCheck {
                text[17] = check
            } else {
                let position = Self.checkAlphabet.firstIndex(of: check) ?? 0
                text[17] = Self.checkAlphabet[(position + 1) % Self.checkAlphabet.count]
            }
        }
    }
}
