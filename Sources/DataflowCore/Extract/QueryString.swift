/// Percent-encoding for query strings (RFC 3986 unreserved characters pass through).
public enum QueryString {
    static let unreserved: Set<UInt8> = Set(Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~".utf8))

    public static func encode(_ s: String) -> String {
        var out = ""
        for b in s.utf8 {
            if unreserved.contains(b) { out.unicodeScalars.append(Unicode.Scalar(b)) } else {
                out += "%" + String(b, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }

    /// `a=1&b=x%20y` in the given order.
    public static func build(_ params: [(String, String)]) -> String {
        params.map { encode($0.0) + "=" + encode($0.1) }.joined(separator: "&")
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { count >= width ? self : String(repeating: "0", count: width - count) + self }
}

/// Fills `${county.code}` and `${county.name}` in request parameter templates.
public struct RequestTemplate: Sendable {
    public var county: County

    public init(county: County) { self.county = county }

    public func fill(_ text: String) -> String {
        guard text.contains("${") else { return text }
        return text.replacingOccurrences(of: "${county.code}", with: county.code)
            .replacingOccurrences(of: "${county.name}", with: county.name)
    }
}
