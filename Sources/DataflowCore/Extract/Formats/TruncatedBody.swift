/// A body that ends inside a record: a CSV quoted field left open, a last CSV row with fewer
/// fields than the header, a last NDJSON line that is not complete JSON, or a multi-byte
/// character cut in two. A body cut short in transit looks exactly like this, so the request is
/// retried like any transport fault (a body shorter than its `Content-Length` is caught earlier,
/// by libcurl).
///
/// ```swift
/// do { try RecordFileReader.read(path: file, format: .csv, encoding: nil, batch: 500) { _ in } }
/// catch let error as TruncatedBody { print("retrying: \(error)") }
/// ```
public struct TruncatedBody: Error, Sendable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
