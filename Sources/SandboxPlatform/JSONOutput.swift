import NIOCore

/// Hand-written JSON into a byte array: data pages are hot, so no reflection and no `JSONSerialization`.
///
/// Values are rendered into a plain `[UInt8]` (each in one pass over a raw buffer) and handed to
/// NIO as one `ByteBuffer` at the end: many small `ByteBuffer` writes cost more than the JSON.
///
/// ```swift
/// var out = JSONOutput(capacity: 256)
/// out.raw("{\"name\":")
/// out.string("a \"quoted\" value")
/// out.raw("}")
/// ```
struct JSONOutput {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) {
        bytes.reserveCapacity(capacity)
    }

    /// The output so far, as a NIO buffer.
    var buffer: ByteBuffer {
        ByteBufferAllocator().buffer(bytes: bytes)
    }

    /// Bytes written so far.
    var byteCount: Int { bytes.count }

    /// Empties the output, keeping its storage.
    mutating func clear() {
        bytes.removeAll(keepingCapacity: true)
    }

    /// Appends literal JSON text (punctuation, field names) unchanged.
    @inline(__always)
    mutating func raw(_ text: StaticString) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
    }

    /// Appends already-valid JSON text held in a `String` (built from escaped parts) unchanged.
    mutating func raw(text: String) {
        bytes.append(contentsOf: text.utf8)
    }

    /// Appends already-valid JSON bytes unchanged.
    mutating func raw(bytes other: ByteBuffer) {
        bytes.append(contentsOf: other.readableBytesView)
    }

    /// Appends a quoted, escaped JSON string.
    mutating func string(_ text: String) {
        var text = text
        text.withUTF8 { bytes in quoted(UnsafeRawBufferPointer(bytes)) }
    }

    /// Appends the UTF-8 bytes of a buffer as a quoted, escaped JSON string.
    mutating func string(utf8 source: ByteBuffer) {
        source.withUnsafeReadableBytes { quoted($0) }
    }

    /// Appends inline text as a quoted, escaped JSON string.
    mutating func string(_ text: InlineText) {
        text.withUTF8 { bytes in quoted(bytes) }
    }

    /// Appends a decimal integer (unquoted).
    mutating func integer<Value: BinaryInteger>(_ value: Value) {
        let magnitude = UInt64(truncatingIfNeeded: value.magnitude)
        let negative = value < 0
        writeUpTo(21) { out in
            var index = 0
            if negative {
                out[0] = UInt8(ascii: "-")
                index = 1
            }
            return index + Self.writeDigits(magnitude, into: out, at: index)
        }
    }

    /// Appends a finite floating-point number (unquoted); non-finite values become 0.
    mutating func number(_ value: Double) {
        bytes.append(contentsOf: (value.isFinite ? "\(value)" : "0").utf8)
    }

    /// Appends `"yyyy-MM-dd HH:mm:ss"` for `seconds`, quotes included, without allocating.
    mutating func quotedDateTime(_ seconds: Int64) {
        writeUpTo(21) { out in
            out[0] = UInt8(ascii: "\"")
            CivilTime.writeDateTime(seconds) { index, byte in out[1 + index] = byte }
            out[20] = UInt8(ascii: "\"")
            return 21
        }
    }

    /// Appends `"yyyyMMdd"` for a date number (20260101), or `""` for nil.
    mutating func quotedDate(_ dateNumber: Int32?) {
        guard let dateNumber, dateNumber >= 0 else {
            raw("\"\"")
            return
        }
        writeUpTo(12) { out in
            out[0] = UInt8(ascii: "\"")
            var remaining = Int(dateNumber)
            for index in (1...8).reversed() {
                out[index] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
                remaining /= 10
            }
            out[9] = UInt8(ascii: "\"")
            return 10
        }
    }

    /// Appends `"whole.cc"` for an amount in hundredths (12345 → `"123.45"`).
    mutating func quotedDecimal(hundredths: Int64) {
        let magnitude = hundredths.magnitude
        let negative = hundredths < 0
        writeUpTo(26) { out in
            out[0] = UInt8(ascii: "\"")
            var index = 1
            if negative {
                out[1] = UInt8(ascii: "-")
                index = 2
            }
            index += Self.writeDigits(magnitude / 100, into: out, at: index)
            out[index] = UInt8(ascii: ".")
            out[index + 1] = UInt8(truncatingIfNeeded: 48 + magnitude / 10 % 10)
            out[index + 2] = UInt8(truncatingIfNeeded: 48 + magnitude % 10)
            out[index + 3] = UInt8(ascii: "\"")
            return index + 4
        }
    }

    // MARK: Internals

    /// Lets `body` fill up to `maximum` bytes of scratch space and appends the count it returns.
    @inline(__always)
    private mutating func writeUpTo(_ maximum: Int, _ body: (UnsafeMutableRawBufferPointer) -> Int) {
        withUnsafeTemporaryAllocation(byteCount: maximum, alignment: 8) { scratch in
            let written = body(scratch)
            bytes.append(contentsOf: UnsafeRawBufferPointer(rebasing: scratch[..<written]))
        }
    }

    /// Writes the decimal digits of `value` at `index`; returns how many.
    @inline(__always)
    private static func writeDigits(_ value: UInt64, into out: UnsafeMutableRawBufferPointer, at index: Int) -> Int {
        var count = 1
        var probe = value
        while probe >= 10 {
            probe /= 10
            count += 1
        }
        var remaining = value
        for position in (index..<index + count).reversed() {
            out[position] = UInt8(truncatingIfNeeded: 48 + remaining % 10)
            remaining /= 10
        }
        return count
    }

    /// Writes `source` quoted: short values without special bytes are copied whole, anything
    /// else goes through the word-at-a-time escaper.
    private mutating func quoted(_ source: UnsafeRawBufferPointer) {
        if source.count <= 64, !source.contains(where: JSONStringEscaper.needsEscape) {
            bytes.append(UInt8(ascii: "\""))
            bytes.append(contentsOf: source)
            bytes.append(UInt8(ascii: "\""))
            return
        }
        let length = JSONStringEscaper.escapedLength(of: source) + 2
        writeUpTo(length) { out in
            out[0] = UInt8(ascii: "\"")
            let written = JSONStringEscaper.escape(source, into: UnsafeMutableRawBufferPointer(rebasing: out[1...]))
            out[written + 1] = UInt8(ascii: "\"")
            return written + 2
        }
    }

    /// `prefix` + this output as one quoted JSON string + `suffix`, written straight into a NIO
    /// buffer of the exact size (the service-cases envelope, whose `datas` is a JSON string).
    func embeddedAsString(prefix: StaticString, suffix: StaticString) -> ByteBuffer {
        bytes.withUnsafeBytes { source in
            let escaped = JSONStringEscaper.escapedLength(of: source)
            let total = prefix.utf8CodeUnitCount + escaped + 2 + suffix.utf8CodeUnitCount
            var buffer = ByteBufferAllocator().buffer(capacity: total)
            buffer.writeWithUnsafeMutableBytes(minimumWritableBytes: total) { out in
                var index = 0
                func literal(_ text: StaticString) {
                    UnsafeMutableRawBufferPointer(rebasing: out[index..<index + text.utf8CodeUnitCount])
                        .copyMemory(from: UnsafeRawBufferPointer(start: text.utf8Start, count: text.utf8CodeUnitCount))
                    index += text.utf8CodeUnitCount
                }
                literal(prefix)
                out[index] = UInt8(ascii: "\"")
                index += 1
                index += JSONStringEscaper.escape(source, into: UnsafeMutableRawBufferPointer(rebasing: out[index...]))
                out[index] = UInt8(ascii: "\"")
                index += 1
                literal(suffix)
                return index
            }
            return buffer
        }
    }
}
