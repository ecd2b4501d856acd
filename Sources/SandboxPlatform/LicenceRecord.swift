/// One enterprise licence (`licenses` dataset, key `TYSHXYDM`).
struct LicenceRecord: GatewayRecord, Equatable {
    /// `TYSHXYDM`, the unified social credit code.
    var creditCode: InlineText
    /// `QYMC`, possibly with leading/trailing spaces.
    var companyName: InlineText
    /// `FDDBR`.
    var legalRepresentative: String
    /// `CLRQ` as a yyyyMMdd number.
    var establishedOn: Int32
    /// `ZCZB` in hundredths of 万元.
    var registeredCapitalHundredths: Int64
    /// `XZQHDM`.
    var divisionCode: String
    /// `SXBM`.
    var matterCode: String
    /// `UPDATE_TIME`.
    var updateTime: Int64
    /// `DEL_FLAG` is `"1"` when true.
    var isDeleted: Bool

    var key: String { creditCode.string }

    func writeJSON(to out: inout JSONOutput) {
        out.raw("{\"TYSHXYDM\":")
        out.string(creditCode)
        out.raw(",\"QYMC\":")
        out.string(companyName)
        out.raw(",\"FDDBR\":")
        out.string(legalRepresentative)
        out.raw(",\"CLRQ\":")
        out.quotedDate(establishedOn)
        out.raw(",\"ZCZB\":")
        out.quotedDecimal(hundredths: registeredCapitalHundredths)
        out.raw(",\"XZQHDM\":")
        out.string(divisionCode)
        out.raw(",\"SXBM\":")
        out.string(matterCode)
        out.raw(",\"UPDATE_TIME\":")
        out.quotedDateTime(updateTime)
        out.raw(isDeleted ? ",\"DEL_FLAG\":\"1\"}" : ",\"DEL_FLAG\":\"0\"}")
    }
}
