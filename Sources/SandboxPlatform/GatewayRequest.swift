import NIOHTTP1

/// One HTTP request as the router sees it: method, path and decoded query parameters.
struct GatewayRequest: Sendable {
    let method: HTTPMethod
    let path: String
    /// Decoded query parameters; the first occurrence of a name wins.
    let query: [String: String]
    /// Request headers (names as sent).
    let headers: HTTPHeaders
    /// The request body (form posts to the OAuth token endpoint).
    let body: [UInt8]

    init(method: HTTPMethod, uri: String, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        path = String(parts.first ?? "")
        query = parts.count > 1 ? Self.parseQuery(parts[1]) : [:]
        self.headers = headers
        self.body = body
    }

    /// The first value of a header, case-insensitively.
    func header(_ name: String) -> String? { headers[name].first }

    /// Parses `a=1&b=x+y%2F`: `+` is a space, `%XX` a byte; malformed escapes stay literal.
    static func parseQuery(_ text: Substring) -> [String: String] {
        var parameters: [String: String] = [:]
        for pair in text.split(separator: "&", omittingEmptySubsequences: true) {
            let nameAndValue = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(nameAndValue[0])
            let value = nameAndValue.count > 1 ? percentDecode(nameAndValue[1]) : ""
            if parameters[name] == nil { parameters[name] = value }
        }
        return parameters
    }

    /// Decodes `application/x-www-form-urlencoded` text into a UTF-8 string.
    static func percentDecode(_ text: Substring) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else { return String(text) }
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                decoded.append(UInt8(ascii: " "))
            } else if byte == UInt8(ascii: "%"), index + 2 < bytes.count,
                      let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) {
                decoded.append(high << 4 | low)
                index += 2
            } else {
                decoded.append(byte)
            }
            index += 1
        }
        return String(decoding: decoded, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
