import CZlib

/// Reads the members of a ZIP file held in memory (stored or deflated; what Excel writes), over
/// the system zlib's raw inflate. ZIP64 and encryption are refused with a clear error.
///
/// ```swift
/// let zip = try ZipArchive(bytes: Array(data), file: "catalogue.xlsx")
/// let xml = try zip.member("xl/workbook.xml")
/// ```
public struct ZipArchive: Sendable {
    /// Why a file cannot be read as a ZIP.
    public struct ZipError: Error, Sendable, CustomStringConvertible {
        public var description: String
    }

    struct Entry: Sendable {
        var method: UInt16
        var flags: UInt16
        var compressedSize: Int
        var size: Int
        var localHeader: Int
    }

    let bytes: [UInt8]
    let file: String
    let entries: [String: Entry]

    /// Members larger than this are refused (a catalogue is small; a zip bomb is not).
    public static let memberLimit = 64 << 20

    public init(bytes: [UInt8], file: String) throws {
        self.bytes = bytes
        self.file = file
        func u16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func u32(_ at: Int) -> Int { u16(at) | u16(at + 2) << 16 }
        // The end-of-central-directory record: the last PK\5\6 within 64 KiB + 22 of the end.
        guard bytes.count >= 22 else { throw ZipError(description: "\(file): not an .xlsx (ZIP) file — too short") }
        var eocd: Int?
        var i = bytes.count - 22
        while i >= max(0, bytes.count - 22 - 65_535) {
            if bytes[i] == 0x50, bytes[i + 1] == 0x4B, bytes[i + 2] == 0x05, bytes[i + 3] == 0x06 { eocd = i; break }
            i -= 1
        }
        guard let eocd else { throw ZipError(description: "\(file): not an .xlsx (ZIP) file — no central directory (save it again from Excel/WPS as .xlsx)") }
        let count = u16(eocd + 10)
        var at = u32(eocd + 16)
        guard count != 0xFFFF, at != 0xFFFF_FFFF else { throw ZipError(description: "\(file): ZIP64 archives are not supported") }
        var entries: [String: Entry] = [:]
        for _ in 0..<count {
            guard at + 46 <= bytes.count, u32(at) == 0x0201_4B50 else { throw ZipError(description: "\(file): damaged ZIP central directory") }
            let nameLength = u16(at + 28), extraLength = u16(at + 30), commentLength = u16(at + 32)
            guard at + 46 + nameLength <= bytes.count else { throw ZipError(description: "\(file): damaged ZIP central directory") }
            let name = String(decoding: bytes[(at + 46)..<(at + 46 + nameLength)], as: UTF8.self)
            entries[name] = Entry(method: UInt16(u16(at + 10)), flags: UInt16(u16(at + 8)), compressedSize: u32(at + 20), size: u32(at + 24), localHeader: u32(at + 42))
            at += 46 + nameLength + extraLength + commentLength
        }
        self.entries = entries
    }

    public var names: [String] { entries.keys.sorted() }

    public func contains(_ name: String) -> Bool { entries[name] != nil }

    /// The uncompressed bytes of member `name`.
    public func member(_ name: String) throws -> [UInt8] {
        guard let e = entries[name] else { throw ZipError(description: "\(file): no \(name) inside (is it really an .xlsx workbook?)") }
        guard e.flags & 1 == 0 else { throw ZipError(description: "\(file): \(name) is encrypted; save the workbook without a password") }
        guard e.size <= Self.memberLimit else { throw ZipError(description: "\(file): \(name) is larger than \(Self.memberLimit >> 20) MiB") }
        let h = e.localHeader
        guard h + 30 <= bytes.count, bytes[h] == 0x50, bytes[h + 1] == 0x4B, bytes[h + 2] == 0x03, bytes[h + 3] == 0x04 else {
            throw ZipError(description: "\(file): damaged ZIP entry \(name)")
        }
        let start = h + 30 + (Int(bytes[h + 26]) | Int(bytes[h + 27]) << 8) + (Int(bytes[h + 28]) | Int(bytes[h + 29]) << 8)
        guard start + e.compressedSize <= bytes.count else { throw ZipError(description: "\(file): \(name) is cut short") }
        let data = bytes[start..<(start + e.compressedSize)]
        switch e.method {
        case 0: return Array(data)
        case 8: return try inflate(Array(data), size: e.size, name: name)
        default: throw ZipError(description: "\(file): \(name) uses ZIP compression method \(e.method) (only stored and deflate are supported)")
        }
    }

    private func inflate(_ input: [UInt8], size: Int, name: String) throws -> [UInt8] {
        var output = [UInt8](repeating: 0, count: max(size, 1))
        var stream = z_stream()
        guard dataflow_inflate_init_raw(&stream) == Z_OK else { throw ZipError(description: "\(file): zlib could not start") }
        defer { inflateEnd(&stream) }
        var input = input
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                return CZlib.inflate(&stream, Z_FINISH)
            }
        }
        guard status == Z_STREAM_END, Int(stream.total_out) == size else {
            throw ZipError(description: "\(file): \(name) does not inflate (zlib status \(status)); the file is damaged")
        }
        return size == 0 ? [] : output
    }
}
