import Foundation

/// Short, printable excerpts of response bodies for error messages, with the run's secrets
/// redacted and then personal data masked (`PIIText`): an error page can echo the request's
/// credentials and the records it choked on, and the excerpt goes to stderr, the log, the
/// warehouse's error column, `status` and the catalogue. Secrets go first: masking a phone-like
/// run of digits inside an echoed key would leave the rest of the key in a form the redactor no
/// longer recognises.
///
/// ```swift
/// ResponseText.snippet(Array(#"{"code":"97","msg":"缺少参数"}"#.utf8), redactor: redactor)   // as it is
/// ResponseText.snippet(Array(#"[{"xm":"张三丰","sfzh":"330782199001011234"}]"#.utf8), redactor: redactor)
/// // [{"xm":"张**","sfzh":"330782***********4"}]
/// ```
public enum ResponseText {
    /// At most `limit` characters of `body`, masked before they are cut (so an ID the cut falls
    /// into shows only its masked start). A body cut short inside a value is still masked:
    /// `limit * 4` bytes are read, more than `limit` characters of any UTF-8 text with a digit.
    public static func snippet(_ body: [UInt8], limit: Int = 300, redactor: Redactor) -> String {
        let text = String(decoding: body.prefix(limit * 4), as: UTF8.self)
        let trimmed = PIIText.masked(redactor.redact(text.trimmingCharacters(in: .whitespacesAndNewlines)))
        return trimmed.count > limit ? String(trimmed.prefix(limit)) + "…" : (trimmed.isEmpty ? "(empty body)" : trimmed)
    }
}
