import Foundation
import DataflowHTTP

/// `type: tif` — Guangdong Tencent TIF (`paas_id`, `token`).
public struct TIFAuth: AuthStyle {
    public static let type = "tif"
    public var paasID: String
    public var token: Secret

    public static func parse(_ a: inout MappingReader) throws(ConfigError) -> TIFAuth {
        TIFAuth(paasID: try a.requiredString("paas_id"), token: try a.requiredSecret("token"))
    }

    public var secretValues: [Secret] { [token] }
    public func makeAuthenticator(_ context: AuthContext) -> Authenticator { TIFAuthenticator(paasID: paasID, token: token, redactor: context.redactor) }
}

/// Guangdong Tencent TIF gateway signing: `x-tif-paasid`, `x-tif-timestamp` (epoch seconds),
/// `x-tif-nonce`, and `x-tif-signature = hex(SHA256(timestamp + token + nonce + timestamp))`.
public final class TIFAuthenticator: Authenticator {
    let paasID: String
    let token: Secret
    let clock: () -> Double
    let nonce: () -> String
    let redactor: Redactor

    /// - Parameters:
    ///   - redactor: learns each signature sent.
    ///   - clock: epoch seconds now.
    public init(paasID: String, token: Secret, redactor: Redactor, clock: @escaping () -> Double = { Date().timeIntervalSince1970 },
                nonce: @escaping () -> String = { UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased() }) {
        self.paasID = paasID
        self.token = token
        self.clock = clock
        self.nonce = nonce
        self.redactor = redactor
    }

    public func authorize(_ request: inout OutgoingRequest) throws {
        let timestamp = String(Int64(clock()))
        let n = nonce()
        request.headers.append(HTTPHeader(name: "x-tif-paasid", value: paasID))
        request.headers.append(HTTPHeader(name: "x-tif-timestamp", value: timestamp))
        request.headers.append(HTTPHeader(name: "x-tif-nonce", value: n))
        let signature = TIFAuthenticator.signature(timestamp: timestamp, token: token, nonce: n)
        redactor.registerEphemeral(signature)
        request.headers.append(HTTPHeader(name: "x-tif-signature", value: signature))
    }

    /// `hex(SHA256(timestamp + token + nonce + timestamp))`.
    public static func signature(timestamp: String, token: Secret, nonce: String) -> String {
        Digest.hex(Digest.hash(.sha256, Array((timestamp + token.revealed + nonce + timestamp).utf8)))
    }
}
