import Foundation

/// Spaces requests to at most `perSecond`, across every thread that shares it: one limiter per
/// source, so a source's `rate_limit` holds however many of its datasets are walked at once.
///
/// ```swift
/// let limiter = RateLimiter(perSecond: 5)
/// limiter.wait()          // returns at once, then at most one caller per 0.2 s
/// ```
///
/// Each caller reserves the next free slot under the lock and sleeps outside it, so waiting
/// callers are served in the order they arrived and never share a slot.
public final class RateLimiter: @unchecked Sendable {
    private let interval: Double
    private let lock = NSLock()
    /// The next free slot, seconds on the monotonic clock (guarded by `lock`).
    private var next: Double = 0

    public init(perSecond: Double?) { interval = perSecond.map { 1 / $0 } ?? 0 }

    public func wait() {
        guard interval > 0 else { return }
        let delay: Double = lock.withLock {
            let now = Double(DispatchTime.now().uptimeNanoseconds) / 1e9
            let slot = max(now, next)
            next = slot + interval
            return slot - now
        }
        if delay > 0 { Thread.sleep(forTimeInterval: delay) }
    }
}
