/// The values a duration key of the configuration accepts, in seconds.
///
/// Every duration has one: a value outside it is a `validate` error at its position, so no
/// configured wait can be zero where zero means "forever", or so long that a nightly sync sleeps
/// holding the run lock, or so large that converting it to whole seconds traps.
/// docs/configuration.md lists them with the reason for each bound.
///
/// ```swift
/// let timeout = try m.duration("timeout", range: SourceConfig.timeoutRange) ?? 30
/// SourceConfig.timeoutRange.phrase   // "between 1ms and 1h"
/// ```
public struct DurationRange: Sendable, Equatable {
    public let lowerBound: Double
    public let upperBound: Double

    /// `bounds` in seconds; both finite.
    public init(_ bounds: ClosedRange<Double>) {
        lowerBound = bounds.lowerBound
        upperBound = bounds.upperBound
    }

    public func contains(_ seconds: Double) -> Bool { seconds >= lowerBound && seconds <= upperBound }

    /// The nearest value inside the range; NaN becomes the lower bound.
    public func clamp(_ seconds: Double) -> Double {
        if seconds.isNaN { return lowerBound }
        return Swift.min(Swift.max(seconds, lowerBound), upperBound)
    }

    /// `between 1ms and 1h`, in the units a configuration file uses.
    public var phrase: String { "between \(Self.text(lowerBound)) and \(Self.text(upperBound))" }

    /// Seconds in the largest unit that writes them whole: `86400` → `1d`, `0.5` → `500ms`.
    public static func text(_ seconds: Double) -> String {
        for (suffix, factor) in [("d", 86400.0), ("h", 3600), ("m", 60), ("s", 1)] {
            let n = seconds / factor
            if n >= 1, n == n.rounded(), n < 1e15 { return "\(Int(n))\(suffix)" }
        }
        let ms = seconds * 1000
        if ms == 0 { return "0s" }
        if ms == ms.rounded(), abs(ms) < 1e15 { return "\(Int(ms))ms" }
        return "\(seconds)s"
    }
}
