import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a downloaded NDJSON or CSV file in chunks and hands its records on in batches: memory
/// stays bounded by the chunk and batch sizes, whatever the file's size. A CSV file's encoding is
/// declared or detected, and unless it is declared GB18030 a first pass over the file checks its
/// UTF-8 before any record is handed on (``TextDecoding``, docs/connectors.md).
public enum RecordFileReader {
    /// Calls `onRecords` with batches of at most `batch` records; returns how many were read.
    @discardableResult
    public static func read(path: String, format: RecordFormat, encoding: TextDecoding.Encoding?, batch: Int, chunkBytes: Int = 1 << 20,
                            onRecords: ([JSONValue]) throws -> Void) throws -> Int {
        var pending: [JSONValue] = []
        var total = 0
        func add(_ record: JSONValue) throws {
            pending.append(record)
            total += 1
            if pending.count >= batch { try onRecords(pending); pending.removeAll(keepingCapacity: true) }
        }
        let resolved: TextDecoding.Encoding = format == .csv ? try csvEncoding(path, declared: encoding, chunkBytes: chunkBytes) : .utf8
        var decoder = try UTF8Decoder(resolved)
        switch format {
        case .csv:
            try checkCSVEnd(path, chunkBytes: chunkBytes)
            var parser = CSVReader.Parser()
            var builder = CSVReader.RecordBuilder()
            func emit(_ row: [String], _ line: Int) throws { if let r = try builder.record(row, line: line) { try add(r) } }
            try chunks(path, chunkBytes) { chunk in
                let text = try decoder.feed(chunk)
                try text.withUnsafeBufferPointer { try parser.feed($0, emit: emit) }
            }
            let rest = try decoder.finish()
            try rest.withUnsafeBufferPointer { try parser.feed($0, emit: emit) }
            try parser.finish { row, line in if let r = try builder.record(row, line: line, last: true) { try add(r) } }
        case .ndjson, .json:
            try checkLastLine(path, chunkBytes: chunkBytes)
            var carry: [UInt8] = []
            var lineNumber = 0
            func line(_ bytes: ArraySlice<UInt8>) throws {
                lineNumber += 1
                guard bytes.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
                do { try add(try JSONParser.parse(Array(bytes))) } catch {
                    throw TextDecoding.DecodeError(description: "NDJSON line \(lineNumber): \(error)")
                }
            }
            try chunks(path, chunkBytes) { chunk in
                carry += try decoder.feed(chunk)
                var start = carry.startIndex
                while let nl = carry[start...].firstIndex(of: 0x0A) {
                    try line(carry[start..<nl])
                    start = nl + 1
                }
                carry.removeSubrange(..<start)
            }
            carry += try decoder.finish()
            // What follows the last line break is a line only the end of the input ended: when
            // it is not complete JSON, the body was cut inside that record.
            do {
                try line(carry[...])
            } catch let error as TextDecoding.DecodeError {
                throw TruncatedBody("\(error.description) (the last line has no line end: the body ends inside a record)")
            }
        }
        if !pending.isEmpty { try onRecords(pending) }
        return total
    }

    /// Throws ``TruncatedBody`` when a CSV file ends inside a quoted field, or with a last record
    /// that has no line end and fewer fields than the header: the checks the reading pass makes at
    /// the end, made first over the file's shape (no field's text is built), so a download cut
    /// inside a record is fetched again before any of its records is handed on (and stored, and
    /// counted, twice). The raw bytes are read as they are: the bytes that shape a CSV file
    /// (quote, comma, CR, LF) never occur inside a UTF-8 or GB18030 multi-byte sequence.
    static func checkCSVEnd(_ path: String, chunkBytes: Int) throws {
        var parser = CSVReader.Parser(shapeOnly: true)
        var headerFields: Int?
        func row(_ fields: [String], _ line: Int) { if headerFields == nil { headerFields = fields.count } }
        do {
            try chunks(path, chunkBytes) { chunk in try chunk.withUnsafeBufferPointer { try parser.feed($0, emit: row) } }
            try parser.finish { fields, line in
                if let header = headerFields, fields.count < header, !(fields.count == 1 && fields[0].isEmpty) {
                    throw TruncatedBody("CSV line \(line): the last record has \(fields.count) of the header's \(header) fields and no line end")
                }
            }
        } catch is CSVReader.SyntaxError {
            return   // malformed, not cut: the reading pass reports it where it is
        }
    }

