import Foundation
import DataflowHTTP

/// Removes secrets from text before it leaves the process or reaches the warehouse.
///
/// One instance per run (or per command) knows every secret value configured in the project
/// (`Redactor(project:)`), every token the authenticators obtain while the run goes on
/// (`register(_:)`), the signatures of recent requests (`registerEphemeral(_:)`), and the names
/// of credential-like parameters (`key`, `token`, `secret`, `sign`, `password`, …, the same list
/// URLRedaction masks in URLs). It is thread-safe: datasets that run in parallel share it.
///
/// ```swift
/// let redactor = Redactor(project: project)
/// redactor.register(Secret(accessToken))                // an authenticator got a token
/// let stored = redactor.redact(error)                   // for the warehouse and JSON
/// Console.stderr(redactor.printable(error) + "\n")      // for a terminal or a text log
/// ```
///
/// A secret shorter than `minimumLength` characters is not searched for as a substring: a
/// 1-character password would otherwise turn every such letter of every message into `***`.
/// Short secrets are still masked where a credential is recognisable by its name (`key=…`,
/// `"token":"…"`, `Authorization: …`).
public final class Redactor: @unchecked Sendable {
    /// Secrets shorter than this are masked only where their name says what they are.
    public static let minimumLength = 6
    /// What a secret is replaced with.
    public static let mask = "***"
    /// How many per-request signatures are remembered (an error page echoes the latest ones).
    static let ephemeralLimit = 64

    private let lock = NSLock()
    /// Every form of every secret, longest first (so a whole value goes before its parts).
    private var forms: [String] = []
    private var known: Set<String> = []
    private var ephemeral: [String] = []
    /// The project's own dataset and source names (lower-cased): `licenses_auth_bearer: FAILED …`
    /// starts a message about a dataset, not an echoed header line, whatever words the name holds.
    private let ownNames: Set<String>

    /// A redactor that knows `secrets` (and masks credential-like parameters whatever it knows);
    /// `ownNames` are names of the project's datasets and sources, never taken for header names.
    public init(secrets: [Secret] = [], ownNames: [String] = []) {
        self.ownNames = Set(ownNames.map { $0.lowercased() })
        for secret in secrets { register(secret) }
    }

    /// A redactor that knows every secret configured in `project`: each source's auth values,
    /// credential-like header values, and the warehouse's and exchange databases' passwords.
    public convenience init(project: ProjectConfig) {
        self.init(secrets: project.secretValues,
                  ownNames: project.datasets.map(\.name) + project.sources.map(\.name))
    }

    /// Remembers a secret obtained at run time (a token, a request secret) for the rest of the run.
    public func register(_ secret: Secret) {
        register(secret.revealed)
    }

    /// Remembers a secret value for the rest of the run.
    public func register(_ value: String) {
        guard value.count >= Self.minimumLength else { return }
        lock.withLock {
            var changed = false
            for form in Self.forms(of: value) where known.insert(form).inserted {
                forms.append(form)
                changed = true
            }
            if changed { forms.sort { $0.count > $1.count } }
        }
    }

    /// Remembers a value that changes with every request (a signature): only the latest
    /// `ephemeralLimit` are kept, so a long run does not grow without bound.
    public func registerEphemeral(_ value: String) {
        guard value.count >= Self.minimumLength else { return }
        lock.withLock {
            if ephemeral.contains(value) { return }
            ephemeral.append(value)
            if ephemeral.count > Self.ephemeralLimit { ephemeral.removeFirst(ephemeral.count - Self.ephemeralLimit) }
        }
    }

    /// `text` with every known secret (whole, or cut short at the end of a truncated excerpt)
    /// and every credential-like parameter's value replaced by `***`. For the warehouse and JSON.
    public func redact(_ text: String) -> String {
        Self.maskingCredentialParameters(URLRedaction.maskingUserInfo(redactingKnownValues(text)), ownNames: ownNames)
    }

    /// A dataset's stored error on its way out (`status`, `catalog`): redacted again, and its
    /// personal data masked as a gateway excerpt is (`PIIText`), since a row written before
    /// excerpts were masked, or by another tool, may hold it in clear. Masked text stays as it is.
    public func redactingStoredError(_ text: String) -> String { PIIText.masked(redact(text)) }

    /// `text` with every known secret (whole, or cut short at the end of an excerpt) replaced by
    /// `***`, but no masking by parameter name: for records, whose fields may well be called
    /// `key` or `sign` and hold data.
    public func redactingKnownValues(_ text: String) -> String {
        let (secrets, recent) = lock.withLock { (forms, ephemeral) }
        var out = text
        for secret in secrets + recent.sorted(by: { $0.count > $1.count }) where out.contains(secret) {
            out = out.replacingOccurrences(of: secret, with: Self.mask)
        }
        return Self.maskingTruncatedSecrets(out, secrets + recent)
    }

    /// `redact(text)` with control characters and line breaks escaped: for a terminal, a text log
    /// or a table, where a gateway's newline or ANSI escape could forge a line or repaint the screen.
    public func printable(_ text: String) -> String {
        Self.escapingControls(redact(text))
    }

    /// `text` with control characters (C0, DEL, C1) and bidirectional overrides written as
    /// escapes: `\n`, `\r`, `\t`, else `\u{1B}`. Nothing else changes.
    public static func escapingControls(_ text: String) -> String {
        guard text.unicodeScalars.contains(where: needsEscape) else { return text }
        var out = ""
        out.reserveCapacity(text.utf8.count + 16)
        for scalar in text.unicodeScalars {
            guard needsEscape(scalar) else { out.unicodeScalars.append(scalar); continue }
            switch scalar {
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default: out += "\\u{" + String(scalar.value, radix: 16, uppercase: true) + "}"
            }
        }
        return out
    }

