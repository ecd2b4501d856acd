/// Infers a field's warehouse type and date format from its profile.
///
/// Decisions, in order: JSON objects/arrays → `json`; JSON booleans or true/false, 是/否 → `bool`;
/// a date or datetime pattern that ≥ 95 % of the values parse with → `date`/`datetime` and the
/// pattern; whole numbers → `int` unless a value keeps leading zeros or all share one width of
/// six or more digits (a code, kept as `text`); decimals → `decimal`; else `text`.
///
/// ```swift
/// let t = TypeInferrer.infer(profile)   // t.type.value == .date, t.format?.text == "yyyyMMdd"
/// ```
public enum TypeInferrer {
    /// The type decision and, for dates, the pattern.
    public struct Decision: Sendable {
        public var type: Inference<FieldType>
        public var format: DatePattern?
        /// Values that will not convert and will be quarantined.
        public var failing: [String] = []
    }

    /// Share of non-empty values a type or check must fit.
    public static let threshold = 0.95

    /// Date patterns tried, most specific first. All are valid `DatePattern`s.
    static let datePatterns: [DatePattern] = [
        "yyyy-MM-dd HH:mm:ss.SSS", "yyyy-MM-dd'T'HH:mm:ss.SSS", "yyyy-MM-dd HH:mm:ss", "yyyy-MM-dd'T'HH:mm:ss",
        "yyyy/MM/dd HH:mm:ss", "yyyyMMddHHmmss", "yyyy-MM-dd", "yyyyMMdd", "yyyy/MM/dd", "yyyy年MM月dd日",
    ].compactMap { try? DatePattern($0) }

    public static func infer(_ p: ColumnProfile) -> Decision {
        let n = p.nonEmpty
        if n == 0 {
            return Decision(type: Inference(.text, "always empty in \(Count.text(p.records)) records: kept as text", .uncertain))
        }
        if p.structured > 0 {
            return Decision(type: Inference(.json, "\(Count.ratio(p.structured, n)) values are JSON objects or arrays"))
        }
        let values = p.values
        let lowered = Set(p.distinct.keys.map { $0.lowercased() })
        if p.booleans == n || (lowered.isSubset(of: ["true", "false"]) || lowered.isSubset(of: ["是", "否"])) && !lowered.isEmpty {
            return Decision(type: Inference(.bool, "only \(p.frequent.map(\.value).joined(separator: "/")) in \(Count.text(n)) values"))
        }
        if let date = bestDatePattern(values) {
            let failing = values.filter { date.parse($0) == nil }
            let ok = n - failing.count
            var evidence = "\(Count.ratio(ok, n)) parse as \(date.text)"
            if !failing.isEmpty { evidence += "; \(Count.text(failing.count)) do not (\(p.examples(failing))) and will be quarantined" }
            let confidence: Inference<FieldType>.Confidence = Double(ok) >= 0.99 * Double(n) ? .certain : .uncertain
            return Decision(type: Inference(date.hasTime ? .datetime : .date, evidence, confidence), format: date, failing: failing)
        }
        let integers = values.filter(isWholeNumber)
        if integers.count == n {
            let leadingZeros = values.filter { $0.count > 1 && ($0.hasPrefix("0") || $0.hasPrefix("-0")) }
            if !leadingZeros.isEmpty {
                return Decision(type: Inference(.text, "digits, but \(Count.text(leadingZeros.count)) values keep leading zeros (\(p.examples(leadingZeros))): a code, not a number"))
            }
            if let epoch = epochUnit(values) {
                return Decision(type: Inference(.int, "whole numbers that read as epoch \(epoch) (e.g. \(p.examples(values, limit: 1))); the mapper has no epoch format, so they stay int", .uncertain))
            }
            let widths = Set(values.map(\.count))
            if widths.count == 1, let w = widths.first, w >= 6, p.numbers < n {
                return Decision(type: Inference(.text, "digits of one width (\(w)) in \(Count.text(n)) values: a code, kept as text"))
            }
            if values.contains(where: { $0.count > 18 }) {
                return Decision(type: Inference(.text, "digits longer than a 64-bit integer: kept as text"))
            }
            return Decision(type: Inference(.int, "\(Count.ratio(n, n)) whole numbers"))
        }
        let decimals = values.filter { DecimalText.canonical($0) != nil && $0.allSatisfy { $0.isASCII } }
        if decimals.count == n {
            let leadingZeros = values.filter { $0.count > 1 && $0.hasPrefix("0") && !$0.hasPrefix("0.") }
            if leadingZeros.isEmpty {
                return Decision(type: Inference(.decimal, "\(Count.ratio(n, n)) decimal numbers (kept exact)"))
            }
        }
        return Decision(type: Inference(.text, "\(Count.text(p.distinct.count)) distinct values of \(Count.text(n))"))
    }

    /// The pattern most values parse with, when it reaches the threshold.
    static func bestDatePattern(_ values: [String]) -> DatePattern? {
        guard !values.isEmpty else { return nil }
        var best: (DatePattern, Int)?
        for pattern in datePatterns {
            let parsed = values.reduce(0) { $0 + (pattern.parse($1) == nil ? 0 : 1) }
            if parsed > (best?.1 ?? 0) { best = (pattern, parsed) }
        }
        guard let best, Double(best.1) >= threshold * Double(values.count) else { return nil }
        return best.0
    }

    static func isWholeNumber(_ s: String) -> Bool {
        var bytes = Substring(s).utf8[...]
        if bytes.first == UInt8(ascii: "-") { bytes = bytes.dropFirst() }
        return !bytes.isEmpty && bytes.allSatisfy { $0 >= 48 && $0 <= 57 }
    }

    /// "milliseconds" or "seconds" when every value is an epoch time between 2000 and 2100.
    static func epochUnit(_ values: [String]) -> String? {
        let numbers = values.compactMap(Int64.init)
        guard numbers.count == values.count, !numbers.isEmpty else { return nil }
        if numbers.allSatisfy({ (946_684_800_000...4_102_444_800_000).contains($0) }) { return "milliseconds" }
        if numbers.allSatisfy({ (946_684_800...4_102_444_800).contains($0) }) { return "seconds" }
        return nil
    }
}
