import Foundation

/// A buffered RFC 4180 CSV writer (CRLF line ends; fields with `,` `"` CR or LF quoted, quotes
/// doubled) over a file descriptor. 64 KiB buffer: one write per buffer, not per byte.
///
/// Cells are neutralised for spreadsheets by default: a cell that begins with `=` `+` `-` `@`,
/// TAB or CR gets a leading `'`, so Excel, WPS or LibreOffice shows it as text instead of
/// evaluating a formula (`=HYPERLINK(…)`, `=cmd|…`). A negative number (`-12.5`) is data, not a
/// formula, and is written as it is. `neutralisesFormulas = false` writes cells raw.
///
/// ```swift
/// let w = CSVWriter(fd: STDOUT_FILENO)
/// try w.writeRow(["a", "b,c", "=1+2"]); try w.flush()   // a,"b,c",'=1+2
/// ```
public final class CSVWriter {
    public enum Encoding: String, Sendable, CaseIterable { case utf8, utf8Bom = "utf8-bom", gb18030 }

    /// A failed write.
    public struct WriteError: Error, CustomStringConvertible {
        public var message: String
        public var description: String { message }
    }

    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 64 * 1024
    private let converter: GB18030Converter?
    /// Prefix cells that a spreadsheet would take for a formula with `'` (the default).
    public var neutralisesFormulas = true

    public init(fd: Int32, encoding: Encoding = .utf8) throws {
        self.fd = fd
        buffer.reserveCapacity(capacity + 1024)
        converter = encoding == .gb18030 ? try GB18030Converter() : nil
        if encoding == .utf8Bom { buffer += [0xEF, 0xBB, 0xBF] }
    }

    /// Writes one record; nil cells are empty fields.
    public func writeRow(_ cells: [String?]) throws {
        for (i, cell) in cells.enumerated() {
            if i > 0 { buffer.append(UInt8(ascii: ",")) }
            if let cell { appendField(cell) }
        }
        buffer.append(0x0D)
        buffer.append(0x0A)
        if buffer.count >= capacity { try flush() }
    }

    /// Appends one field from raw UTF-8 bytes (no String built).
    public func appendField(bytes: UnsafeBufferPointer<UInt8>) {
        CSVWriter.append(bytes, to: &buffer, neutralisingFormulas: neutralisesFormulas)
    }

    /// One field as CSV text: quoted where needed, neutralised unless `neutralisingFormulas` is false.
    public static func field(_ s: String, neutralisingFormulas: Bool = true) -> String {
        var out: [UInt8] = []
        s.withUTF8Bytes { append($0, to: &out, neutralisingFormulas: neutralisingFormulas) }
        return String(decoding: out, as: UTF8.self)
    }

    static func append(_ bytes: UnsafeBufferPointer<UInt8>, to buffer: inout [UInt8], neutralisingFormulas: Bool) {
        let guarded = neutralisingFormulas && startsFormula(bytes)
        var needsQuotes = false
        for b in bytes where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D { needsQuotes = true; break }
        if !needsQuotes {
            if guarded { buffer.append(0x27) }
            buffer.append(contentsOf: bytes)
            return
        }
        buffer.append(0x22)
        if guarded { buffer.append(0x27) }
        for b in bytes {
            if b == 0x22 { buffer.append(0x22) }
            buffer.append(b)
        }
        buffer.append(0x22)
    }

    /// True when a spreadsheet would evaluate the cell: it begins with `=` `+` `@` TAB CR, or
    /// with `-` and is not a plain negative number.
    static func startsFormula(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = bytes.first else { return false }
        switch first {
        case UInt8(ascii: "="), UInt8(ascii: "+"), UInt8(ascii: "@"), 0x09, 0x0D: return true
        case UInt8(ascii: "-"): return !isNegativeNumber(bytes)
        default: return false
        }
    }

    /// `-` digits, optionally `.` digits: the shape of every negative int and decimal the
    /// warehouse stores.
    static func isNegativeNumber(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = 1, digits = 0, point = false, fraction = 0
        while i < bytes.count {
            let b = bytes[i]
            if b >= 0x30 && b <= 0x39 {
                if point { fraction += 1 } else { digits += 1 }
            } else if b == UInt8(ascii: "."), !point, digits > 0 {
                point = true
            } else {
                return false
            }
            i += 1
        }
        return digits > 0 && (!point || fraction > 0)
    }

    public func appendField(_ s: String) {
        s.withUTF8Bytes { appendField(bytes: $0) }
    }

    public func appendSeparator() { buffer.append(UInt8(ascii: ",")) }

    public func endRow() throws {
        buffer.append(0x0D)
        buffer.append(0x0A)
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try FileDescriptorOutput.writeAll(fd, try converter?.convert(buffer) ?? buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}

/// UTF-8 → GB18030 through glibc's iconv (GB18030 covers all of Unicode, so nothing is lost).
final class GB18030Converter {
    private let cd: iconv_t

    init() throws {
        let cd = iconv_open("GB18030", "UTF-8")
        guard cd != iconv_t(bitPattern: -1) else { throw CSVWriter.WriteError(message: "this system's iconv has no GB18030 converter") }
        self.cd = cd!
    }

    deinit { iconv_close(cd) }

    func convert(_ input: [UInt8]) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        var input = input
        let produced: Int = try input.withUnsafeMutableBufferPointer { inBuf in
            try output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var inLeft = inBuf.count
                var outPtr: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuf.baseAddress!).assumingMemoryBound(to: CChar.self)
                var outLeft = outBuf.count
                if iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) == -1 {
                    throw CSVWriter.WriteError(message: "cannot convert to GB18030: \(String(cString: strerror(errno)))")
                }
                return outBuf.count - outLeft
            }
        }
        return Array(output.prefix(produced))
    }
}
