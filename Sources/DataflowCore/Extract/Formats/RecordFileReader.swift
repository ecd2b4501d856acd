import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Reads a downloaded NDJSON or CSV file in chunks and hands its records on in batches: memory
/// stays bounded by the chunk and batch sizes, whatever the file's size. CSV encoding: declared,
/// or detected as UTF-8 BOM → strict UTF-8 (a first pass over the file) → GB18030.
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
        let resolved: TextDecoding.Encoding = format == .csv ? try encoding ?? detect(path, chunkBytes: chunkBytes) : .utf8
        var decoder = try UTF8Decoder(resolved)
        switch format {
        case .csv:
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

    private static func chunks(_ path: String, _ chunkBytes: Int, _ body: ([UInt8]) throws -> Void) throws {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw TextDecoding.DecodeError(description: "cannot read the downloaded file \(path)") }
        defer { try? handle.close() }
        while let data = try handle.read(upToCount: chunkBytes), !data.isEmpty {
            try body([UInt8](data))
        }
    }

    /// BOM → UTF-8; a file that is valid UTF-8 throughout (but for a cut-off last character) → UTF-8; otherwise GB18030.
    static func detect(_ path: String, chunkBytes: Int) throws -> TextDecoding.Encoding {
        var validator = UTF8Validator()
        var valid = true
        try chunks(path, chunkBytes) { chunk in if valid { valid = validator.feed(chunk) } }
        // Valid UTF-8 up to a sequence cut off at the very end is a truncated UTF-8 body (the
        // decoder then says so), not GB18030.
        return valid ? .utf8 : .gb18030
    }
}

/// Validates UTF-8 across chunk boundaries (a sequence may be split between chunks).
struct UTF8Validator {
    private var carry: [UInt8] = []

    mutating func feed(_ chunk: [UInt8]) -> Bool {
        let bytes = carry + chunk
        let cut = UTF8Validator.completePrefix(bytes)
        carry = Array(bytes[cut...])
        return String(validating: bytes[..<cut], as: UTF8.self) != nil
    }

    func finish() -> Bool { carry.isEmpty }

    /// Length of `bytes` without a trailing, incomplete multi-byte sequence.
    static func completePrefix(_ bytes: [UInt8]) -> Int {
        var i = bytes.count - 1
        var back = 0
        while i >= 0 && back < 4 {
            let b = bytes[i]
            if b & 0xC0 != 0x80 {
                let need = b < 0x80 ? 1 : b >= 0xF0 ? 4 : b >= 0xE0 ? 3 : b >= 0xC0 ? 2 : 1
                return i + need > bytes.count ? i : bytes.count
            }
            i -= 1
            back += 1
        }
        return bytes.count
    }
}

/// Turns chunks of a file in a known encoding into UTF-8 chunks (BOM dropped, GB18030 through
/// an incremental iconv that carries a sequence split between chunks).
struct UTF8Decoder {
    private let encoding: TextDecoding.Encoding
    private var validator = UTF8Validator()
    private var converter: GB18030Stream?
    /// The first bytes, held until there are three so a BOM split between chunks is seen.
    private var head: [UInt8]? = []

    init(_ encoding: TextDecoding.Encoding) throws {
        self.encoding = encoding
        if encoding == .gb18030 { converter = try GB18030Stream() }
    }

    mutating func feed(_ chunk: [UInt8]) throws -> [UInt8] {
        var bytes = chunk
        if let held = head {
            bytes = held + chunk
            if bytes.count < 3 { head = bytes; return [] }
            head = nil
            if encoding == .utf8, bytes.starts(with: [0xEF, 0xBB, 0xBF]) { bytes.removeFirst(3) }
        }
        return try decode(bytes)
    }

    private mutating func decode(_ bytes: [UInt8]) throws -> [UInt8] {
        if let converter { return try converter.convert(bytes) }
        guard validator.feed(bytes) else { throw TextDecoding.DecodeError(description: "the body is declared utf-8 but is not valid UTF-8") }
        return bytes
    }

    /// Ends the input; returns what was still held back (a file shorter than three bytes).
    mutating func finish() throws -> [UInt8] {
        var rest: [UInt8] = []
        if let held = head, !held.isEmpty {
            head = nil
            rest = try decode(held)
        }
        if let converter { try converter.finish() } else if !validator.finish() {
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
