/// Personal data found in free text — an excerpt of a gateway's error page, an envelope's
/// message — and masked the way `PIIMask` masks a field of that kind, so an error message can
/// quote the gateway without quoting a citizen.
///
/// Two passes. First, JSON members whose names are personal (`xm`, `name`, `姓名`, `sfzh`,
/// `lxdh`, `fddbr`, … — every `pii:` term of the shipped glossary and the common English names)
/// have their values masked by that kind, also a value cut short at the end of an excerpt.
/// Then every shape `PIIMask` knows is masked wherever it stands: 18-digit citizen IDs
/// (`330782***********4`), 15-digit legacy IDs, mobile numbers (`138****5678`, with `+86`,
/// spaces or dashes too), landlines with an area code (`0579-******56`) and e-mail addresses.
/// A name outside such a member has no shape and is not found.
///
/// ```swift
/// PIIText.masked(#"{"name":"张三丰","phone":"13812345678","sfzh":"330782199001011234""#)
/// // {"name":"张**","phone":"138****5678","sfzh":"330782***********4"
/// PIIText.masked(#"{"code":"97","msg":"缺少参数"}"#)   // unchanged
/// ```
public enum PIIText {
    /// `text` with personal members' values and personal shapes masked; nothing else changes.
    public static func masked(_ text: String) -> String {
        guard !text.isEmpty else { return text }
        // One element per Unicode scalar, not per grapheme: a quote followed by a combining mark
        // is one grapheme that is not a quote, and would put every member after it out of step.
        return maskingShapes(maskingPersonalMembers(text.unicodeScalars.map(Character.init)))
    }

    /// The kind of personal data the whole of `value` has the shape of: a citizen ID, a phone
    /// number with an area code or a mobile, an e-mail address; nil for anything else.
    public static func kind(of value: String) -> PIIKind? {
        if PIIMask.citizenID(value) != nil, value.first != "0" { return .citizenID }
        let chars = Array(value)
        if let span = phoneSpan(chars, at: chars.first == "+" ? 1 : 0), span == 0..<chars.count { return .phone }
        if let at = chars.firstIndex(of: "@"), let span = emailSpan(chars, at: at), span == 0..<chars.count { return .email }
        return nil
    }

    /// Member names whose values are personal, upper-cased (ASCII), Chinese as written: every
    /// `pii:` term of `Mappings/glossary.yml` (a test keeps them in step) and the usual others.
    static let personalMembers: [String: PIIKind] = {
        var members: [String: PIIKind] = [:]
        let names: [(PIIKind, [String])] = [
            (.name, ["XM", "NAME", "REALNAME", "REAL_NAME", "FULLNAME", "FULL_NAME", "PERSONNAME", "PERSON_NAME",
                     "FDDBR", "FDDBRXM", "FRXM", "LXR", "LXRXM", "SQR", "SQRXM", "JBR", "JBRXM", "FZR", "FZRXM",
                     "姓名", "法定代表人", "联系人", "申请人", "申请人姓名", "经办人", "负责人"]),
            (.citizenID, ["SFZH", "SFZHM", "ZJHM", "GMSFHM", "SQRZJHM", "LXRZJHM", "IDCARD", "ID_CARD", "IDNO", "ID_NO",
                          "身份证号", "身份证号码", "公民身份号码", "证件号码", "申请人证件号码"]),
            (.phone, ["LXDH", "SJHM", "SJH", "DH", "LXFS", "PHONE", "MOBILE", "TEL", "TELEPHONE", "CELLPHONE",
                      "联系电话", "手机号码", "手机号", "电话"]),
            (.address, ["ZS", "DZ", "ZZ", "JZDZ", "HJDZ", "ADDRESS", "ADDR", "地址", "住所", "住址"]),
            (.email, ["EMAIL", "E_MAIL", "MAIL", "DZYX", "电子邮箱", "邮箱"]),
        ]
        for (kind, list) in names { for name in list { members[name] = kind } }
        return members
    }()

    // MARK: - Members

