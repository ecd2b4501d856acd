import CCrypto

/// Verifies the open routes' auth styles against the one registered credential pair: the
/// sandbox's appKey (access key, client id, user, paasid) and appSecret (secret, token, password,
/// api key, client secret).
struct SignatureCheck: Sendable {
    let state: SandboxState

    /// Auth styles of `/open/{auth}/…`. `bcdsg` checks a signature over the percent-encoded
    /// query, `bcdsg-decoded` one over the decoded query (gateways differ; `query_values:`).
    static let styles: Set<String> = ["none", "bearer", "basic", "apikey-header", "apikey-query", "bcdsg", "bcdsg-decoded", "shandong", "hmac-sm3",
                                      "tif", "oauth2", "zjirs-headers"]

    /// nil when `request` passes `style`, else why not (sent as a 401 body).
    func refusal(_ style: String, _ request: GatewayRequest) -> String? {
        let key = state.appKey, secret = state.appSecret
        switch style {
        case "none": return nil
        case "bearer":
            return request.header("Authorization") == "Bearer " + secret ? nil : "bearer token missing or wrong"
        case "basic":
            return request.header("Authorization") == "Basic " + Self.base64(Array((key + ":" + secret).utf8)) ? nil : "basic credentials missing or wrong"
        case "apikey-header":
            return request.header("X-API-Key") == secret ? nil : "X-API-Key missing or wrong"
        case "apikey-query":
            return request.query["api_key"] == secret ? nil : "api_key missing or wrong"
        case "bcdsg", "bcdsg-decoded", "hmac-sm3":
            let names = style != "hmac-sm3"
                ? (key: "X-BG-HMAC-ACCESS-KEY", date: "X-BG-DATE-TIME", sign: "X-BG-HMAC-SIGNATURE")
                : (key: "X-Key", date: "X-Time", sign: "X-Sign")
            guard request.header(names.key) == key, let date = request.header(names.date), let sign = request.header(names.sign) else {
                return "\(names.key), \(names.date) and \(names.sign) are required"
            }
            let sorted = request.query.sorted { $0.key < $1.key }
            let sortedQuery = style == "bcdsg-decoded"
                ? sorted.map { $0.key + "=" + $0.value }.joined(separator: "&")
                : sorted.map { Self.encode($0.key) + "=" + Self.encode($0.value) }.joined(separator: "&")
            if style != "hmac-sm3" {
                guard request.header("X-BG-HMAC-ALGORITHM") == "hmac-sha256" else { return "X-BG-HMAC-ALGORITHM must be hmac-sha256" }
                let text = "\(request.method.rawValue)\n\(request.path)\n\(sortedQuery)\n\(key)\n\(date)\n"
                // The real gateway's words ({"message":"Invalid signature"}), then which check failed.
                return Self.base64(Self.hmac("SHA256", secret, text)) == sign ? nil : "Invalid signature (X-BG-HMAC-SIGNATURE does not match)"
            }
            let text = "\(request.method.rawValue)\n\(request.path)\n\(sortedQuery)\n\(key)\n\(date)"
            return Self.hex(Self.hmac("SM3", secret, text)) == sign ? nil : "X-Sign (hex HMAC-SM3) does not match"
        case "shandong":
            guard request.header("X-Client-Id") == key, let ts = request.header("X-Timestamp"), let nonce = request.header("X-Nonce"),
                  let sign = request.header("X-Signature") else { return "X-Client-Id, X-Timestamp, X-Nonce and X-Signature are required" }
            return Self.base64(Self.hmac("SHA256", secret, key + ts + nonce)) == sign ? nil : "X-Signature does not match"
        case "tif":
            guard request.header("x-tif-paasid") == key, let ts = request.header("x-tif-timestamp"), let nonce = request.header("x-tif-nonce"),
                  let sign = request.header("x-tif-signature") else { return "x-tif-paasid, x-tif-timestamp, x-tif-nonce and x-tif-signature are required" }
            return Self.hex(Self.digest("SHA256", Array((ts + secret + nonce + ts).utf8))) == sign ? nil : "x-tif-signature does not match"
        case "oauth2":
            guard let value = request.header("Authorization"), value.hasPrefix("Bearer ") else { return "no bearer token" }
            return state.oauthTokenIsValid(String(value.dropFirst(7))) ? nil : "access token unknown or expired"
        case "zjirs-headers":
            guard let appKey = request.header("appkey"), let time = request.header("requestTime"), let sign = request.header("sign") else {
                return "headers appkey, requestTime and sign are required"
            }
            switch state.verifyZJIRS(appKey: appKey, requestTime: time, sign: sign) {
            case nil: return nil
            case .signature?: return "signature error"
            case .expired?: return "requestSecret expired"
            }
        default: return "unknown auth style \(style)"
        }
    }

    static func hmac(_ name: String, _ key: String, _ text: String) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let k = Array(key.utf8), d = Array(text.utf8)
        let n = dataflow_hmac(name, k, k.count, d, d.count, &out, out.count)
        return Array(out.prefix(Int(max(0, n))))
    }

    static func digest(_ name: String, _ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: 64)
        let n = dataflow_digest(name, bytes, bytes.count, &out, out.count)
        return Array(out.prefix(Int(max(0, n))))
    }

    static func hex(_ bytes: [UInt8]) -> String {
        let digits = Array("0123456789abcdef".utf8)
        return String(decoding: bytes.flatMap { [digits[Int($0 >> 4)], digits[Int($0 & 15)]] }, as: UTF8.self)
    }

    static func base64(_ bytes: [UInt8]) -> String {
        let table = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
        var out: [UInt8] = []
        var i = 0
        while i < bytes.count {
            let b0 = bytes[i], b1 = i + 1 < bytes.count ? bytes[i + 1] : 0, b2 = i + 2 < bytes.count ? bytes[i + 2] : 0
            out.append(table[Int(b0 >> 2)])
            out.append(table[Int((b0 & 3) << 4 | b1 >> 4)])
            out.append(i + 1 < bytes.count ? table[Int((b1 & 15) << 2 | b2 >> 6)] : UInt8(ascii: "="))
            out.append(i + 2 < bytes.count ? table[Int(b2 & 63)] : UInt8(ascii: "="))
            i += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// RFC 3986 percent-encoding (unreserved characters pass), as the client's signer uses.
    static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            switch b {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                out.unicodeScalars.append(Unicode.Scalar(b))
            default:
                let h = Array("0123456789ABCDEF".utf8)
                out += "%" + String(decoding: [h[Int(b >> 4)], h[Int(b & 15)]], as: UTF8.self)
            }
        }
        return out
    }
}
