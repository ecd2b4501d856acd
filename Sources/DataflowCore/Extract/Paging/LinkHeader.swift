import Foundation

/// RFC 8288 `Link` header parsing: finds the target of a relation such as `next`.
///
/// ```swift
/// LinkHeader.target(rel: "next", in: [#"<https://x/a?page=2>; rel="next", <https://x/a?page=9>; rel="last""#])
/// // "https://x/a?page=2"
/// ```
public enum LinkHeader {
    /// The first link whose `rel` (a space-separated list, case-insensitive) contains `rel`.
    public static func target(rel: String, in values: [String]) -> String? {
        for value in values {
            var rest = Substring(value)
            while let open = rest.firstIndex(of: "<") {
                guard let close = rest[open...].firstIndex(of: ">") else { break }
                let target = rest[rest.index(after: open)..<close]
                let paramsEnd = nextLinkStart(rest[rest.index(after: close)...]) ?? rest.endIndex
                let params = rest[rest.index(after: close)..<paramsEnd]
                for param in params.split(separator: ";") {
                    let kv = param.split(separator: "=", maxSplits: 1)
                    guard kv.count == 2, kv[0].trimmingCharacters(in: .whitespaces).lowercased() == "rel" else { continue }
                    let rels = kv[1].trimmingCharacters(in: .whitespaces).trimmingCharacters(in: CharacterSet(charactersIn: "\""))
                    if rels.lowercased().split(separator: " ").contains(Substring(rel.lowercased())) { return String(target) }
                }
                rest = rest[paramsEnd...]
            }
        }
        return nil
    }

    /// Where the next `<` that starts a link is (a `,` outside quotes, then `<`).
    private static func nextLinkStart(_ text: Substring) -> Substring.Index? {
        var inQuotes = false
        var i = text.startIndex
        while i < text.endIndex {
            let c = text[i]
            if c == "\"" { inQuotes.toggle() }
            if c == "<" && !inQuotes { return i }
            i = text.index(after: i)
        }
        return nil
    }
}
