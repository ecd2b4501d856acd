import Testing
@testable import DataflowCore

@Suite("GB 11643 citizen ID and GB 32100 credit code")
struct DomainCheckTests {
    @Test("the standards' own examples are valid", arguments: ["11010519491231002X", "440524188001010014"])
    func citizenIDExamples(id: String) {
        #expect(CitizenIDCheck.validate(id) == nil)
    }

    @Test func citizenIDCheckCharacterIsComputed() {
        #expect(CitizenIDCheck.checkCharacter(for: "11010519491231002") == "X")
        #expect(CitizenIDCheck.checkCharacter(for: "44052418800101001") == "4")
    }

    @Test func everySingleCharacterCorruptionOfAValidIDFails() {
        let valid = Array("11010519491231002X")
        let alphabet = Array("0123456789X")
        for i in valid.indices {
            for c in alphabet where c != valid[i] {
                var corrupt = valid
                corrupt[i] = c
                #expect(CitizenIDCheck.validate(String(corrupt)) != nil, "\(String(corrupt)) should fail")
            }
        }
    }

    @Test func citizenIDRejectsWrongLengthAndImpossibleBirthDates() {
        #expect(CitizenIDCheck.validate("110105194912310") != nil)   // 15-digit legacy
        #expect(CitizenIDCheck.validate("1101051949123100") != nil)
        // 1949-02-30 does not exist; the check character is right for the digits, so only the date fails.
        let body = "11010519490230002"
        let id = body + String(CitizenIDCheck.checkCharacter(for: body)!)
        #expect(CitizenIDCheck.validate(id)?.contains("birth date") == true)
    }

    @Test func creditCodeExampleIsValid() {
        #expect(CreditCodeCheck.validate("91350100M000100Y43") == nil)
        #expect(CreditCodeCheck.checkCharacter(for: "91350100M000100Y4") == "3")
    }

    @Test func everySingleCharacterCorruptionOfAValidCreditCodeFails() {
        let valid = Array("91350100M000100Y43")
        let alphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")
        for i in valid.indices {
            for c in alphabet where c != valid[i] {
                var corrupt = valid
                corrupt[i] = c
                #expect(CreditCodeCheck.validate(String(corrupt)) != nil, "\(String(corrupt)) should fail")
            }
        }
    }

    @Test func creditCodeRejectsLettersOutsideTheAlphabet() {
        // I, O, S, V, Z are not in the GB 32100 alphabet.
        #expect(CreditCodeCheck.validate("91350100M000100I43")?.contains("alphabet") == true)
        #expect(CreditCodeCheck.validate("91350100M000100Y4") != nil)
    }
}
