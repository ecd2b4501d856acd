/// GB/T 2261.1-2003 sex codes (人的性别代码).
///
/// ```swift
/// SexCodeCheck.validate("1")  // nil (男性)
/// ```
public enum SexCodeCheck {
    /// 0 未知的性别, 1 男性, 2 女性, 5 女性改(变)为男性, 6 男性改(变)为女性, 9 未说明的性别.
    public static let codes: Set<String> = ["0", "1", "2", "5", "6", "9"]

    public static func validate(_ code: String) -> String? {
        codes.contains(code) ? nil : "'\(code)' is not a GB/T 2261.1 sex code (0, 1, 2, 5, 6, 9)"
    }
}