    /// Masks the string or number value of every member whose name is personal (a value that holds
    /// `**` is masked already and left as it is, so masking a masked text changes nothing).
    static func maskingPersonalMembers(_ chars: [Character]) -> [Character] {
        var out: [Character] = []
        out.reserveCapacity(chars.count)
        var i = 0
        while i < chars.count {
            guard chars[i] == "\"" else { out.append(chars[i]); i += 1; continue }
            let name = quoted(chars, from: i)
            out.append(contentsOf: chars[i..<name.end])
            i = name.end
            var colon = i
            while colon < chars.count, chars[colon].isWhitespace { colon += 1 }
            guard name.closed, colon < chars.count, chars[colon] == ":",
                  let kind = personalMembers[unescaped(chars[(name.start + 1)..<(name.end - 1)]).uppercased()] else { continue }
            var start = colon + 1
            while start < chars.count, chars[start].isWhitespace { start += 1 }
            out.append(contentsOf: chars[i..<start])
            i = start
            guard i < chars.count else { break }
            if chars[i] == "\"" {
                let value = quoted(chars, from: i)
                let content = (i + 1)..<(value.closed ? value.end - 1 : value.end)
                out.append("\"")
                // A value masked already (an excerpt masked before it was stored) stays as it is:
                // masking it again would hide the part a mask keeps readable.
                // As written: escapes in the value (`\u5f20\u4e09`) are masked with it, which hides more.
                let text = String(chars[content])
                out.append(contentsOf: text.contains("**") ? text : PIIMask.mask(text, as: kind))
                if value.closed { out.append("\"") }
                i = value.end
            } else if chars[i].isASCII && (chars[i].isNumber || chars[i] == "-") {
                var end = i + 1
                while end < chars.count, chars[end].isASCII, chars[end].isNumber || ".eE+-*".contains(chars[end]) { end += 1 }
                let number = String(chars[i..<end])
                out.append(contentsOf: number.contains("*") ? number : PIIMask.mask(number, as: kind))
                i = end
            }
        }
        return out
    }

    /// The text of a JSON string's content with its escapes read (`\u59d3\u540d` is 姓名: a gateway
    /// written in Python or PHP escapes every Chinese character by default), or as written when
    /// it holds none or they do not read (an excerpt cut inside one).
    private static func unescaped(_ content: ArraySlice<Character>) -> String {
        let text = String(content)
        guard content.contains("\\"), case .string(let read)? = try? JSONParser.parse(Array(("\"" + text + "\"").utf8)) else { return text }
        return read
    }

    /// The JSON string starting at the quote at `start`: its end (past the closing quote, or the
    /// end of the text when an excerpt cut it short) and whether it was closed.
    private static func quoted(_ chars: [Character], from start: Int) -> (start: Int, end: Int, closed: Bool) {
        var i = start + 1
        while i < chars.count {
            if chars[i] == "\\" { i += 2; continue }
            if chars[i] == "\"" { return (start, i + 1, true) }
            i += 1
        }
        return (start, chars.count, false)
    }

    // MARK: - Shapes

    /// Masks citizen IDs, phone numbers and e-mail addresses wherever they stand.
    static func maskingShapes(_ input: [Character]) -> String {
        // Found in a copy where full-width digits and Ｘ (typed with a Chinese input method) are
        // the ASCII ones, one element each, and masked in the text itself, which is otherwise
        // left as it is.
        let scan = input.map(folded)
        var spans: [(span: Range<Int>, kind: PIIKind)] = []
        // E-mail first: its local part may hold digits that look like a phone number.
        var i = 0
        while i < scan.count {
            if scan[i] == "@", let span = emailSpan(scan, at: i) {
                spans.append((span, .email))
                i = span.upperBound
            } else {
                i += 1
            }
        }
        let emails = spans.map(\.span)
        i = 0
        while i < scan.count {
            if let email = emails.first(where: { $0.contains(i) }) { i = email.upperBound; continue }
            guard isDigit(scan[i]), i == 0 || !isDigit(scan[i - 1]) else { i += 1; continue }
            var end = i
            while end < scan.count, isDigit(scan[end]) { end += 1 }
            let count = end - i
            let letterAfter = { (index: Int) in index < scan.count && scan[index].isASCII && (scan[index].isLetter || scan[index].isNumber) }
            if count == 17, end < scan.count, scan[end] == "X" || scan[end] == "x", !letterAfter(end + 1), scan[i] != "0" {
                spans.append((i..<(end + 1), .citizenID))
                i = end + 1
            } else if count == 18 || count == 15, scan[i] != "0" {
                spans.append((i..<end, .citizenID))
                i = end
            } else if let span = phoneSpan(scan, at: i) {
                spans.append((span, .phone))
                i = span.upperBound
            } else if let span = groupedIDSpan(scan, at: i) {
                spans.append((span, .citizenID))
                i = span.upperBound
            } else {
                i = end
            }
        }
        var chars = input
        for (span, kind) in spans.sorted(by: { $0.span.lowerBound > $1.span.lowerBound }) { replace(&chars, span, as: kind) }
        return String(chars)
    }

