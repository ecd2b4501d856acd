import Foundation

/// `max_tombstones:` — how many live rows one pass may tombstone because they went missing
/// (snapshot diff, reconcile) before the mass-delete guard refuses: a share of the live rows
/// (`10%`, the default) or a number of rows (`500`).
///
/// ```yaml
/// max_tombstones: 5%      # in a dataset file, or as a default under a source in dataflow.yml
/// ```
public enum TombstoneLimit: Sendable, Equatable, CustomStringConvertible {
    case percent(Double)
    case rows(Int)

    /// 10 % of the live rows.
    public static let `default` = TombstoneLimit.percent(10)

    /// The most rows a pass may tombstone when the dataset has `liveRows` live rows.
    public func allowed(liveRows: Int) -> Int {
        switch self {
        case .percent(let p): return Int((Double(liveRows) * p / 100).rounded(.down))
        case .rows(let n): return n
        }
    }

    public var description: String {
        switch self {
        case .percent(let p): return (p == p.rounded() ? String(Int(p)) : String(p)) + "%"
        case .rows(let n): return "\(n) rows"
        }
    }

    /// Parses `10%`, `2.5%` or `500`; nil when the text is neither.
    public static func parse(_ text: String) -> TombstoneLimit? {
        let t = text.trimmingCharacters(in: .whitespaces)
        if t.hasSuffix("%") {
            guard let p = Double(t.dropLast().trimmingCharacters(in: .whitespaces)), p >= 0, p <= 100 else { return nil }
            return .percent(p)
        }
        guard let n = Int(t), n >= 0 else { return nil }
        return .rows(n)
    }
}
