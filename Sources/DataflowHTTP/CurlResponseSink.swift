import Foundation

/// Receives one transfer's header lines and body bytes from libcurl's callbacks.
///
/// Lives for one `curl_easy_perform` on the calling thread and is handed to the C callbacks
/// through `Unmanaged` (unretained: ``CurlTransport`` keeps it alive around the perform).
final class CurlResponseSink {
    private(set) var body: [UInt8] = []
    private(set) var headers: [HTTPHeader] = []
    /// Set when the body passed the limit and the write callback aborted the transfer.
    private(set) var exceededLimit = false
    /// Set when writing the body file failed (disk full, permissions).
    private(set) var fileError: String?
    private let limit: Int
    private let file: FileHandle?

    init(limit: Int, file: FileHandle? = nil) {
        self.limit = max(0, limit)
        self.file = file
    }

    /// Body bytes received so far (in memory or written to the file).
    private var received = 0

    /// Appends body bytes (or writes them to the file); returns `false` (abort) when the limit
    /// would be passed — a file has a limit too, so an endless body cannot fill the disk.
    func receiveBody(_ bytes: UnsafeRawBufferPointer) -> Bool {
        if bytes.count > limit - received {
            exceededLimit = true
            return false
        }
        received += bytes.count
        if let file {
            do { try file.write(contentsOf: bytes) } catch {
                fileError = "\(error)"
                return false
            }
            return true
        }
        body.append(contentsOf: bytes)
        return true
    }

    /// Takes one raw header line as libcurl delivers it (status lines included, CRLF at the end).
    func receiveHeaderLine(_ bytes: UnsafeRawBufferPointer) {
        // Strip the line ending as bytes: "\r\n" is one Character, so a Character test misses it.
        var end = bytes.count
        while end > 0, bytes[end - 1] == 0x0D || bytes[end - 1] == 0x0A { end -= 1 }
        let line = Substring(Self.decode(UnsafeRawBufferPointer(rebasing: bytes[0..<end])))
        if line.hasPrefix("HTTP/") {
            // A new status line starts a new response (redirect hop, 100 Continue, proxy
            // CONNECT): only the final response's headers are kept.
            headers.removeAll(keepingCapacity: true)
            return
        }
        guard !line.isEmpty else { return }
        if let first = line.first, first == " " || first == "\t" {
            // Obsolete line folding (RFC 9112 §5.2): continues the previous value.
            if !headers.isEmpty {
                let more = Self.trimmed(line)
                headers[headers.count - 1].value += headers[headers.count - 1].value.isEmpty ? more : " " + more
            }
            return
        }
        guard let colon = line.firstIndex(of: ":") else { return }
        let name = Self.trimmed(line[..<colon])
        guard !name.isEmpty else { return }
        headers.append(HTTPHeader(name: name, value: Self.trimmed(line[line.index(after: colon)...])))
    }

    /// UTF-8 when valid, else ISO-8859-1 (header bytes are not guaranteed to be UTF-8).
    private static func decode(_ bytes: UnsafeRawBufferPointer) -> String {
        if let text = String(validating: bytes, as: UTF8.self) { return text }
        return String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
    }

    private static func trimmed(_ text: Substring) -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" }
        guard let start = text.firstIndex(where: { !isSpace($0) }),
              let end = text.lastIndex(where: { !isSpace($0) })
        else { return "" }
        return String(text[start...end])
    }
}