    /// Throws ``TruncatedBody`` when what follows the file's last line break is not complete JSON:
    /// the check `read` makes at the end, made first, so a download cut inside a record is fetched
    /// again before any of its records is handed on (and stored, and counted, twice).
    static func checkLastLine(_ path: String, chunkBytes: Int) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TextDecoding.DecodeError(description: "cannot read the downloaded file \(path)") }
        defer { try? handle.close() }
        // Where the last line starts: read back from the end, a chunk at a time.
        var end = try handle.seekToEnd()
        var start: UInt64 = 0
        search: while end > 0 {
            let from = end > UInt64(chunkBytes) ? end - UInt64(chunkBytes) : 0
            try handle.seek(toOffset: from)
            let chunk = [UInt8](try handle.read(upToCount: Int(end - from)) ?? Data())
            if let newline = chunk.lastIndex(of: 0x0A) { start = from + UInt64(newline) + 1; break search }
            end = from
        }
        try handle.seek(toOffset: start)
        let last = [UInt8](try handle.readToEnd() ?? Data())
        guard last.contains(where: { $0 != 0x20 && $0 != 0x09 && $0 != 0x0D }) else { return }
        do { _ = try JSONParser.parse(last) } catch {
            throw TruncatedBody("NDJSON: the last line (from byte \(start)) has no line end and is not complete JSON (\(error)): the body ends inside a record")
        }
    }

    private static func chunks(_ path: String, _ chunkBytes: Int, _ body: ([UInt8]) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TextDecoding.DecodeError(description: "cannot read the downloaded file \(path)") }
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: chunkBytes), !data.isEmpty {
            try body([UInt8](data))
        }
    }

    /// The CSV file's encoding, `declared` or detected by ``TextDecoding``'s rule over one pass
    /// in chunks: a byte that is not UTF-8 in a file declared UTF-8, or in one that is UTF-8 but
    /// for a few bytes, fails the file here, with its offset and line, before anything is loaded.
    static func csvEncoding(_ path: String, declared: TextDecoding.Encoding?, chunkBytes: Int) throws -> TextDecoding.Encoding {
        if declared == .gb18030 { return .gb18030 }
        var survey = TextDecoding.UTF8Survey()
        var head: [UInt8] = []
        try chunks(path, chunkBytes) { chunk in
            if head.count < 3 { head += chunk.prefix(3 - head.count) }
            chunk.withUnsafeBufferPointer { survey.feed($0) }
        }
        // Valid UTF-8 up to a sequence cut off at the very end is a truncated UTF-8 body (the
        // decoder then says so), not GB18030.
        return try TextDecoding.detected(survey, declared: declared, hasBOM: TextDecoding.startsWithBOM(head))
    }
}

/// Turns chunks of a file in a known encoding into UTF-8 chunks (BOM dropped, GB18030 through
/// an incremental iconv that carries a sequence split between chunks).
struct UTF8Decoder {
    private let encoding: TextDecoding.Encoding
    private var survey = TextDecoding.UTF8Survey()
    private var converter: GB18030Stream?
    /// The first bytes, held until there are three so a BOM split between chunks is seen.
    private var head: [UInt8]? = []

    init(_ encoding: TextDecoding.Encoding) throws {
        self.encoding = encoding
        if encoding == .gb18030 { converter = try GB18030Stream() }
    }

    mutating func feed(_ chunk: [UInt8]) throws -> [UInt8] {
        guard let held = head else { return try decode(chunk) }
        let bytes = held + chunk
        if bytes.count < 3 { head = bytes; return [] }
        head = nil
        // The BOM goes after the check, so that offsets in errors count it, as the file does.
        var text = try decode(bytes)
        if encoding == .utf8, text.starts(with: [0xEF, 0xBB, 0xBF]) { text.removeFirst(3) }
        return text
    }

    private mutating func decode(_ bytes: [UInt8]) throws -> [UInt8] {
        if let converter { return try converter.convert(bytes) }
        bytes.withUnsafeBufferPointer { survey.feed($0) }
        if let first = survey.firstInvalid {
            throw TextDecoding.DecodeError.notUTF8(at: first, "which a UTF-8 body must not hold: have the gateway fix that byte")
        }
        return bytes
    }

    /// Ends the input; returns what was still held back (a file shorter than three bytes).
    mutating func finish() throws -> [UInt8] {
        var rest: [UInt8] = []
        if let held = head, !held.isEmpty {
            head = nil
            rest = try decode(held)
        }
        if let converter { try converter.finish() } else if survey.endsInsideSequence {
            throw TruncatedBody("the body ends inside a UTF-8 sequence")
        }
        return rest
    }
}

/// Incremental GB18030 → UTF-8 over iconv.
final class GB18030Stream {
    private let cd: iconv_t
    private var carry: [UInt8] = []
    private var consumed = 0

    init() throws {
        let cd = iconv_open("UTF-8", "GB18030")
        guard cd != iconv_t(bitPattern: -1), let cd else { throw TextDecoding.DecodeError(description: "this system's iconv has no GB18030 converter") }
        self.cd = cd
    }

    deinit { iconv_close(cd) }

    func convert(_ chunk: [UInt8]) throws -> [UInt8] {
        var input = carry + chunk
        var output = [UInt8](repeating: 0, count: input.count * 2 + 16)
        var failure: Int32 = 0
        let (used, produced): (Int, Int) = input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                var inPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(inBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuffer.count
                var outPointer: UnsafeMutablePointer<CChar>? = UnsafeMutableRawPointer(outBuffer.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outLeft = outBuffer.count
                if iconv(cd, &inPointer, &inLeft, &outPointer, &outLeft) == -1 { failure = errno }
                return (inBuffer.count - inLeft, outBuffer.count - outLeft)
            }
        }
        if failure != 0 && failure != EINVAL {
            throw TextDecoding.DecodeError(description: "the body is neither UTF-8 nor valid GB18030 (bad byte sequence at byte \(consumed + used))")
        }
        consumed += used
        carry = Array(input[used...])
        return Array(output.prefix(produced))
    }

    func finish() throws {
        guard carry.isEmpty else {
            throw TruncatedBody("the body ends inside a GB18030 sequence (byte \(consumed))")
        }
    }
}
