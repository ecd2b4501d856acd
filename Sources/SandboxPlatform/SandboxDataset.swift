/// The datasets the sandbox gateway serves, named as in `?dataset=`.
public enum SandboxDataset: String, Sendable, CaseIterable {
    /// Enterprise licences, key `TYSHXYDM`.
    case licenses
    /// Service cases, key `CASE_ID`.
    case cases
}
