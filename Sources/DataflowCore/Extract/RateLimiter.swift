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

    /// Waits for this caller's slot and returns its time (monotonic seconds), or nil when
    /// `giveUpIf` said yes first (asked at least every 50 ms: a page fan that has stopped does not
    /// sleep out a slow limit's slot and then send a request no one wants). `meanwhile` runs first
    /// when there is a wait (a cursor walk maps the page in hand there, `WaitingWork`), and the
    /// sleep is only what is left of the wait. With no limit it returns at once.
    @discardableResult
    public func wait(meanwhile: () -> Void = {}, giveUpIf stopped: (() -> Bool)? = nil) -> Double? {
        guard interval > 0 else { return Self.now }
        let slot: Double = lock.withLock {
            let slot = max(Self.now, next)
            next = slot + interval
            return slot
        }
        guard slot > Self.now else { return slot }
        meanwhile()
        while true {
            if stopped?() == true { return nil }
            let left = slot - Self.now
            if left <= 0 { return slot }
            Thread.sleep(forTimeInterval: stopped == nil ? left : min(left, 0.05))
        }
    }

    /// Whether a request whose slot was `slot` would now go out late enough to crowd the slots
    /// after it — signing waited for another worker's token renewal, or the work run in the wait
    /// took longer than the wait: the caller then waits for a new slot (and signs again) instead.
    /// Half an interval late is still on time: the next request then goes at least half an
    /// interval after this one, and no second holds more than one request over the limit, as
    /// with slots kept exactly (a sleep never wakes exactly on time). With no limit, never.
    public func isLate(_ slot: Double) -> Bool {
        interval > 0 && Self.now - slot > interval / 2
    }

    /// Takes `count` slots for requests already sent outside the limiter (libcurl sent one again
    /// by itself): the requests after them wait that much longer, so the source's rate holds on
    /// average.
    public func charge(_ count: Int) {
        guard interval > 0, count > 0 else { return }
        lock.withLock { next = max(Self.now, next) + interval * Double(count) }
    }

    /// Seconds on the monotonic clock.
    private static var now: Double { Double(DispatchTime.now().uptimeNanoseconds) / 1e9 }
}
