/// Deterministic enterprise licences: record `id` is a pure function of `(seed, id)`.
///
/// Credit codes are `91330782` + a GB 11714 organisation code + the GB 32100 check character.
/// The organisation code's body is an affine bijection of `id` modulo 31⁸, so codes are unique.
struct LicenceGenerator: RecordGenerator {
    let baseCount: Int
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

    func key(id: Int32) -> String {
        var body = SeededHash.affine(
            UInt64(UInt32(bitPattern: id)), multiplier: Self.codeMultiplier, offset: codeOffset, modulus: Self.codeSpace
        )
        return String(unsafeUninitializedCapacity: 18) { code in
            for position in 0..<8 {
                code[position] = Self.creditCodePrefix[position]
            }
            for position in (8..<16).reversed() {
                code[position] = CheckDigits.creditCodeAlphabet[Int(body % 31)]
                body /= 31
            }
            code[16] = CheckDigits.organizationCodeCheckCharacter(code[8..<16]) ?? UInt8(ascii: "0")
            code[17] = CheckDigits.creditCodeCheckCharacter(code[0..<17]) ?? UInt8(ascii: "0")
            return 18
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
            creditCode: key(id: id),
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

    /// An update renames the company and changes its registered capital.
    func updated(_ record: LicenceRecord, id: Int32, mutation: UInt64, at time: Int64) -> LicenceRecord {
        let index = UInt64(UInt32(bitPattern: id))
        var changed = record
        changed.companyName = companyName(id: id, bits: hash.value(stream: Stream.updatedName.rawValue, index: index, salt: mutation))
        changed.registeredCapitalHundredths = capital(hash.value(stream: Stream.updatedCapital.rawValue, index: index, salt: mutation))
        changed.updateTime = time
        return changed
    }

    func deleted(_ record: LicenceRecord, at time: Int64) -> LicenceRecord? {
        var changed = record
        changed.isDeleted = true
        changed.updateTime = time
        return changed
    }

    /// Every 10th company name carries leading/trailing spaces, as hand-keyed data does; every
    /// 100th (`id % 100 == 42`) holds a comma, quotes and a line break (CSV quoting).
    private func companyName(id: Int32, bits: UInt64) -> String {
        let name = ChineseNameTables.companyName(bits)
        if id % 100 == 42 { return name + "（\"城西\",分部\n二号楼）" }
        return id % 10 == 9 ? " " + name + "  " : name
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
