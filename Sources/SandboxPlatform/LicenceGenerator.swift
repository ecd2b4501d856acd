/// Deterministic enterprise licences: record `id` is a pure function of `(seed, id)`.
///
/// Credit codes are `91330782` + a GB 11714 organisation code + the GB 32100 check character.
/// The organisation code's body is an affine bijection of `id` modulo 31⁸, so codes are unique.
struct LicenceGenerator: RecordGenerator {
    let baseCount: Int
    let supportsDeletion = true
    private let hash: SeededHash
    private let codeOffset: UInt64

    /// 31⁸ organisation-code bodies.
    private static let codeSpace: UInt64 = 852_891_037_441
    /// ≈ 0.618 · 31⁸ and not a multiple of 31, so `id ↦ id·m + offset (mod 31⁸)` is a bijection
    /// that scatters neighbouring ids across the code space.
    private static let codeMultiplier: UInt64 = 527_119_426_087
    private static let creditCodePrefix: [UInt8] = Array("91330782".utf8)
    static let divisionCode = "330782"
    private static let establishedEarliest = CivilTime.days(year: 1990, month: 1, day: 1)
    private static let establishedSpan = Int(CivilTime.days(year: 2025, month: 12, day: 31) - establishedEarliest + 1)

    private enum Stream: UInt64 {
        case codeOffset = 100, companyName, legalRepresentative, established, capital, matter
        case updatedName, updatedCapital
    }

    init(seed: UInt64, baseCount: Int) {
        self.baseCount = baseCount
        hash = SeededHash(seed: seed)
        codeOffset = hash.value(stream: Stream.codeOffset.rawValue, index: 0) % Self.codeSpace
    }

    /// The organisation-code body of record `id` as a base-31 number, unique per id.
    private func codeBody(id: Int32) -> UInt64 {
        SeededHash.affine(UInt64(UInt32(bitPattern: id)), multiplier: Self.codeMultiplier, offset: codeOffset, modulus: Self.codeSpace)
    }

    /// All codes share the prefix and the alphabet is in ASCII order, so the body's value orders
    /// codes exactly as their strings do.
    func sortKey(id: Int32) -> UInt64 {
        codeBody(id: id)
    }

    func key(id: Int32) -> String {
        creditCode(id: id).string
    }

    /// The credit code of record `id`, inline.
    func creditCode(id: Int32) -> InlineText {
        var body = codeBody(id: id)
        return InlineText(count: 18) { code in
            for position in 0..<8 {
                code[position] = Self.creditCodePrefix[position]
            }
            for position in (8..<16).reversed() {
                code[position] = CheckDigits.creditCodeAlphabet[Int(body % 31)]
                body /= 31
            }
            let written = UnsafeBufferPointer(code)
            code[16] = CheckDigits.organizationCodeCheckCharacter(UnsafeBufferPointer(rebasing: written[8..<16])) ?? UInt8(ascii: "0")
            code[17] = CheckDigits.creditCodeCheckCharacter(UnsafeBufferPointer(rebasing: written[0..<17])) ?? UInt8(ascii: "0")
        }
    }

    func record(id: Int32, updateTime: Int64) -> LicenceRecord {
        let index = UInt64(UInt32(bitPattern: id))
        let matterCode: String
        if Int(id) < baseCount, MatterCatalog.hasUnknownMatter(index: Int(id)) {
            matterCode = MatterCatalog.unknownLicenceMatter
        } else {
            let bits = hash.value(stream: Stream.matter.rawValue, index: index)
            let matter = MatterCatalog.licenceMatters[Int(bits % UInt64(MatterCatalog.licenceMatters.count))]
            matterCode = (bits >> 32) & 1 == 0 ? matter.nationalCode : matter.alias
        }
        let establishedDay = Self.establishedEarliest
            + Int64(hash.below(Self.establishedSpan, stream: Stream.established.rawValue, index: index))
        return LicenceRecord(
            creditCode: creditCode(id: id),
            companyName: companyName(id: id, bits: hash.value(stream: Stream.companyName.rawValue, index: index)),
            legalRepresentative: Self.legalRepresentative(id: id, bits: hash.value(stream: Stream.legalRepresentative.rawValue, index: index)),
            establishedOn: CivilTime.dateNumber(days: establishedDay),
            registeredCapitalHundredths: capital(hash.value(stream: Stream.capital.rawValue, index: index)),
            divisionCode: Self.divisionCode,
            matterCode: matterCode,
            updateTime: updateTime,
            isDeleted: false
        )
    }

    /// An update renames the company and changes its registered capital; a deletion sets `DEL_FLAG`.
    func record(id: Int32, change: RecordChange) -> LicenceRecord {
        var changed = record(id: id, updateTime: change.updateTime)
        if change.lastMutation > 0 {
            let index = UInt64(UInt32(bitPattern: id))
            changed.companyName = companyName(id: id, bits: hash.value(stream: Stream.updatedName.rawValue, index: index, salt: change.lastMutation))
            changed.registeredCapitalHundredths = capital(hash.value(stream: Stream.updatedCapital.rawValue, index: index, salt: change.lastMutation))
        }
        changed.isDeleted = change.isDeleted
        return changed
    }

    /// Every 10th company name carries leading/trailing spaces, as hand-keyed data does; every
    /// 100th (`id % 100 == 42`) holds a comma, quotes and a line break (CSV quoting).
    private func companyName(id: Int32, bits: UInt64) -> InlineText {
        var name = ChineseNameTables.companyName(bits, padded: id % 10 == 9)
        if id % 100 == 42 { name.append("（\"城西\",分部\n二号楼）") }
        return name
    }

    /// Legal representatives; `id % 100 == 13` and `== 14` carry characters outside GBK
    /// (䶮 U+4DAE, 𠮷 U+20BB7) so GB18030 round trips are tested.
    static func legalRepresentative(id: Int32, bits: UInt64) -> String {
        switch id % 100 {
        case 13: return "刘䶮"
        case 14: return "𠮷田春"
        default: return ChineseNameTables.personName(bits)
        }
    }

    /// 10.00 … 100,000.00 万元.
    private func capital(_ bits: UInt64) -> Int64 {
        1_000 + Int64(bits % 9_999_001)
    }
}
