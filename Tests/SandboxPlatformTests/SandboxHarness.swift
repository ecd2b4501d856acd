import Foundation
@testable import SandboxPlatform

/// An in-process sandbox on an ephemeral port, with helpers that speak the zj-irs protocol.
struct SandboxHarness: Sendable {
    static let licencesPath = "/gateway/api/001003001/dataSharing/licenses.htm"
    static let casesPath = "/gateway/api/001008002/dataSharing/serviceCases.htm"

    let server: SandboxServer
    var configuration: SandboxConfiguration { server.configuration }

    /// Starts a sandbox (one event-loop thread, small data unless configured), runs `body`, stops it.
    static func with(
        _ configure: (inout SandboxConfiguration) -> Void = { _ in },
        _ body: (SandboxHarness) async throws -> Void
    ) async throws {
        var configuration = SandboxConfiguration()
        configuration.rows = 200
        configuration.threads = 1
        configure(&configuration)
        let server = try await SandboxServer.start(configuration)
        do {
            try await body(SandboxHarness(server: server))
        } catch {
            try? await server.shutdown()
            throw error
        }
        try await server.shutdown()
    }

    /// One request on a fresh connection.
    func request(_ method: String = "GET", _ target: String) throws -> TestHTTPResponse {
        try TestHTTPConnection(port: server.port).send(method, target, closing: true)
    }

    /// Percent-encodes a query value (space as `+`).
    static func encode(_ value: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return (value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value).replacingOccurrences(of: "%20", with: "+")
    }

    static func md5(_ text: String) -> String {
        MD5.hexLower(text) ?? ""
    }

    /// `refreshTokenByKey` with a correct (or given) sign.
    func tokenByKey(appKey: String? = nil, sign: String? = nil) throws -> TestHTTPResponse {
        let key = appKey ?? configuration.appKey
        let time = "1767225600000"
        let signature = sign ?? Self.md5(key + configuration.appSecret + time)
        return try request("GET", "/gateway/app/refreshTokenByKey.htm?appKey=\(Self.encode(key))&requestTime=\(time)&sign=\(signature)")
    }

    /// A fresh requestSecret (and its refreshSecret).
    func secrets() throws -> (request: String, refresh: String) {
        let datas = try tokenByKey().json["datas"] as? [String: Any] ?? [:]
        guard let request = datas["requestSecret"] as? String, let refresh = datas["refreshSecret"] as? String else {
            throw TestHTTPError(description: "no secrets in token response")
        }
        return (request, refresh)
    }

    /// `refreshTokenBySec` signed with `refreshSecret`.
    func tokenBySecret(_ refreshSecret: String) throws -> TestHTTPResponse {
        let time = "1767225600123"
        let sign = Self.md5(configuration.appKey + refreshSecret + time)
        return try request("GET", "/gateway/app/refreshTokenBySec.htm?appKey=\(configuration.appKey)&requestTime=\(time)&sign=\(sign)")
    }

    /// The target of a signed data request.
    func dataTarget(_ path: String, secret: String, pageNum: Int = 1, pageSize: Int = 100, startTime: String? = nil) -> String {
        let time = String(Int64(Date().timeIntervalSince1970 * 1000))
        let sign = Self.md5(configuration.appKey + secret + time)
        var target = "\(path)?appKey=\(configuration.appKey)&requestTime=\(time)&sign=\(sign)&pageNum=\(pageNum)&pageSize=\(pageSize)"
        if let startTime { target += "&startTime=\(Self.encode(startTime))" }
        return target
    }

    /// One decoded data page: the envelope code, and for `00` the total and list.
    struct Page {
        let code: String
        let message: String
        let total: Int
        let list: [[String: Any]]
    }

    func page(_ path: String, secret: String, pageNum: Int = 1, pageSize: Int = 100, startTime: String? = nil) throws -> Page {
        let response = try request("GET", dataTarget(path, secret: secret, pageNum: pageNum, pageSize: pageSize, startTime: startTime))
        return try Self.decodePage(response)
    }

    static func decodePage(_ response: TestHTTPResponse) throws -> Page {
        let envelope = response.json
        let code = envelope["code"] as? String ?? "?"
        let message = envelope["msg"] as? String ?? ""
        var datas = envelope["datas"]
        if let text = datas as? String {
            datas = try JSONSerialization.jsonObject(with: Data(text.utf8))
        }
        let object = datas as? [String: Any] ?? [:]
        return Page(code: code, message: message, total: object["total"] as? Int ?? -1, list: object["list"] as? [[String: Any]] ?? [])
    }

    /// Every record of a dataset from `/_control/truth`, in serving order.
    func truth(_ dataset: String) throws -> [[String: String]] {
        let response = try request("GET", "/_control/truth?dataset=\(dataset)")
        return response.text.split(separator: "\n").map { line in
            (try? JSONSerialization.jsonObject(with: Data(line.utf8))) as? [String: String] ?? [:]
        }
    }

    /// Every record fetched through the gateway, page by page.
    func pageAll(_ path: String, secret: String, pageSize: Int, startTime: String? = nil) throws -> [[String: Any]] {
        var records: [[String: Any]] = []
        var pageNum = 1
        while true {
            let page = try page(path, secret: secret, pageNum: pageNum, pageSize: pageSize, startTime: startTime)
            guard page.code == "00" else { throw TestHTTPError(description: "page \(pageNum) answered \(page.code) \(page.message)") }
            records += page.list
            if page.list.count < pageSize { return records }
            pageNum += 1
        }
    }

    func post(_ target: String) throws -> [String: Any] {
        try request("POST", target).json
    }
}
