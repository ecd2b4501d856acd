/// Defaults for date parsing when a field gives no format.
enum DateDefaults {
    // Both literals are valid patterns; `try!` cannot fail on them.
    static let date = try! DatePattern("yyyy-MM-dd")
    static let dateTime = try! DatePattern("yyyy-MM-dd HH:mm:ss")
    static let zone = ZoneSpec("Asia/Shanghai") ?? .utc
}
