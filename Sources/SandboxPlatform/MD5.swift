import CCrypto

/// MD5 over OpenSSL libcrypto, as the zj-irs signature needs (`md5_hex_lower`).
enum MD5 {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Lower-case hex MD5 of the UTF-8 bytes of `text`; nil only if libcrypto lacks MD5.
    static func hexLower(_ text: String) -> String? {
        var input = Array(text.utf8)
        var digest = [UInt8](repeating: 0, count: 64)
        let length = input.withUnsafeMutableBufferPointer { inputBytes in
            digest.withUnsafeMutableBufferPointer { out in
                dataflow_digest("MD5", inputBytes.baseAddress, inputBytes.count, out.baseAddress, out.count)
            }
        }
        guard length == 16 else { return nil }
        var hex = [UInt8]()
        hex.reserveCapacity(32)
        for byte in digest[0..<16] {
            hex.append(hexDigits[Int(byte >> 4)])
            hex.append(hexDigits[Int(byte & 0x0F)])
        }
        return String(decoding: hex, as: UTF8.self)
    }
}
