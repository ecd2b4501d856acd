import NIOCore
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Renders one slice of records as a JSON list, NDJSON, ArcGIS features or a GB18030 CSV file.
enum RecordRendering {
    /// Records of either dataset, for rendering outside the lock.
    static func records(_ batch: SandboxState.OpenBatch) -> (count: Int, total: Int, json: [ByteBuffer]) {
        switch batch {
        case .licences(let b): return (b.count, b.total, render(b))
        case .cases(let b): return (b.count, b.total, render(b))
        }
    }

    private static func render<G: RecordGenerator>(_ batch: RecordBatch<G>) -> [ByteBuffer] {
        (0..<batch.count).map { offset in
            var out = JSONOutput(capacity: 384)
            batch.record(at: offset).writeJSON(to: &out)
            return out.buffer
        }
    }

    /// `a,b,c` joined into `out` (no brackets).
    static func jsonList(_ records: [ByteBuffer], wrap: (StaticString, StaticString)? = nil, to out: inout JSONOutput) {
        for (i, r) in records.enumerated() {
            if i > 0 { out.raw(",") }
            if let wrap { out.raw(wrap.0) }
            out.raw(bytes: r)
            if let wrap { out.raw(wrap.1) }
        }
    }

    static func ndjson(_ records: [ByteBuffer]) -> ByteBuffer {
        var out = JSONOutput(capacity: records.reduce(0) { $0 + $1.readableBytes + 1 })
        for r in records {
            out.raw(bytes: r)
            out.raw("\n")
        }
        return out.buffer
    }

    /// RFC 4180 CSV (CRLF, a header row, quoted where needed) encoded as GB18030.
    static func gb18030CSV(_ records: [ByteBuffer], header fallback: [String]) -> ByteBuffer? {
        var text = ""
        var header: [String]?
        for r in records {
            let fields = FlatJSONObject.fields(r)
            if header == nil {
                header = fields.map(\.0)
                text += header!.map(csvField).joined(separator: ",") + "\r\n"
            }
            text += fields.map { csvField($0.1) }.joined(separator: ",") + "\r\n"
        }
        if header == nil { text = fallback.joined(separator: ",") + "\r\n" }
        guard let bytes = toGB18030(Array(text.utf8)) else { return nil }
        var buffer = ByteBufferAllocator().buffer(capacity: bytes.count)
        buffer.writeBytes(bytes)
        return buffer
    }

    static func csvField(_ s: String) -> String {
        guard s.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return s }
        var out = "\""
        for c in s { out += c == "\"" ? "\"\"" : String(c) }
        return out + "\""
    }

    static func toGB18030(_ input: [UInt8]) -> [UInt8]? {
        let cd = iconv_open("GB18030", "UTF-8")
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        var source = input
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        let produced: Int = source.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                if iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft) == -1 { return -1 }
                return outBuffer.count - outLeft
            }
        }
        return produced < 0 ? nil : Array(output.prefix(produced))
    }
}

/// Reads back the flat `{"K":"V",…}` objects the generators write (string values only).
enum FlatJSONObject {
    static func fields(_ buffer: ByteBuffer) -> [(String, String)] {
        let bytes = Array(buffer.readableBytesView)
        var fields: [(String, String)] = []
        var i = 0
        func string() -> String {
            // At an opening quote.
            i += 1
            var out: [UInt8] = []
            while i < bytes.count, bytes[i] != 0x22 {
                if bytes[i] == 0x5C, i + 1 < bytes.count {
                    i += 1
                    switch bytes[i] {
                    case UInt8(ascii: "n"): out.append(0x0A)
                    case UInt8(ascii: "r"): out.append(0x0D)
                    case UInt8(ascii: "t"): out.append(0x09)
                    case UInt8(ascii: "b"): out.append(0x08)
                    case UInt8(ascii: "f"): out.append(0x0C)
                    case UInt8(ascii: "u"):
                        let hex = String(decoding: bytes[(i + 1)..<min(bytes.count, i + 5)], as: UTF8.self)
                        if let v = UInt32(hex, radix: 16), let scalar = Unicode.Scalar(v) { out += Array(String(Character(scalar)).utf8) }
                        i += 4
                    default: out.append(bytes[i])
                    }
                } else {
                    out.append(bytes[i])
                }
                i += 1
            }
            i += 1
            return String(decoding: out, as: UTF8.self)
        }
        while i < bytes.count {
            guard bytes[i] == 0x22 else { i += 1; continue }
            let key = string()
            while i < bytes.count, bytes[i] != 0x22 { i += 1 }
            guard i < bytes.count else { break }
            fields.append((key, string()))
        }
        return fields
    }
}
