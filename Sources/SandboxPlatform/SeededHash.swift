/// Stateless SplitMix64 hashing: every synthetic value is a pure function of (seed, stream, index).
///
/// ```swift
/// let hash = SeededHash(seed: 42)
/// let pick = hash.value(stream: 7, index: 1_234) % 11
/// ```
struct SeededHash: Sendable {
    let seed: UInt64

    /// A well-mixed 64-bit value for `(seed, stream, index, salt)`.
    func value(stream: UInt64, index: UInt64, salt: UInt64 = 0) -> UInt64 {
        Self.mix(Self.mix(Self.mix(seed ^ (stream &* 0xD6E8_FEB8_6659_FD93)) ^ index) ^ salt)
    }

    /// A value uniformly in `0..<bound` (bound > 0); modulo bias is irrelevant at these sizes.
    func below(_ bound: Int, stream: UInt64, index: UInt64, salt: UInt64 = 0) -> Int {
        Int(value(stream: stream, index: index, salt: salt) % UInt64(bound))
    }

    /// `(value · multiplier + offset) mod modulus` without overflow: with `multiplier` coprime to
    /// `modulus` this is a bijection on `0..<modulus`, which keeps generated keys unique.
    static func affine(_ value: UInt64, multiplier: UInt64, offset: UInt64, modulus: UInt64) -> UInt64 {
        let product = value.multipliedFullWidth(by: multiplier)
        let remainder = modulus.dividingFullWidth((product.high % modulus, product.low)).remainder
        let sum = remainder.addingReportingOverflow(offset % modulus)
        return sum.overflow || sum.partialValue >= modulus ? sum.partialValue &- modulus : sum.partialValue
    }

    /// The SplitMix64 finaliser.
    static func mix(_ input: UInt64) -> UInt64 {
        var z = input &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

/// A sequential SplitMix64 generator, for choices that depend on earlier choices (mutation picks).
struct SplitMix64: RandomNumberGenerator, Sendable {
    private var state: UInt64

    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
