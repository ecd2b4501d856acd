/// One gateway the county pulls from: where it is, how requests are signed and how responses
/// are wrapped.
public struct SourceConfig: Sendable {
    public var name: String
    public var baseURL: String
    public var auth: AuthConfig
    public var envelope: EnvelopeConfig?
    /// Requests per second; nil = unlimited.
    public var rateLimit: Double?
    /// Whole-request timeout in seconds, within ``timeoutRange``.
    public var timeout: Double
    public var retries: Int
    /// First retry delay; doubles each attempt (with jitter), within ``retryBackoffRange``.
    public var retryBackoff: Double
    public var caBundle: String?
    public var headers: [(String, String)]
    /// Explicit proxy URL; nil = libcurl's default (the standard proxy environment variables).
    public var proxy: String?
    /// Requests in flight at once. Only 1 is implemented: larger values are accepted and run one at a time.
    public var concurrency: Int = 1
    /// Default `max_tombstones` for this source's datasets (nil: 10 % of the live rows).
    public var maxTombstones: TombstoneLimit? = nil
    /// Hosts (`host` or `host:port`) that a redirect or a next link may lead to; they are asked
    /// with no credentials at all, and their answers never count towards a complete pass.
    public var followHosts: [String] = []
    /// Bytes a streamed download (NDJSON, CSV) may reach before it is stopped (`max_download`).
    public var maxDownload: Int = SourceConfig.defaultMaxDownload
    /// `max_download` when unset: 1 GiB.
    public static let defaultMaxDownload = 1 << 30
    /// `timeout:` 1ms…1h. Zero would mean no timeout at all (a gateway that never answers holds
    /// the run lock forever); past an hour one request outlasts a nightly window.
    public static let timeoutRange = DurationRange(0.001...3600)
    /// `retry_backoff:` 0s…10m. Each retry waits up to this (or double, up to 30 s), holding the
    /// run lock; gateways' rate windows are a second to a minute long.
    public static let retryBackoffRange = DurationRange(0...600)
    /// `rate_limit:` 1/h…1000/s, in requests per second. Requests are spaced 1/rate apart, so a
    /// slower rate would sleep more than an hour holding the run lock; faster is no limit at all.
    public static let rateLimitRange: ClosedRange<Double> = (1.0 / 3600)...1000
    /// A preset for every dataset of this source (a dataset's own `preset:` wins).
    public var preset: Preset?
    public var position: SourcePosition
    /// Set for an exchange database (`type: sql`); such a source has no HTTP settings.
    public var sql: DatabaseLocation? = nil
}

/// What an error code in the envelope means for the run.
public enum EnvelopeAction: String, Sendable, CaseIterable {
    case resign
    case refreshToken = "refresh-token"
    case retry
    case quota
    case fail
}

/// A gateway's response wrapper: which field says success and which codes mean what.
public struct EnvelopeConfig: Sendable {
    public var successPath: [String]
    public var successValues: [String]
    public var messagePath: [String]?
    public var errors: [String: EnvelopeAction]
}
