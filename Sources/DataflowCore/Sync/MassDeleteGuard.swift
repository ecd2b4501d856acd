/// Stops a pass from tombstoning a large share of a dataset at once: a gateway that lies (a
/// wrong total, an empty answer) must never empty a county's table. Backend-neutral: the
/// warehouse only counts the would-be tombstones (`Warehouse.unseenLiveCount`).
///
/// ```swift
/// let guard = MassDeleteGuard(dataset: "licenses", limit: .percent(10), overridden: false)
/// try guard.check(wouldTombstone: 120, liveRows: 1000)   // throws Refused: 120 > 100
/// ```
public struct MassDeleteGuard: Sendable {
    /// A pass that would tombstone more than the limit: nothing was tombstoned.
    public struct Refused: Error, CustomStringConvertible, Sendable {
        public var dataset: String
        public var wouldTombstone: Int
        public var liveRows: Int
        public var limit: TombstoneLimit
        public var allowed: Int
        public var description: String {
            "\(dataset): mass-delete guard — this pass would tombstone \(wouldTombstone) of \(liveRows) live rows, more than max_tombstones (\(limit), \(allowed) rows); nothing was tombstoned. If the gateway really dropped them, run `dataflow sync --allow-mass-delete \(dataset)` once"
        }
    }

    public var dataset: String
    public var limit: TombstoneLimit
    /// `sync --allow-mass-delete DATASET` was given for this dataset.
    public var overridden: Bool

    public init(dataset: String, limit: TombstoneLimit, overridden: Bool) {
        self.dataset = dataset
        self.limit = limit
        self.overridden = overridden
    }

    /// Throws `Refused` when `wouldTombstone` exceeds the limit for `liveRows` (and no override).
    public func check(wouldTombstone: Int, liveRows: Int) throws(Refused) {
        let allowed = limit.allowed(liveRows: liveRows)
        guard !overridden, wouldTombstone > allowed else { return }
        throw Refused(dataset: dataset, wouldTombstone: wouldTombstone, liveRows: liveRows, limit: limit, allowed: allowed)
    }
}
