import Foundation

/// A buffered RFC 4180 CSV writer (CRLF line ends; fields with `,` `"` CR or LF quoted, quotes
/// doubled) over a file descriptor. 64 KiB buffer: one write per buffer, not per byte.
///
/// ```swift
/// let w = CSVWriter(fd: STDOUT_FILENO)
/// try w.writeRow(["a", "b,c"]); try w.flush()
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
        var needsQuotes = false
        for b in bytes where b == 0x2C || b == 0x22 || b == 0x0A || b == 0x0D { needsQuotes = true; break }
        if !needsQuotes { buffer.append(contentsOf: bytes); return }
        buffer.append(0x22)
        for b in bytes {
            if b == 0x22 { buffer.append(0x22) }
            buffer.append(b)
        }
        buffer.append(0x22)
    }

    public func appendField(_ s: String) {
        var s = s
        s.withUTF8 { appendField(bytes: $0) }
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
