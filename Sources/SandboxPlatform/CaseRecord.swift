/// One service case (`cases` dataset, key `CASE_ID`).
struct CaseRecord: GatewayRecord, Equatable {
    /// `STATUS` values.
    enum Status: Sendable, Equatable {
        case finished
        case inProgress

        var text: StaticString {
            switch self {
            case .finished: "办结"
            case .inProgress: "在办"
            }
        }
    }

    /// `SLSJ` as served for the deliberately unparseable cases.
    static let unparseableAcceptedAt = "2026-13-45 25:61:00"

    /// `CASE_ID`; empty for the deliberately keyless cases.
    var caseID: InlineText
    /// `SXBM`.
    var matterCode: String
    /// `SQRXM`.
    var applicantName: String
    /// `SQRZJHM`, a GB 11643 citizen ID.
    var applicantID: InlineText
    /// `SLSJ` in seconds; nil means the unparseable value `unparseableAcceptedAt`.
    var acceptedAt: Int64?
    /// `BJSJ` as yyyyMMdd; nil (served as `""`) while in progress.
    var finishedOn: Int32?
    /// `STATUS`.
    var status: Status
    /// `UPDATE_TIME`.
    var updateTime: Int64

    var key: String { caseID.string }

    /// Cases have no deletion flag.
    var isDeleted: Bool { false }

    func writeJSON(to out: inout JSONOutput) {
        out.raw("{\"CASE_ID\":")
        out.string(caseID)
        out.raw(",\"SXBM\":")
        out.string(matterCode)
        out.raw(",\"SQRXM\":")
        out.string(applicantName)
        out.raw(",\"SQRZJHM\":")
        out.string(applicantID)
        out.raw(",\"SLSJ\":")
        if let acceptedAt {
            out.quotedDateTime(acceptedAt)
        } else {
            out.string(Self.unparseableAcceptedAt)
        }
        out.raw(",\"BJSJ\":")
        out.quotedDate(finishedOn)
        out.raw(",\"STATUS\":\"")
        out.raw(status.text)
        out.raw("\",\"UPDATE_TIME\":")
        out.quotedDateTime(updateTime)
        out.raw("}")
    }
}
