import CCrypto

/// One-shot digests and MACs over OpenSSL libcrypto (MD5, SHA-256, SM3).
public enum Digest {
    /// A digest algorithm libcrypto knows by name.
    public enum Algorithm: String, Sendable {
        case md5 = "MD5"
        case sha256 = "SHA256"
        case sm3 = "SM3"
    }

    /// The raw digest of `bytes`.
    public static func hash(_ algorithm: Algorithm, _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let n = bytes.withUnsafeBufferPointer { input in
            dataflow_digest(algorithm.rawValue, input.baseAddress, input.count, &out, out.count)
        }
        precondition(n > 0, "libcrypto has no \(algorithm.rawValue) digest")
        return Array(out.prefix(Int(n)))
    }

    /// The raw HMAC of `bytes` under `key`.
    public static func hmac(_ algorithm: Algorithm, key: [UInt8], _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let n = key.withUnsafeBufferPointer { k in
            bytes.withUnsafeBufferPointer { input in
                dataflow_hmac(algorithm.rawValue, k.baseAddress, k.count, input.baseAddress, input.count, &out, out.count)
            }
        }
        precondition(n > 0, "libcrypto has no HMAC-\(algorithm.rawValue)")
        return Array(out.prefix(Int(n)))
    }

    /// Lower-case hex of `bytes`.
    public static func hex(_ bytes: some Sequence<UInt8>) -> String {
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        for b in bytes { out.append(digits[Int(b >> 4)]); out.append(digits[Int(b & 0x0F)]) }
        return String(decoding: out, as: UTF8.self)
    }

    /// `md5_hex_lower(text)` — the zj-irs signature primitive.
    public static func md5Hex(_ text: String) -> String { hex(hash(.md5, Array(text.utf8))) }
}

/// A reusable SHA-256 context for content hashes (one per sync, no allocation per row). The
/// row's bytes are gathered first and digested in one call: libcrypto's per-call dispatch and
/// buffer cleaning cost more than the digest itself for the thirty small pieces of a row.
///
/// ```swift
/// let hex = hasher.hexDigest { bytes in bytes.append(byte: 1); bytes.append("义乌市") }
/// ```
public final class ContentHasher {
    private let context: OpaquePointer
    /// The gathering buffer, kept between hashes for its capacity.
    private var spare = ContentBytes()

    public init() {
        guard let ctx = dataflow_sha256_new() else { fatalError("libcrypto has no SHA-256, or could not allocate its context") }
        context = ctx
        spare.bytes.reserveCapacity(1024)
    }

    deinit { dataflow_sha256_free(context) }

    /// The first 16 bytes of the SHA-256 of what `build` appends, as 32 hex characters. The
    /// buffer is the caller's own while `build` runs: appending to a property of this class
    /// instead cost an exclusivity check per piece, more than the appending.
    public func hexDigest(_ build: (inout ContentBytes) -> Void) -> String {
        var gathered = ContentBytes()
        swap(&gathered, &spare)
        gathered.bytes.removeAll(keepingCapacity: true)
        build(&gathered)
        var digest = (UInt64(0), UInt64(0), UInt64(0), UInt64(0))
        let hex = withUnsafeMutableBytes(of: &digest) { raw in
            let bytes = raw.bindMemory(to: UInt8.self)
            let rc = gathered.bytes.withUnsafeBufferPointer { dataflow_sha256_digest(context, $0.baseAddress, $0.count, bytes.baseAddress) }
            guard rc == 0 else { fatalError("libcrypto failed to compute a SHA-256") }
            return String(unsafeUninitializedCapacity: 32) { out in
                let digits: StaticString = "0123456789abcdef"
                for i in 0..<16 {
                    out[2 * i] = digits.utf8Start[Int(bytes[i] >> 4)]
                    out[2 * i + 1] = digits.utf8Start[Int(bytes[i] & 0x0F)]
                }
                return 32
            }
        }
        swap(&gathered, &spare)
        return hex
    }
}

/// The bytes of one content hash, gathered by `ContentHasher.hexDigest`.
public struct ContentBytes {
    public var bytes: [UInt8] = []

    public mutating func append(_ text: String) { bytes.append(contentsOf: text.utf8) }
    public mutating func append(byte: UInt8) { bytes.append(byte) }
    public mutating func append(_ raw: UnsafeRawBufferPointer) { bytes.append(contentsOf: raw) }
}
