/// The matter codes (事项编码, `SXBM`) the sandbox draws from: national codes and their county aliases.
enum MatterCatalog {
    /// One matter as gateways may name it: the 12-digit national code or the 31-character alias.
    struct Matter: Sendable {
        let nationalCode: String
        let alias: String
    }

    /// Matters of enterprise licences.
    static let licenceMatters: [Matter] = [
        Matter(nationalCode: "000105001000", alias: "1133078202000000864302320094001"),
        Matter(nationalCode: "000105002000", alias: "1133078202000000864302320094002"),
        Matter(nationalCode: "000105003000", alias: "1133078202000000864302320094003"),
        Matter(nationalCode: "000105004000", alias: "1133078202000000864302320094004"),
    ]

    /// The licence matter code that no dictionary knows (2 % of base licences).
    static let unknownLicenceMatter = "000105999000"

    /// Matters of service cases.
    static let caseMatters: [Matter] = [
        Matter(nationalCode: "000107001000", alias: "1133078202001111034302320094007"),
        Matter(nationalCode: "000107002000", alias: "1133078202001111034302320094008"),
        Matter(nationalCode: "000307001000", alias: "1133078202001111034302320094009"),
        Matter(nationalCode: "000111001000", alias: "1133078202002222324302320094010"),
        Matter(nationalCode: "000411001000", alias: "1133078202002222324302320094011"),
        Matter(nationalCode: "000111002000", alias: "1133078202002222324302320094012"),
        Matter(nationalCode: "000110001000", alias: "1133078202003333614302320094013"),
        Matter(nationalCode: "000110002000", alias: "1133078202003333614302320094014"),
        Matter(nationalCode: "000113001000", alias: "1133078202004444904302320094015"),
        Matter(nationalCode: "000813001000", alias: "1133078202004444904302320094016"),
        Matter(nationalCode: "000114001000", alias: "11330782020055551W4302320094017"),
    ]

    /// The case matter code that no dictionary knows (2 % of base cases).
    static let unknownCaseMatter = "000199999000"

    /// Whether base record `index` carries the unknown matter code: exactly 2 %, and never one of
    /// the indices that cases make invalid (`i % 300` ∈ {17, 117, 217}, all ≡ 17 mod 50).
    static func hasUnknownMatter(index: Int) -> Bool {
        index % 50 == 7
    }
}
