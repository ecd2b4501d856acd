import Foundation
import DataflowHTTP

/// HMAC request signing with configurable headers, string-to-sign, digest and encoding.
///
/// Two built-in styles: Zhejiang `bcdsg` (`X-BG-HMAC-ACCESS-KEY`, `X-BG-HMAC-ALGORITHM`,
/// `X-BG-DATE-TIME` in RFC 1123 GMT, `X-BG-HMAC-SIGNATURE = base64(HMAC-SHA256(secret,
/// METHOD\nPATH\nsortedQuery\naccessKey\ndate\n))`) and `shandong` (`X-Client-Id`, `X-Timestamp`
/// in ms, `X-Nonce`, `X-Signature = base64(HMAC-SHA256(secret, clientId + timestamp + nonce))`).
///
/// The template's placeholders: `{method}`, `{path}`, `{query}` (parameters sorted by name,
/// `a=1&b=2`, RFC 3986-encoded or decoded as `query_values` says), `{access_key}`, `{date}`
/// (the timestamp as sent), `{nonce}`.
public final class HMACAuthenticator: Authenticator {
    let config: HMACAuthConfig
    let clock: () -> Double
    let nonce: () -> String
    let redactor: Redactor

    /// - Parameters:
    ///   - redactor: learns each signature sent.
    ///   - clock: epoch seconds now.
    ///   - nonce: a fresh random nonce per request.
    public init(config: HMACAuthConfig, redactor: Redactor, clock: @escaping () -> Double = { Date().timeIntervalSince1970 },
                nonce: @escaping () -> String = { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }) {
        self.config = config
        self.clock = clock
        self.nonce = nonce
        self.redactor = redactor
    }

    public func authorize(_ request: inout OutgoingRequest) throws {
        let date = config.timestamp.render(epochSeconds: clock())
        let nonceValue = config.headers.nonce == nil && !config.stringToSign.contains("{nonce}") ? "" : nonce()
        let text = HMACAuthenticator.stringToSign(config.stringToSign, method: request.method, path: request.path, query: request.query,
                                                  queryValues: config.queryValues, accessKey: config.accessKey, date: date, nonce: nonceValue)
        let signature = HMACAuthenticator.sign(text, secret: config.secret, algorithm: config.algorithm, encoding: config.encoding)
        redactor.registerEphemeral(signature)
        let h = config.headers
        request.headers.append(HTTPHeader(name: h.accessKey, value: config.accessKey))
        if let name = h.algorithm { request.headers.append(HTTPHeader(name: name, value: config.algorithm.rawValue)) }
        request.headers.append(HTTPHeader(name: h.date, value: date))
        if let name = h.nonce { request.headers.append(HTTPHeader(name: name, value: nonceValue)) }
        request.headers.append(HTTPHeader(name: h.signature, value: signature))
    }

    /// A refused request whose signed query has characters that percent-encode may be signed in
    /// the other form than the gateway's: say so, naming the setting.
    public func refusalHint(for request: OutgoingRequest) -> String? {
        guard config.stringToSign.contains("{query}"),
              let odd = request.query.first(where: { QueryString.encode($0.0) != $0.0 || QueryString.encode($0.1) != $0.1 }) else { return nil }
        let other: HMACAuthConfig.QueryValues = config.queryValues == .encoded ? .decoded : .encoded
        return "the signed query has characters that percent-encode (\(odd.0)=\(odd.1)) and dataflow signed them \(config.queryValues.rawValue): "
            + "if the access key and secret are right, the gateway may sign them \(other.rawValue) — set `query_values: \(other.rawValue)` in this source's hmac auth"
    }

    /// Fills the template.
    public static func stringToSign(_ template: String, method: String, path: String, query: [(String, String)],
                                    queryValues: HMACAuthConfig.QueryValues = .encoded, accessKey: String, date: String, nonce: String) -> String {
        let sorted = query.sorted { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        let queryText = queryValues == .encoded ? QueryString.build(sorted) : sorted.map { $0.0 + "=" + $0.1 }.joined(separator: "&")
        return template.replacingOccurrences(of: "{method}", with: method.uppercased())
            .replacingOccurrences(of: "{path}", with: path)
            .replacingOccurrences(of: "{query}", with: queryText)
            .replacingOccurrences(of: "{access_key}", with: accessKey)
            .replacingOccurrences(of: "{date}", with: date)
            .replacingOccurrences(of: "{nonce}", with: nonce)
    }

    /// The encoded MAC of `text`.
    public static func sign(_ text: String, secret: Secret, algorithm: HMACAuthConfig.Algorithm, encoding: HMACAuthConfig.Encoding) -> String {
        let mac = Digest.hmac(algorithm == .hmacSM3 ? .sm3 : .sha256, key: Array(secret.revealed.utf8), Array(text.utf8))
        return encoding == .base64 ? Data(mac).base64EncodedString() : Digest.hex(mac)
    }
}