    /// An 18-character citizen ID written in groups joined by single spaces or dashes
    /// (`330782 19900101 4239`, `330782-1990-0101-423X`): two to five groups, 18 digits in all, or
    /// 17 and a final X. Nil when the groups starting at `start` are not one.
    static func groupedIDSpan(_ chars: [Character], at start: Int) -> Range<Int>? {
        guard start < chars.count, isDigit(chars[start]), chars[start] != "0" else { return nil }
        var digits = 0, groups = 0, end = start
        while true {
            while end < chars.count, isDigit(chars[end]) { end += 1; digits += 1 }
            groups += 1
            if digits == 17, groups >= 2, end < chars.count, chars[end] == "X" || chars[end] == "x" {
                let after = end + 1
                guard after >= chars.count || !(chars[after].isASCII && (chars[after].isLetter || chars[after].isNumber)) else { return nil }
                return start..<after
            }
            if digits == 18 { return groups >= 2 && (end >= chars.count || !isDigit(chars[end])) ? start..<end : nil }
            guard digits < 18, groups < 5, end + 1 < chars.count, chars[end] == " " || chars[end] == "-", isDigit(chars[end + 1]) else { return nil }
            end += 1
        }
    }

    /// A full-width digit, Ｘ or ｘ as its ASCII form; anything else as it is.
    private static func folded(_ c: Character) -> Character {
        guard let scalar = c.unicodeScalars.first, c.unicodeScalars.count == 1 else { return c }
        switch scalar.value {
        case 0xFF10...0xFF19: return Character(Unicode.Scalar(UInt8(scalar.value - 0xFF10 + 0x30)))
        case 0xFF38: return "X"
        case 0xFF58: return "x"
        default: return c
        }
    }

    private static func replace(_ chars: inout [Character], _ span: Range<Int>, as kind: PIIKind) {
        chars.replaceSubrange(span, with: Array(PIIMask.mask(String(chars[span]), as: kind)))
    }

    private static func isDigit(_ c: Character) -> Bool { c.isASCII && c.isNumber }

    /// The phone number starting with the digit at `start` (a `+` just before it included):
    /// digit groups joined by single spaces or dashes whose digits, without a `+86` / `0086`
    /// prefix, are a mobile (11 digits, `1[3-9]…`) or a landline (0, an area code and 7–8 digits).
    /// The longest such run of groups wins (`0579-85123456-808` is the number without the
    /// extension). Nil when none is.
    static func phoneSpan(_ chars: [Character], at start: Int) -> Range<Int>? {
        guard start < chars.count, isDigit(chars[start]) else { return nil }
        var groupEnds: [Int] = []
        var end = start
        while true {
            while end < chars.count, isDigit(chars[end]) { end += 1 }
            groupEnds.append(end)
            guard groupEnds.count < 6, end + 1 < chars.count, chars[end] == " " || chars[end] == "-", isDigit(chars[end + 1]) else { break }
            end += 1
        }
        let plus = start > 0 && chars[start - 1] == "+"
        for groupEnd in groupEnds.reversed() {
            let digits = String(chars[start..<groupEnd].filter(isDigit))
            var national = Substring(digits)
            if digits.hasPrefix("0086") { national = national.dropFirst(4) }
            else if plus && digits.hasPrefix("86") { national = national.dropFirst(2) }
            else if digits.hasPrefix("86") && digits.count == 13 { national = national.dropFirst(2) }
            let isMobile = national.count == 11 && national.first == "1" && ("3"..."9").contains(national.dropFirst().first ?? "0")
            let isLandline = national.first == "0" && national.dropFirst().first != "0" && (10...12).contains(national.count)
            if isMobile || isLandline { return (plus ? start - 1 : start)..<groupEnd }
        }
        return nil
    }

    /// The e-mail address around the `@` at `at`: a local part of letters, digits and `._%+-`,
    /// and a domain with a dot and a final label of letters. Nil when it is not one.
    static func emailSpan(_ chars: [Character], at: Int) -> Range<Int>? {
        let local: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || "._%+-".contains($0)) }
        let domain: (Character) -> Bool = { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "." || $0 == "-") }
        var start = at
        while start > 0, local(chars[start - 1]) { start -= 1 }
        var end = at + 1
        while end < chars.count, domain(chars[end]) { end += 1 }
        while end > at + 1, chars[end - 1] == "." || chars[end - 1] == "-" { end -= 1 }
        guard start < at, end > at + 1 else { return nil }
        let host = chars[(at + 1)..<end]
        guard let dot = host.lastIndex(of: "."), dot > at + 1, dot + 1 < end,
              chars[(dot + 1)..<end].allSatisfy({ $0.isLetter }) else { return nil }
        return start..<end
    }
}
