/// Short UTF-8 text (at most 96 bytes) stored inline, without a heap allocation.
///
/// Records are regenerated for every page; credit codes, citizen IDs, case IDs and company names
/// as heap `String`s would make allocation the main cost of serving a page.
///
/// ```swift
/// var name = InlineText()
/// name.append("义乌市")
/// name.string   // "义乌市"
/// ```
struct InlineText: Sendable, Equatable, CustomStringConvertible {
    /// The most bytes it holds.
    static let capacity = 96

    /// Twelve words in a nominal struct rather than a tuple: unoptimised builds would look up tuple
    /// type metadata at run time on every access.
    private struct Storage {
        var words0: UInt64 = 0, words1: UInt64 = 0, words2: UInt64 = 0
        var words3: UInt64 = 0, words4: UInt64 = 0, words5: UInt64 = 0
        var words6: UInt64 = 0, words7: UInt64 = 0, words8: UInt64 = 0
        var words9: UInt64 = 0, words10: UInt64 = 0, words11: UInt64 = 0
    }

    private var storage = Storage()
    /// Bytes in use.
    private(set) var count = 0

    init() {}

    /// `count` bytes written by `fill` (for fixed-width ASCII codes).
    init(count: Int, _ fill: (UnsafeMutableBufferPointer<UInt8>) -> Void) {
        precondition(count <= Self.capacity, "InlineText holds at most \(Self.capacity) bytes")
        self.count = count
        withUnsafeMutableBytes(of: &storage) { raw in
            fill(UnsafeMutableBufferPointer(rebasing: raw.bindMemory(to: UInt8.self)[0..<count]))
        }
    }

    var isEmpty: Bool { count == 0 }

    /// Appends a literal (table entries); the tables are sized so names always fit.
    mutating func append(_ text: StaticString) {
        let length = text.utf8CodeUnitCount
        precondition(count + length <= Self.capacity, "InlineText holds at most \(Self.capacity) bytes")
        let start = count
        withUnsafeMutableBytes(of: &storage) { raw in
            UnsafeMutableRawBufferPointer(rebasing: raw[start..<start + length])
                .copyMemory(from: UnsafeRawBufferPointer(start: text.utf8Start, count: length))
        }
        count += length
    }

    /// Appends one ASCII byte.
    mutating func append(ascii byte: UInt8) {
        precondition(count < Self.capacity, "InlineText holds at most \(Self.capacity) bytes")
        let index = count
        withUnsafeMutableBytes(of: &storage) { raw in raw[index] = byte }
        count += 1
    }

    /// Calls `body` with the text's UTF-8 bytes.
    func withUTF8<Result>(_ body: (UnsafeRawBufferPointer) -> Result) -> Result {
        withUnsafeBytes(of: storage) { raw in body(UnsafeRawBufferPointer(rebasing: raw[0..<count])) }
    }

    /// The text as a `String`.
    var string: String {
        withUTF8 { String(decoding: $0, as: UTF8.self) }
    }

    var description: String { string }

    static func == (left: InlineText, right: InlineText) -> Bool {
        left.count == right.count && left.withUTF8 { leftBytes in right.withUTF8 { leftBytes.elementsEqual($0) } }
    }
}
