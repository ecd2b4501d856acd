/// One page of raw records mapped: rows to upsert, rejects to quarantine, source fields the
/// mapping does not use (schema drift), and the page's highest cursor.
public struct MappedPage {
    public var rows: [MappedRow] = []
    public var rejects: [RejectedRecord] = []
    public var unmappedFields: Set<String> = []
    public var maxCursor: Int?
    /// Records (rows or rejects) with no usable cursor value.
    public var withoutCursor = 0

    /// A digest of the page's content (keys and content hashes, in order): two pages with the
    /// same fingerprint in one process carry the same records. Set by `mapPage`, so it is
    /// computed where the page is mapped (the prefetch thread of a cursor walk), not by the writer.
    public internal(set) var fingerprint = 0
}

extension RecordMapper {
    /// Maps a page of records (the one loop every walker shares). `cursors`, when given, holds
    /// each record's cursor as `RecordMapper.cursor(of:_:hint:)` read it with this dataset's
    /// `incremental` (a cursor walk reads them first, for its next request).
    public func mapPage(_ records: [JSONValue], cursors: [Int?]? = nil) -> MappedPage {
        precondition(cursors == nil || cursors?.count == records.count, "one cursor per record")
        var page = MappedPage()
        page.rows.reserveCapacity(records.count)
        var previousKeys: [String] = []
        for (index, record) in records.enumerated() {
            // Records of a page nearly always share one shape: look up the field names only when
            // they differ from the previous record's (no hashing per field per record).
            if case .object(let o) = record, !o.members.elementsEqual(previousKeys, by: { $0.key == $1 }) {
                for member in o.members where !knownSourceFields.contains(member.key) {
                    // A name holding U+0000 is recorded with it spelled out: PostgreSQL text cannot hold it.
                    page.unmappedFields.insert(member.key.utf8.contains(0) ? member.key.replacingOccurrences(of: "\u{0}", with: #"\u0000"#) : member.key)
                }
                previousKeys = o.members.map(\.key)
            }
            switch map(record, cursor: cursors.map { $0[index] }) {
            case .row(let row):
                if let c = row.cursor { page.maxCursor = max(page.maxCursor ?? c, c) } else { page.withoutCursor += 1 }
                page.rows.append(row)
            case .rejected(let r):
                if let c = r.cursor { page.maxCursor = max(page.maxCursor ?? c, c) } else { page.withoutCursor += 1 }
                page.rejects.append(r)
            }
        }
        var hasher = Hasher()
        // Read in place: a row copied out of the array retains and releases each of its strings.
        page.rows.withUnsafeBufferPointer { rows in
            for index in rows.indices {
                hasher.combine(rows[index].key)
                hasher.combine(rows[index].hash)
            }
        }
        for reject in page.rejects { hasher.combine(reject.key); hasher.combine(reject.record.serialized()) }
        page.fingerprint = hasher.finalize()
        return page
    }
}
