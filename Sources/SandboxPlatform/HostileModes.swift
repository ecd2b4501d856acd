import Synchronization

/// Ways a broken or lying gateway answers, switched on with `/_control/hostile` so the client's
/// completeness checks can be tested against them (docs/sandbox.md):
///
/// - `short-total` — every JSON answer of the `/open/` routes reports `total` (default 3) whatever
///   the data holds, and the pages stay full;
/// - `same-page` — every answer is the first page, with a total of 1,000,000,000 and a next
///   link / next page that never ends;
/// - `off` — the truth again.
///
/// ```
/// curl -X POST 'http://127.0.0.1:8790/_control/hostile?mode=short-total&total=3'
/// ```
final class HostileModes: Sendable {
    enum Mode: String, Sendable, CaseIterable {
        case off
        case shortTotal = "short-total"
        case samePage = "same-page"
    }

    /// The total `same-page` reports.
    static let endlessTotal = 1_000_000_000

    struct Setting: Sendable, Equatable {
        var mode: Mode = .off
        /// The total `short-total` reports.
        var total = 3
    }

    private let setting = Mutex(Setting())

    var current: Setting { setting.withLock { $0 } }

    func set(_ new: Setting) { setting.withLock { $0 = new } }

    /// The offset to read records from for a request asking for `offset`.
    func servedOffset(_ offset: Int) -> Int {
        current.mode == .samePage ? 0 : offset
    }

    /// What to report for a slice that really starts at `offset`, holds `count` records and has
    /// `total` records behind it: the total to print and whether a next page/link follows.
    func report(offset: Int, count: Int, total: Int) -> (total: Int, more: Bool) {
        let s = current
        switch s.mode {
        case .off: return (total, count > 0 && offset + count < total)
        case .shortTotal: return (s.total, count > 0 && offset + count < total)
        case .samePage: return (Self.endlessTotal, count > 0)
        }
    }
}
