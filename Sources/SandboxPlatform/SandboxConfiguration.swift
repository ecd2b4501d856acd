/// Everything `dataflow-sandbox` can be started with; the defaults are the documented flag defaults.
///
/// ```swift
/// var configuration = SandboxConfiguration()
/// configuration.rows = 10_000
/// let server = try await SandboxServer.start(configuration)
/// ```
public struct SandboxConfiguration: Sendable {
    /// Loopback address to bind.
    public var host = "127.0.0.1"
    /// Port; 0 picks a free one.
    public var port = 0
    /// Enterprise licence records.
    public var rows = 1_000
    /// Service case records; nil means the same as `rows`.
    public var caseRows: Int?
    /// Seed of the deterministic data and mutations.
    public var seed: UInt64 = 42
    /// The one registered appKey.
    public var appKey = "sandbox-app"
    /// Its appSecret.
    public var appSecret = "sandbox-secret"
    /// Lifetime of a requestSecret, seconds.
    public var secretTTL = 900
    /// Lifetime of a refreshSecret, seconds.
    public var refreshTTL = 172_800
    /// Data requests allowed before every data call answers `18`; 0 is unlimited.
    public var quota = 0
    /// Larger `pageSize` values are capped to this.
    public var maxPageSize = 1_000
    /// Base records share one `UPDATE_TIME` in groups of this size.
    public var groupSize = 37
    /// Fraction of gateway requests that get a fault (0…1).
    public var faultRate = 0.0
    /// Which faults to inject.
    public var faults: [FaultKind] = [.tooManyRequests, .serverError, .drop, .truncate]
    /// Round-trip time added to every gateway answer (control endpoints excluded), optionally per style.
    public var latency = Latency()
    /// Event-loop threads; 0 means one per core.
    public var threads = 0

    /// The effective number of case records.
    public var effectiveCaseRows: Int { caseRows ?? rows }

    public init() {}

    /// Why a configuration cannot start, in words for the command line.
    public func validationProblem() -> String? {
        if !Self.isLoopback(host) { return "--host must be a loopback address (127.0.0.0/8, ::1 or localhost), got '\(host)'" }
        if !(0...65_535).contains(port) { return "--port must be 0…65535, got \(port)" }
        if rows < 0 || rows > 100_000_000 { return "--rows must be 0…100000000, got \(rows)" }
        if effectiveCaseRows < 0 || effectiveCaseRows > 100_000_000 {
            return "--case-rows must be 0…100000000, got \(effectiveCaseRows)"
        }
        if secretTTL < 0 { return "--secret-ttl must not be negative" }
        if refreshTTL < 0 { return "--refresh-ttl must not be negative" }
        if quota < 0 { return "--quota must not be negative" }
        if maxPageSize < 1 { return "--max-page-size must be at least 1" }
        if groupSize < 1 { return "--group-size must be at least 1" }
        if !(faultRate >= 0 && faultRate <= 1) { return "--fault-rate must be within 0…1, got \(faultRate)" }
        return nil
    }

    /// Whether `host` names a loopback address.
    public static func isLoopback(_ host: String) -> Bool {
        if host == "localhost" || host == "::1" || host == "[::1]" { return true }
        let parts = host.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 4, parts[0] == "127" else { return false }
        return parts.allSatisfy { part in UInt8(part) != nil }
    }
}
