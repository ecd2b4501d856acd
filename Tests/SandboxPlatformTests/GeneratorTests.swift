import Testing
@testable import SandboxPlatform

@Suite("Record generators")
struct GeneratorTests {
    let licences = LicenceGenerator(seed: 42, baseCount: 3_000)
    let cases = CaseGenerator(seed: 42, baseCount: 3_000)
    let time = CivilTime.baseRecordsStart

    @Test func creditCodesAreValidAndUnique() {
        var seen = Set<String>()
        for id in Int32(0)..<5_000 {
            let code = licences.key(id: id)
            #expect(code.count == 18)
            #expect(code.hasPrefix("91330782"))
            #expect(CheckDigits.isValidCreditCode(code))
            #expect(CheckDigits.hasValidOrganizationCode(code))
            seen.insert(code)
        }
        #expect(seen.count == 5_000)
    }

    @Test func sortKeysOrderExactlyAsKeys() {
        var randomness = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let left = Int32.random(in: 0..<6_000, using: &randomness)
            let right = Int32.random(in: 0..<6_000, using: &randomness)
            #expect((licences.sortKey(id: left) < licences.sortKey(id: right)) == (licences.key(id: left) < licences.key(id: right)))
            #expect((cases.sortKey(id: left) < cases.sortKey(id: right)) == (cases.key(id: left) < cases.key(id: right)))
        }
        #expect(cases.sortKey(id: 117) == 0 && cases.key(id: 117).isEmpty)
    }

    @Test func recordIsAPureFunctionOfSeedAndID() {
        #expect(licences.record(id: 1_234, updateTime: time) == LicenceGenerator(seed: 42, baseCount: 3_000).record(id: 1_234, updateTime: time))
        #expect(licences.record(id: 1_234, updateTime: time) != LicenceGenerator(seed: 43, baseCount: 3_000).record(id: 1_234, updateTime: time))
        #expect(cases.record(id: 77, updateTime: time) == CaseGenerator(seed: 42, baseCount: 3_000).record(id: 77, updateTime: time))
    }

    @Test func invalidCasesAreExactlyTheDocumentedIndices() {
        var invalid: [Int: String] = [:]
        for id in 0..<3_000 {
            let record = cases.record(id: Int32(id), updateTime: time)
            var reasons: [String] = []
            if record.caseID.isEmpty { reasons.append("empty CASE_ID") }
            if !CheckDigits.isValidCitizenID(record.applicantID.string) { reasons.append("citizen ID") }
            if record.acceptedAt == nil { reasons.append("SLSJ") }
            if !reasons.isEmpty {
                #expect(reasons.count == 1, "case \(id) is invalid for \(reasons)")
                invalid[id] = reasons[0]
            }
        }
        let expected = Dictionary(uniqueKeysWithValues: (0..<3_000).compactMap { id -> (Int, String)? in
            switch id % 300 {
            case 117: (id, "empty CASE_ID")
            case 17: (id, "citizen ID")
            case 217: (id, "SLSJ")
            default: nil
            }
        })
        #expect(invalid == expected)
        #expect(invalid.count == 30)
    }

    @Test func insertedCasesAreAlwaysValidWithKnownMatters() {
        for id in Int32(3_000)..<Int32(6_000) {
            let record = cases.record(id: id, updateTime: time)
            #expect(!record.caseID.isEmpty)
            #expect(CheckDigits.isValidCitizenID(record.applicantID.string))
            #expect(record.acceptedAt != nil)
            #expect(record.matterCode != MatterCatalog.unknownCaseMatter)
        }
    }

    @Test func matterCodesComeFromTheCatalogAndTwoPercentAreUnknown() {
        let licenceCodes = Set(MatterCatalog.licenceMatters.flatMap { [$0.nationalCode, $0.alias] })
        let caseCodes = Set(MatterCatalog.caseMatters.flatMap { [$0.nationalCode, $0.alias] })
        var unknownLicences = 0
        var unknownCases = 0
        var aliases = 0
        for id in Int32(0)..<3_000 {
            let licence = licences.record(id: id, updateTime: time)
            if licence.matterCode == MatterCatalog.unknownLicenceMatter { unknownLicences += 1 } else {
                #expect(licenceCodes.contains(licence.matterCode))
            }
            if licence.matterCode.count == 31 { aliases += 1 }
            let serviceCase = cases.record(id: id, updateTime: time)
            if serviceCase.matterCode == MatterCatalog.unknownCaseMatter { unknownCases += 1 } else {
                #expect(caseCodes.contains(serviceCase.matterCode))
            }
        }
        #expect(unknownLicences == 60)
        #expect(unknownCases == 60)
        #expect((1_000...2_000).contains(aliases))
    }

    @Test func everyTenthCompanyNameIsPadded() {
        for id in Int32(0)..<100 {
            let name = licences.record(id: id, updateTime: time).companyName.string
            let padded = name.first == " " && name.last == " "
            #expect(padded == (id % 10 == 9))
            #expect(name.trimmingCharacters(in: " ").hasPrefix("义乌市"))
        }
    }

    @Test func caseUpdatesFlipStatusAndStampTheFinishDate() {
        for id in Int32(0)..<50 {
            let base = cases.record(id: id, updateTime: time)
            let firstUpdate = RecordChange(originTime: time).updated(mutation: 1, at: CivilTime.clockStart)
            let once = cases.record(id: id, change: firstUpdate)
            #expect(once.status != base.status)
            #expect(once.updateTime == CivilTime.clockStart)
            #expect(once.acceptedAt == base.acceptedAt && once.applicantID == base.applicantID)
            #expect(once.finishedOn == (once.status == .finished ? 20_261_101 : nil))
            let twice = cases.record(id: id, change: firstUpdate.updated(mutation: 2, at: CivilTime.clockStart + 3 * 86_400))
            #expect(twice.status == base.status)
            #expect(twice.finishedOn == (twice.status == .finished ? 20_261_104 : nil))
        }
    }

    @Test func licenceUpdatesArePureInTheMutationNumber() {
        let origin = RecordChange(originTime: time)
        let now = CivilTime.clockStart
        for id in Int32(0)..<50 {
            let base = licences.record(id: id, updateTime: time)
            let updated = licences.record(id: id, change: origin.updated(mutation: 5, at: now))
            #expect(updated == licences.record(id: id, change: origin.updated(mutation: 5, at: now)))
            #expect(updated.companyName != base.companyName || updated.registeredCapitalHundredths != base.registeredCapitalHundredths)
            #expect(updated.creditCode == base.creditCode && updated.legalRepresentative == base.legalRepresentative)
            #expect(updated.updateTime == now)
            let deleted = licences.record(id: id, change: origin.updated(mutation: 5, at: now).deleted(at: now + 60))
            #expect(deleted.isDeleted && deleted.companyName == updated.companyName && deleted.updateTime == now + 60)
        }
    }

    @Test func caseDatesAreConsistent() {
        for id in Int32(0)..<2_000 {
            let record = cases.record(id: id, updateTime: time + Int64(id) * 60)
            switch record.status {
            case .finished: #expect(record.finishedOn != nil)
            case .inProgress: #expect(record.finishedOn == nil)
            }
            if let accepted = record.acceptedAt {
                #expect(accepted < record.updateTime)
                if let finished = record.finishedOn {
                    #expect(finished >= CivilTime.dateNumber(accepted))
                    #expect(finished <= CivilTime.dateNumber(record.updateTime))
                }
            }
        }
    }
}

extension String {
    fileprivate func trimmingCharacters(in characters: String) -> String {
        String(drop { characters.contains($0) }.reversed().drop { characters.contains($0) }.reversed())
    }
}
