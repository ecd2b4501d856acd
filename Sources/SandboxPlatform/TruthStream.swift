import NIOCore

/// A snapshot of a dataset rendered as NDJSON in chunks, so a million-row truth never sits in memory.
///
/// The length is measured by a first rendering pass so the response keeps an exact `Content-Length`.
struct TruthStream: Sendable {
    /// Records per rendered chunk.
    static let chunkRecords = 512

    let recordCount: Int
    private let writeLines: @Sendable (Range<Int>, inout JSONOutput) -> Void
    /// The next record to render.
    private(set) var nextRecord = 0

    init<Generator: RecordGenerator>(_ batch: RecordBatch<Generator>) {
        recordCount = batch.count
        writeLines = { range, out in
            for offset in range {
                batch.record(at: offset).writeJSON(to: &out)
                out.raw("\n")
            }
        }
    }

    /// The exact byte length of the whole stream (renders everything once, chunk by chunk).
    func measureLength() -> Int {
        var length = 0
        var scratch = JSONOutput(capacity: Self.chunkRecords * 320)
        var start = 0
        while start < recordCount {
            let end = min(recordCount, start + Self.chunkRecords)
            scratch.clear()
            writeLines(start..<end, &scratch)
            length += scratch.byteCount
            start = end
        }
        return length
    }

    /// Whether every record has been rendered.
    var isFinished: Bool { nextRecord >= recordCount }

    /// Renders the next chunk, or nil when finished.
    mutating func nextChunk() -> ByteBuffer? {
        guard !isFinished else { return nil }
        let end = min(recordCount, nextRecord + Self.chunkRecords)
        var out = JSONOutput(capacity: (end - nextRecord) * 320)
        writeLines(nextRecord..<end, &out)
        nextRecord = end
        return out.buffer
    }
}
