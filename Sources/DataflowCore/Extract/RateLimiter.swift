import Foundation

/// Spaces requests to at most `perSecond` (a simple interval limiter per source).
public final class RateLimiter {
    private let interval: Double
    private var next: Double = 0

    public init(perSecond: Double?) { interval = perSecond.map { 1 / $0 } ?? 0 }

    public func wait() {
        guard interval > 0 else { return }
        let now = Date().timeIntervalSince1970
        if next > now { Thread.sleep(forTimeInterval: next - now) }
        next = max(now, next) + interval
    }
}
