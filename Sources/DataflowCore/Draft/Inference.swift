/// One decision of the drafter: the value it chose, the evidence (counts from the sample) and
/// whether a human should look at it before the first sync.
///
/// ```swift
/// let check = Inference(FieldCheck.named(.uscc), "1,987/2,000 valid GB 32100 check characters")
/// check.comment   // "1,987/2,000 valid GB 32100 check characters"
/// ```
public struct Inference<Value: Sendable>: Sendable {
    /// How sure the drafter is.
    public enum Confidence: Sendable, Equatable {
        /// The sample supports it; written as a plain comment.
        case certain
        /// The sample cannot settle it; written as `# CHECK:`.
        case uncertain
    }

    public var value: Value
    public var evidence: String
    public var confidence: Confidence

    public init(_ value: Value, _ evidence: String, _ confidence: Confidence = .certain) {
        self.value = value
        self.evidence = evidence
        self.confidence = confidence
    }

    /// The evidence as the text of a YAML comment (without `# `).
    public var comment: String { confidence == .uncertain ? "CHECK: " + evidence : evidence }
}

/// Counts written the way the evidence comments write them: `1,987`.
enum Count {
    static func text(_ n: Int) -> String {
        let digits = String(n.magnitude)
        var out = ""
        for (i, c) in digits.enumerated() {
            if i > 0, (digits.count - i) % 3 == 0 { out.append(",") }
            out.append(c)
        }
        return n < 0 ? "-" + out : out
    }

    /// `1,987/2,000`.
    static func ratio(_ part: Int, _ whole: Int) -> String { text(part) + "/" + text(whole) }
}
