import NIOCore
import Synchronization

/// Added round-trip time: a default for every gateway answer, optionally one per gateway style.
///
/// ```swift
/// let latency = try Latency.parse("150ms,ckan=20ms")   // 150 ms everywhere, 20 ms on CKAN routes
/// latency.milliseconds(forFamily: "gateway")            // 150
/// ```
public struct Latency: Sendable, Equatable {
    /// Milliseconds added to every gateway answer whose style has no entry of its own.
    public var defaultMilliseconds: Int = 0
    /// Milliseconds per gateway style (`GatewayFamily` names).
    public var perFamily: [String: Int] = [:]

    public init(defaultMilliseconds: Int = 0, perFamily: [String: Int] = [:]) {
        self.defaultMilliseconds = defaultMilliseconds
        self.perFamily = perFamily
    }

    /// The delay for a gateway style.
    func milliseconds(forFamily family: String) -> Int { perFamily[family] ?? defaultMilliseconds }

    /// Parses `150ms`, `0.2s`, `150` (milliseconds), or a comma list of those and `STYLE=DURATION`.
    public static func parse(_ text: String) -> Result<Latency, LatencyError> {
        var latency = Latency()
        for item in text.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            guard let milliseconds = duration(parts.last.map(String.init) ?? "") else {
                return .failure(LatencyError(message: "latency expects a duration like 150ms or 0.2s (0…60s), or STYLE=DURATION; got '\(item)'"))
            }
            if parts.count == 1 {
                latency.defaultMilliseconds = milliseconds
                continue
            }
            let family = String(parts[0])
            guard GatewayFamily.all.contains(family) else {
                return .failure(LatencyError(message: "latency: unknown gateway style '\(family)' (expected one of: \(GatewayFamily.all.joined(separator: ", ")))"))
            }
            latency.perFamily[family] = milliseconds
        }
        return .success(latency)
    }

    private static func duration(_ text: String) -> Int? {
        let trimmed = text.trimmingWhitespace()
        let (number, scale): (Substring, Double) =
            trimmed.hasSuffix("ms") ? (trimmed.dropLast(2), 1) : trimmed.hasSuffix("s") ? (trimmed.dropLast(), 1_000) : (trimmed[...], 1)
        guard let value = Double(number), value >= 0, value * scale <= 60_000 else { return nil }
        return Int((value * scale).rounded())
    }
}

/// Why a latency setting was refused.
public struct LatencyError: Error, CustomStringConvertible {
    public let message: String
    public var description: String { message }
}

private extension String {
    func trimmingWhitespace() -> Substring {
        var text = self[...]
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return text
    }
}

/// The gateway styles, named by route: `--latency STYLE=…` and the default traffic label use these.
enum GatewayFamily {
    static let all = ["gateway", "open", "ckan", "socrata", "arcgis", "odata", "oauth"]

    /// The style a gateway path belongs to.
    static func of(_ path: String) -> String {
        if path.hasPrefix("/gateway/") { return "gateway" }
        if path.hasPrefix("/open/") { return "open" }
        if path.hasPrefix("/api/3/action/") { return "ckan" }
        if path.hasPrefix("/resource/") { return "socrata" }
        if path.hasPrefix("/arcgis/") { return "arcgis" }
        if path.hasPrefix("/odata/") { return "odata" }
        return "oauth"
    }
}

/// Gateway traffic: the latency added to answers, and counts per caller, so a test can check a
/// client's limits from the outside — requests, the most that arrived within one second of the
/// sandbox's monotonic clock, and the most in flight at once (received, not yet answered, the
/// added latency included).
///
/// A caller is named by its `X-Sandbox-Source` request header (a source's `headers:` can set
/// it), or else by the gateway style of the path.
final class Traffic: Sendable {
    /// What `/_control/stats` reports per caller.
    struct Counts: Sendable, Equatable {
        var requests = 0
        var peakPerSecond = 0
        var peakInFlight = 0
        fileprivate var second: Int64 = -1
        fileprivate var inSecond = 0
        fileprivate var inFlight = 0
    }

    static let labelHeader = "X-Sandbox-Source"

    private let counts = Mutex<[String: Counts]>([:])
    private let latencySetting: Mutex<Latency>

    init(latency: Latency) { latencySetting = Mutex(latency) }

    /// The latency in force (`--latency`, changed live by `/_control/config?latency=`).
    var latency: Latency {
        get { latencySetting.withLock { $0 } }
        set { latencySetting.withLock { $0 = newValue } }
    }

    /// The label of a request.
    static func label(of request: GatewayRequest) -> String {
        if let name = request.header(labelHeader), !name.isEmpty { return String(name.prefix(64)) }
        return GatewayFamily.of(request.path)
    }

    /// A request arrived (`now` in nanoseconds of a monotonic clock).
    func arrived(_ label: String, now: Int64) {
        counts.withLock { all in
            var c = all[label] ?? Counts()
            c.requests += 1
            let second = now / 1_000_000_000
            if second != c.second { c.second = second; c.inSecond = 0 }
            c.inSecond += 1
            c.peakPerSecond = max(c.peakPerSecond, c.inSecond)
            c.inFlight += 1
            c.peakInFlight = max(c.peakInFlight, c.inFlight)
            all[label] = c
        }
    }

    /// Its answer has been handed to the connection (or the connection dropped).
    func answered(_ label: String) {
        counts.withLock { all in all[label]?.inFlight -= 1 }
    }

    /// Counts per label, sorted by label.
    var snapshot: [(label: String, counts: Counts)] {
        counts.withLock { all in all.sorted { $0.key < $1.key }.map { ($0.key, $0.value) } }
    }
}
