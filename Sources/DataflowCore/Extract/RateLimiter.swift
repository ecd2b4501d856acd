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

    /// Waits for this caller's slot. `meanwhile` runs first when there is a wait (a cursor walk maps
    /// the page in hand there, `WaitingWork`), and the sleep is only what is left of the wait.
    public func wait(meanwhile: () -> Void = {}) {
        guard interval > 0 else { return }
        let slot: Double = lock.withLock {
            let slot = max(Self.now, next)
            next = slot + interval
            return slot
        }
        guard slot > Self.now else { return }
        meanwhile()
        let left = slot - Self.now
        if left > 0 { Thread.sleep(forTimeInterval: left) }
    }

    /// Seconds on the monotonic clock.
    private static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
