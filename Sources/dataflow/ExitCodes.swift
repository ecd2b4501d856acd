/// Documented exit codes (README.md, "Exit codes").
enum ExitCodes {
    static let ok: Int32 = 0
    static let datasetsFailed: Int32 = 1
    static let badConfig: Int32 = 2
    static let locked: Int32 = 3
    static let belowThreshold: Int32 = 4
}
