import Testing
@testable import DataflowCore

@Suite("Digests and signatures")
struct DigestTests {
    @Test func md5KnownVectors() {
        #expect(Digest.md5Hex("") == "d41d8cd98f00b204e9800998ecf8427e")
        #expect(Digest.md5Hex("sandbox-app" + "sandbox-secret" + "1700000000000") == "51f7241c96aec0265435c24e76c8bd48")
    }

    /// The content hash stored in every row's `_hash`: the first 16 bytes of SHA-256 of the row's
    /// pieces in order, whatever way they are fed, and the same after an earlier hash of other
    /// bytes (the buffer and the context are reused; a change here would make every stored row
    /// look changed on the next sync).
    @Test func contentHashIsTheSHA256PrefixOfThePiecesInOrder() {
        let hasher = ContentHasher()
        _ = hasher.hexDigest { $0.append(String(repeating: "leftover of an earlier row ", count: 100)) }
        #expect(hasher.hexDigest { _ in } == "e3b0c44298fc1c149afbf4c8996fb924", "SHA-256 of nothing")
        let pieces = [1] + Array("义乌市远宏电子商务有限公司".utf8) + [0x1F, 0x00] + Array(repeating: UInt8(ascii: "x"), count: 3000)
        for _ in 0..<3 {
            let hex = hasher.hexDigest { bytes in
                bytes.append(byte: 1)
                bytes.append("义乌市远宏电子商务有限公司")
                [UInt8]([0x1F, 0x00]).withUnsafeBytes { bytes.append($0) }
                bytes.append(String(repeating: "x", count: 3000))
            }
            #expect(hex == Digest.hex(Digest.hash(.sha256, pieces).prefix(16)))
        }
        #expect(hasher.hexDigest { $0.append("abc") } == "ba7816bf8f01cfea414140de5dae2223", "FIPS 180-2 vector, first 16 bytes")
        // Two hashers do not share state.
        let other = ContentHasher()
        #expect(other.hexDigest { $0.append("abc") } == hasher.hexDigest { $0.append("abc") })
    }

    @Test func zjIRSSignIsMD5OfKeySecretAndTime() {
        let sign = ZJIRSAuthenticator.sign(appKey: "sandbox-app", secret: Secret("sandbox-secret"), requestTime: "1700000000000")
        #expect(sign == "51f7241c96aec0265435c24e76c8bd48")
    }

    @Test("SM3 (GB/T 32905) standard vectors")
    func sm3Vectors() {
        #expect(Digest.hex(Digest.hash(.sm3, Array("abc".utf8))) == "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0")
        let sixtyFour = Array(String(repeating: "abcd", count: 16).utf8)
        #expect(Digest.hex(Digest.hash(.sm3, sixtyFour)) == "debe9ff92275b8a138604889c18e5a4d6fdb70e5387e5765293dcba39c0c5732")
    }

    @Test func secretsNeverPrint() {
        let s = Secret("top-secret-value")
        #expect("\(s)" == "***")
        #expect(String(describing: s) == "***")
        #expect(String(reflecting: s) == "Secret(***)")
    }
}