    static func needsEscape(_ scalar: Unicode.Scalar) -> Bool {
        let v = scalar.value
        return v < 0x20 || (0x7F...0x9F).contains(v) || v == 0x200E || v == 0x200F
            || (0x202A...0x202E).contains(v) || (0x2066...0x2069).contains(v)
    }

    /// The forms a secret takes in an echoed request: as is, percent-encoded (query strings; hex
    /// digits upper or lower case, once or twice encoded), form-encoded, JSON-escaped, and
    /// HTML-escaped (named entities, or every character outside letters and digits as a decimal or
    /// hexadecimal character reference, as HTML encoders write them).
    static func forms(of value: String) -> [String] {
        let encoded = QueryString.encode(value)
        func lowerHex(_ s: String) -> String {
            s.replacing(#/%[0-9A-F]{2}/#) { $0.output.lowercased() }
        }
        func references(_ hex: Bool, upper: Bool = false) -> String {
            value.unicodeScalars.map { c -> String in
                if c.isASCII, c.properties.isAlphabetic || ("0"..."9").contains(c) { return String(c) }
                return hex ? "&#x" + String(c.value, radix: 16, uppercase: upper) + ";" : "&#\(c.value);"
            }.joined()
        }
        var forms = [value, encoded, lowerHex(encoded), encoded.replacingOccurrences(of: "%20", with: "+"),
                     QueryString.encode(encoded), lowerHex(QueryString.encode(encoded)),
                     value.replacingOccurrences(of: "/", with: "\\/"),
                     value.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                        .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&quot;"),
                     references(false), references(true), references(true, upper: true)]
        var seen: Set<String> = []
        forms.removeAll { !seen.insert($0).inserted }
        return forms
    }

    /// A secret cut short where an excerpt ends (`…` or the end of the text) is still a secret:
    /// replaces the longest prefix (at least `minimumLength` characters) found there.
    static func maskingTruncatedSecrets(_ text: String, _ secrets: [String]) -> String {
        guard !secrets.isEmpty else { return text }
        var characters = Array(text)
        // Excerpt ends, last first, so replacing one leaves the offsets of the earlier ones valid.
        let ends = ([characters.count] + characters.indices.filter { characters[$0] == "…" }.reversed())
        for end in ends {
            var longest = 0
            for secret in secrets {
                let prefix = Array(secret.dropLast())
                var k = min(prefix.count, end)
                while k >= minimumLength, k > longest {
                    if characters[(end - k)..<end].elementsEqual(prefix[0..<k]) { longest = k; break }
                    k -= 1
                }
            }
            if longest > 0 { characters.replaceSubrange((end - longest)..<end, with: Array(mask)) }
        }
        return String(characters)
    }

    /// Masks the values of credential-like parameters in free text: `name=value` (query strings,
    /// forms), `"name": "value"` (JSON) and `Name: value` header lines, where the name is one
    /// URLRedaction calls credential-like.
    public static func maskingCredentialParameters(_ text: String, ownNames: Set<String> = []) -> String {
        guard text.contains("=") || text.contains(":"), URLRedaction.isCredentialName(text) else { return text }
        var out = text
        out = replace(out, #/([A-Za-z0-9_.\-\[\]]+)=([^&\s"'<>;,#]+)/#) { ("", $0.1, $0.2, "=") }
        out = replace(out, #/"([A-Za-z0-9_.\-]+)"\s*:\s*"((?:[^"\\]|\\.)*)"/#) { ("", $0.1, $0.2, "\":\"") }
        // A header line: a name at the start of a line (or after a space or a tag), `:`, a space,
        // the rest of the line. Header names are written with dashes (`X-Auth-Token`); a name with
        // an underscore, or one of the project's own dataset and source names, starts one of our
        // own messages (`licenses_auth_bearer: FAILED — …`), which must stay readable.
        out = replace(out, #/(?m)(^|[\s>])([A-Za-z][A-Za-z0-9\-]*):[ \t]+([^\r\n<]+)/#, skipping: ownNames) { ($0.1, $0.2, $0.3, ": ") }
        return out
    }

    /// Rewrites each match whose name is credential-like as `lead + name + separator + ***`
    /// (a JSON match keeps its quotes).
    private static func replace<Output>(_ text: String, _ pattern: Regex<Output>, skipping ownNames: Set<String> = [],
                                        parts: (Output) -> (lead: Substring, name: Substring, value: Substring, separator: String)) -> String {
        var out = ""
        var rest = text[...]
        var changed = false
        while let match = rest.firstMatch(of: pattern), !match.range.isEmpty {
            out += rest[..<match.range.lowerBound]
            let p = parts(match.output)
            if p.value != Substring(mask), URLRedaction.isCredentialName(String(p.name)), !ownNames.contains(p.name.lowercased()) {
                let quote = p.separator.hasPrefix("\"") ? "\"" : ""
                out += p.lead + quote + p.name + p.separator + mask + quote
                changed = true
            } else {
                out += rest[match.range]
            }
            rest = rest[match.range.upperBound...]
        }
        return changed ? out + rest : text
    }
}

extension ProjectConfig {
    /// Every secret value the configuration holds (never printed; for `Redactor`).
    public var secretValues: [Secret] {
        var secrets: [Secret] = []
        if case .postgres(let location) = warehouse, let password = location.password { secrets.append(password) }
        for source in sources {
            secrets += source.auth.secretValues
            for (name, value) in source.headers where URLRedaction.isCredentialName(name) { secrets.append(Secret(value)) }
            if case .postgres(let location)? = source.sql, let password = location.password { secrets.append(password) }
            if let proxy = source.proxy, let password = SourceParser.proxyPassword(proxy) { secrets.append(Secret(password)) }
        }
        return secrets
    }
}
