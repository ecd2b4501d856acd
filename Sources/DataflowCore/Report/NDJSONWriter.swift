import Foundation

/// A buffered NDJSON writer (one JSON object per line, UTF-8, `\n` line ends) over a file
/// descriptor: values are appended straight from SQLite's bytes, 64 KiB per write.
///
/// ```swift
/// let w = NDJSONWriter(fd: STDOUT_FILENO)
/// w.beginObject(); w.key("uscc"); w.string("91330782…"); try w.endObject(); try w.flush()
/// ```
public final class NDJSONWriter {
    private let fd: Int32
    private var buffer: [UInt8] = []
    private let capacity = 64 * 1024
    private var needsComma = false

    public init(fd: Int32) {
        self.fd = fd
        buffer.reserveCapacity(capacity + 1024)
    }

    public func beginObject() {
        buffer.append(UInt8(ascii: "{"))
        needsComma = false
    }

    /// Writes `"name":` (with a comma before every member but the first).
    public func key(_ name: String) {
        if needsComma { buffer.append(UInt8(ascii: ",")) }
        needsComma = true
        string(name)
        buffer.append(UInt8(ascii: ":"))
    }

    public func string(_ s: String) {
        s.withUTF8Bytes { string(bytes: $0) }
    }

    /// A JSON string from raw UTF-8 bytes: `"` `\` and control characters escaped.
    public func string(bytes: UnsafeBufferPointer<UInt8>) {
        buffer.append(0x22)
        for b in bytes {
            switch b {
            case 0x22: buffer += [0x5C, 0x22]
            case 0x5C: buffer += [0x5C, 0x5C]
            case 0x0A: buffer += [0x5C, UInt8(ascii: "n")]
            case 0x0D: buffer += [0x5C, UInt8(ascii: "r")]
            case 0x09: buffer += [0x5C, UInt8(ascii: "t")]
            case 0x00..<0x20:
                let hex = Array("0123456789abcdef".utf8)
                buffer += [0x5C, UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"), hex[Int(b >> 4)], hex[Int(b & 0xF)]]
            default: buffer.append(b)
            }
        }
        buffer.append(0x22)
    }

    /// A number literal already in JSON syntax (SQLite's text of an INTEGER or REAL).
    public func number(bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }

    /// A value that is already JSON text (a `json` column), written as is.
    public func json(bytes: UnsafeBufferPointer<UInt8>) { buffer.append(contentsOf: bytes) }

    public func bool(_ b: Bool) { buffer += Array((b ? "true" : "false").utf8) }

    public func null() { buffer += Array("null".utf8) }

    public func endObject() throws {
        buffer.append(UInt8(ascii: "}"))
        buffer.append(0x0A)
        if buffer.count >= capacity { try flush() }
    }

    public func flush() throws {
        guard !buffer.isEmpty else { return }
        try FileDescriptorOutput.writeAll(fd, buffer)
        buffer.removeAll(keepingCapacity: true)
    }
}
