/// Which failure a gateway request gets instead of (or on top of) its answer.
public enum FaultKind: String, Sendable, CaseIterable {
    /// HTTP 429 with `Retry-After`.
    case tooManyRequests = "429"
    /// HTTP 500.
    case serverError = "500"
    /// The connection is closed with no response.
    case drop
    /// The full `Content-Length` is announced, half the body is sent, then the connection closes.
    case truncate

    /// Parses a comma-separated list such as `429,500,drop,truncate`.
    public static func parseList(_ text: String) -> [FaultKind]? {
        var kinds: [FaultKind] = []
        for part in text.split(separator: ",", omittingEmptySubsequences: true) {
            let name = String(part.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
            guard let kind = FaultKind(rawValue: name) else { return nil }
            if !kinds.contains(kind) { kinds.append(kind) }
        }
        return kinds
    }
}

/// Decides, deterministically from the seed and the request number, which gateway requests fail.
struct FaultInjector: Sendable {
    /// Fraction of gateway requests that fail (0…1).
    var rate: Double
    /// The kinds drawn from, uniformly.
    var kinds: [FaultKind]
    /// `Retry-After` seconds for 429.
    var retryAfterSeconds: Int
    private let hash: SeededHash

    init(seed: UInt64, rate: Double, kinds: [FaultKind], retryAfterSeconds: Int = 1) {
        self.rate = rate
        self.kinds = kinds
        self.retryAfterSeconds = retryAfterSeconds
        hash = SeededHash(seed: seed)
    }

    /// The fault for gateway request number `requestNumber`, if it gets one.
    func fault(forRequest requestNumber: UInt64) -> FaultKind? {
        guard rate > 0, !kinds.isEmpty else { return nil }
        let bits = hash.value(stream: 400, index: requestNumber)
        let uniform = Double(bits >> 11) / Double(1 << 53)
        guard uniform < rate else { return nil }
        return kinds[Int((bits & 0x7FF) % UInt64(kinds.count))]
    }
}
