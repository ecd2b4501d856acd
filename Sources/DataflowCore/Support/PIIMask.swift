/// What kind of personal data a field holds; chooses how `PIIMask` hides it.
///
/// A field's kind comes from `pii: KIND` in its dataset file, or, with `pii: true`, from its
/// check (`check: citizen-id` → `citizen-id`, `check: phone` → `phone`); otherwise `generic`.
public enum PIIKind: String, Sendable, CaseIterable {
    /// GB 11643 citizen ID (18 characters, or 15 for legacy IDs).
    case citizenID = "citizen-id"
    /// Mobile or landline number, with or without +86 / 0086, spaces or dashes.
    case phone
    /// A person's name.
    case name
    /// A postal address.
    case address
    /// An e-mail address.
    case email
    /// Anything else personal (the kind of `pii: true` without a telling check).
    case generic
}

/// Masks personal data by kind, so every view (`export`, `rejects`, `check`) hides the same way.
///
/// Each rule keeps at most what is needed to recognise a value's shape, never enough to
/// identify a person:
///
/// ```swift
/// PIIMask.mask("330782199001014239", as: .citizenID)  // "330782***********9"
/// PIIMask.mask("+86 138-0013-0001", as: .phone)       // "+86 138-****-0001"
/// PIIMask.mask("欧阳娜娜", as: .name)                  // "欧***"
/// ```
public enum PIIMask {
    /// The masking character.
    public static let star: Character = "*"

    /// `value` masked as `kind`. A value that does not have the kind's shape is masked by the
    /// generic rule, never shown.
    public static func mask(_ value: String, as kind: PIIKind) -> String {
        switch kind {
        case .citizenID: return citizenID(value) ?? generic(value)
        case .phone: return phone(value) ?? generic(value)
        case .name: return name(value)
        case .address: return address(value)
        case .email: return email(value) ?? generic(value)
        case .generic: return generic(value)
        }
    }

    /// Citizen ID: the 6-digit division and, on 18-character IDs, the check character stay;
    /// the birth date and sequence number are hidden (`330782***********9`; 15-digit legacy IDs,
    /// which have no check character, keep the division only). Nil when not ID-shaped.
    static func citizenID(_ value: String) -> String? {
        let chars = Array(value)
        let isDigit: (Character) -> Bool = { $0.isASCII && $0.isNumber }
        switch chars.count {
        case 18 where chars.prefix(17).allSatisfy(isDigit) && (isDigit(chars[17]) || chars[17] == "X" || chars[17] == "x"):
            return String(chars.prefix(6)) + String(repeating: star, count: 11) + String(chars[17])
        case 15 where chars.allSatisfy(isDigit):
            return String(chars.prefix(6)) + String(repeating: star, count: 9)
        default:
            return nil
        }
    }

    /// Phone numbers, formatting (spaces, dashes, the +86 / 0086 prefix) kept as written:
    /// - mobile (11 digits from 1): the middle four hidden, `138****0001`;
    /// - landline (0 + area code 010/02x or three more digits, then 7–8 digits, maybe an
    ///   extension): the area code and the last two digits stay, `0579-******56`;
    /// - anything else with at least 8 digits keeps its last two digits; shorter ones nothing.
    /// Nil when the value has characters other than digits, separators and the prefix.
    static func phone(_ value: String) -> String? {
        let chars = Array(value)
        var start = 0
        // The country prefix (+86, 0086, 86 before a separator) is not part of the number.
        if chars.first == "+" { start = 1 }
        var digits: [Int] = []   // indices of digit characters after `start`
        for i in start..<chars.count {
            let c = chars[i]
            if c.isASCII && c.isNumber { digits.append(i) } else if !(c == " " || c == "-" || c == "(" || c == ")" || c == "." || c == "/") { return nil }
        }
        guard !digits.isEmpty else { return nil }
        let digitText = String(digits.map { chars[$0] })
        var national = digits[...]
        if start == 1 && digitText.hasPrefix("86") {
            national = national.dropFirst(2)
        } else if digitText.hasPrefix("0086") {
            national = national.dropFirst(4)
        } else if digitText.hasPrefix("86") && digitText.count == 13 && chars[digits[2]] == "1" {
            national = national.dropFirst(2)
        }
        let nationalText = String(national.map { chars[$0] })
        var hidden = Set<Int>()
        if nationalText.count == 11 && nationalText.hasPrefix("1") {
            hidden = Set(national.dropFirst(3).prefix(4))
        } else if nationalText.hasPrefix("0") && nationalText.count >= 10 {
            let area = nationalText.hasPrefix("01") || nationalText.hasPrefix("02") ? 3 : 4
            hidden = Set(national.dropFirst(area).dropLast(2))
        } else if national.count >= 8 {
            hidden = Set(national.dropLast(2))
        } else {
            hidden = Set(national)
        }
        var out = chars
        for i in hidden { out[i] = star }
        return String(out)
    }

    /// Names keep their first character and hide the rest, one star per character (`张*`,
    /// `欧***` — compound surnames too, so no more than one character ever shows). A name of one
    /// character is hidden whole.
    static func name(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count > 1 else { return String(repeating: star, count: chars.count) }
        return String(chars[0]) + String(repeating: star, count: chars.count - 1)
    }

    /// Addresses keep their first third, at most six characters (province and city, as a rule),
    /// and hide the rest.
    static func address(_ value: String) -> String {
        let chars = Array(value)
        let keep = min(6, chars.count / 3)
        return String(chars.prefix(keep)) + String(repeating: star, count: chars.count - keep)
    }

    /// E-mail: the local part's first character and the domain stay (`z***@example.cn`).
    static func email(_ value: String) -> String? {
        guard let at = value.lastIndex(of: "@"), at != value.startIndex else { return nil }
        let local = Array(value[..<at])
        return String(local[0]) + String(repeating: star, count: local.count - 1) + String(value[at...])
    }

    /// Anything else: at most a quarter of the characters and never more than four stay clear,
    /// split between the start and the end; values of three characters or fewer are hidden whole.
    static func generic(_ value: String) -> String {
        let chars = Array(value)
        let clear = min(4, chars.count / 4)
        let head = (clear + 1) / 2
        let tail = clear - head
        return String(chars.prefix(head)) + String(repeating: star, count: chars.count - clear) + String(chars.suffix(tail))
    }
}
