import NIOCore

/// Hand-written JSON into a `ByteBuffer`: data pages are hot, so no reflection and no `JSONSerialization`.
///
/// ```swift
/// var out = JSONOutput(capacity: 256)
/// out.raw("{\"name\":")
/// out.string("a \"quoted\" value")
/// out.raw("}")
/// ```
struct JSONOutput {
    private(set) var buffer: ByteBuffer

    init(capacity: Int) {
        buffer = ByteBufferAllocator().buffer(capacity: capacity)
    }

    init(buffer: ByteBuffer) {
        self.buffer = buffer
    }

    /// Empties the output, keeping its storage.
    mutating func clear() {
        buffer.clear()
    }

    /// Appends literal JSON text (punctuation, field names) unchanged.
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        text.withUTF8Buffer { bytes in _ = buffer.writeBytes(bytes) }
    }

    /// Appends already-valid JSON text held in a `String` (built from escaped parts) unchanged.
    mutating func raw(text: String) {
        buffer.writeString(text)
    }

    /// Appends already-valid JSON bytes unchanged.
    mutating func raw(bytes: ByteBuffer) {
        var copy = bytes
        buffer.writeBuffer(&copy)
    }

    /// Appends a quoted, escaped JSON string.
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes in quoted(bytes) }
    }

    /// Appends the readable bytes of `bytes` (UTF-8 text) as one quoted, escaped JSON string.
    mutating func string(utf8 bytes: ByteBuffer) {
        bytes.withUnsafeReadableBytes { raw in quoted(raw.bindMemory(to: UInt8.self)) }
    }

    /// Appends a decimal integer (unquoted).
    mutating func integer<Value: BinaryInteger>(_ value: Value) {
        buffer.writeString(String(value))
    }

    /// Appends a finite floating-point number (unquoted); non-finite values become 0.
    mutating func number(_ value: Double) {
        buffer.writeString(value.isFinite ? "\(value)" : "0")
    }

    /// Appends `"yyyy-MM-dd HH:mm:ss"` for `seconds`, quotes included, without allocating a `String`.
    mutating func quotedDateTime(_ seconds: Int64) {
        buffer.writeInteger(UInt8(ascii: "\""))
        let start = buffer.writerIndex
        buffer.writeRepeatingByte(0, count: 19)
        CivilTime.writeDateTime(seconds) { index, byte in buffer.setInteger(byte, at: start + index) }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Appends `"yyyyMMdd"` for a date number (20260101), or `""` for nil.
    mutating func quotedDate(_ dateNumber: Int32?) {
        guard let dateNumber else {
            raw("\"\"")
            return
        }
        buffer.writeInteger(UInt8(ascii: "\""))
        var divisor: Int32 = 10_000_000
        while divisor > 0 {
            buffer.writeInteger(UInt8(truncatingIfNeeded: 48 + dateNumber / divisor % 10))
            divisor /= 10
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    /// Appends `"whole.cc"` for an amount in hundredths (12345 → `"123.45"`).
    mutating func quotedDecimal(hundredths: Int64) {
        buffer.writeInteger(UInt8(ascii: "\""))
        if hundredths < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
        let magnitude = hundredths.magnitude
        buffer.writeString(String(magnitude / 100))
        buffer.writeInteger(UInt8(ascii: "."))
        buffer.writeInteger(UInt8(truncatingIfNeeded: 48 + magnitude / 10 % 10))
        buffer.writeInteger(UInt8(truncatingIfNeeded: 48 + magnitude % 10))
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private mutating func quoted(_ bytes: UnsafeBufferPointer<UInt8>) {
        buffer.writeInteger(UInt8(ascii: "\""))
        var runStart = 0
        for index in 0..<bytes.count {
            let byte = bytes[index]
            guard byte < 0x20 || byte == 0x22 || byte == 0x5C else { continue }
            if runStart < index {
                buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart..<index]))
            }
            writeEscape(byte)
            runStart = index + 1
        }
        if runStart < bytes.count {
            buffer.writeBytes(UnsafeRawBufferPointer(rebasing: UnsafeRawBufferPointer(bytes)[runStart..<bytes.count]))
        }
        buffer.writeInteger(UInt8(ascii: "\""))
    }

    private mutating func writeEscape(_ byte: UInt8) {
        switch byte {
        case 0x22: raw("\\\"")
        case 0x5C: raw("\\\\")
        case 0x0A: raw("\\n")
        case 0x0D: raw("\\r")
        case 0x09: raw("\\t")
        case 0x08: raw("\\b")
        case 0x0C: raw("\\f")
        default:
            let hex: [UInt8] = Array("0123456789abcdef".utf8)
            raw("\\u00")
            buffer.writeInteger(hex[Int(byte >> 4)])
            buffer.writeInteger(hex[Int(byte & 0x0F)])
        }
    }
}
