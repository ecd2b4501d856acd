/// One dataset's serving order: record ids sorted by `(UPDATE_TIME, key)` plus the records that
/// differ from their generated form.
///
/// Records are never materialised: the order is two compact arrays (id, time) and record `id` is
/// regenerated on demand, from `changes` when it was mutated or inserted.
/// Touched records leave their position and re-enter at the end; the clock never goes backwards,
/// so "the end" is the suffix of records stamped with the current time, kept sorted by key.
struct DatasetStore<Generator: RecordGenerator>: Sendable {
    typealias Record = Generator.Record

    let generator: Generator
    /// Record ids in serving order, from `head`.
    private(set) var ids: [Int32]
    /// `UPDATE_TIME` of `ids[i]`, non-decreasing from `head`.
    private(set) var times: [Int64]
    /// Records before `head` have left the front (drift) and are dead slots.
    private(set) var head = 0
    /// How mutated and inserted records differ from their generated form.
    private(set) var changes: [Int32: RecordChange] = [:]
    /// The id the next inserted record gets.
    private(set) var nextID: Int32

    /// Builds the base order: record `i` has time `start + ⌊i / groupSize⌋` minutes; ties sort by key.
    init(generator: Generator, groupSize: Int, start: Int64 = CivilTime.baseRecordsStart) {
        self.generator = generator
        let count = generator.baseCount
        let groupSize = max(1, groupSize)
        ids = []
        ids.reserveCapacity(count)
        times = []
        times.reserveCapacity(count)
        nextID = Int32(clamping: count)
        var group: [OrderEntry] = []
        group.reserveCapacity(groupSize)
        var groupStart = 0
        while groupStart < count {
            let groupEnd = min(count, groupStart + groupSize)
            group.removeAll(keepingCapacity: true)
            for index in groupStart..<groupEnd {
                let id = Int32(truncatingIfNeeded: index)
                group.append(OrderEntry(sortKey: generator.sortKey(id: id), id: id))
            }
            group.sort()
            let time = start + Int64(groupStart / groupSize) * 60
            for entry in group {
                ids.append(entry.id)
                times.append(time)
            }
            groupStart = groupEnd
        }
    }

    /// Records currently in the order (deleted licences included).
    var count: Int { ids.count - head }

    /// `UPDATE_TIME` of the last record in the order, if any.
    var lastTime: Int64? { count > 0 ? times[times.count - 1] : nil }

    /// The current version of the record at order position `position` (absolute index).
    func record(at position: Int) -> Record {
        let id = ids[position]
        if let change = changes[id] { return generator.record(id: id, change: change) }
        return generator.record(id: id, updateTime: times[position])
    }

    /// The first absolute position whose time is `>= time`.
    func firstPosition(notBefore time: Int64) -> Int {
        var low = head
        var high = ids.count
        while low < high {
            let middle = (low + high) / 2
            if times[middle] < time { low = middle + 1 } else { high = middle }
        }
        return low
    }

    /// The ids, times and changes of one page, copied so they can be rendered unlocked.
    func page(startTime: Int64?, pageNumber: Int, pageSize: Int) -> RecordBatch<Generator> {
        let first = startTime.map { firstPosition(notBefore: $0) } ?? head
        let total = ids.count - first
        let (offset, overflow) = (pageNumber - 1).multipliedReportingOverflow(by: pageSize)
        let lower = overflow ? ids.count : min(ids.count, first + min(offset, total))
        let upper = min(ids.count, lower + pageSize)
        return batch(lower..<upper, total: total)
    }

    /// Records `offset..<offset+limit` of the set filtered by `startTime`.
    func slice(startTime: Int64?, offset: Int, limit: Int) -> RecordBatch<Generator> {
        let first = startTime.map { firstPosition(notBefore: $0) } ?? head
        let total = ids.count - first
        let lower = min(ids.count, first + min(max(0, offset), total))
        let upper = min(ids.count, lower + max(0, limit))
        return batch(lower..<upper, total: total)
    }

    /// Every record in serving order (truth), copied lazily: arrays are copy-on-write.
    func all() -> RecordBatch<Generator> {
        RecordBatch(generator: generator, total: count, ids: ids[head...], times: times[head...], changes: changes)
    }

    private func batch(_ range: Range<Int>, total: Int) -> RecordBatch<Generator> {
        var pageChanges: [Int32: RecordChange] = [:]
        if !changes.isEmpty {
            for id in ids[range] {
                if let change = changes[id] { pageChanges[id] = change }
            }
        }
        return RecordBatch(
            generator: generator, total: total,
            ids: ArraySlice(Array(ids[range])), times: ArraySlice(Array(times[range])), changes: pageChanges
        )
    }

    // MARK: Mutations

    /// Applies `change` to the records at `positions` (absolute, distinct) and moves them to the
    /// end stamped `time`. Returns their keys in the order given.
    @discardableResult
    mutating func touch(positions: [Int], at time: Int64, _ change: (Int32, RecordChange) -> RecordChange) -> [String] {
        guard !positions.isEmpty else { return [] }
        var touched: [OrderEntry] = []
        touched.reserveCapacity(positions.count)
        for position in positions {
            let id = ids[position]
            let next = change(id, changes[id] ?? RecordChange(originTime: times[position]))
            assert(next.updateTime == time, "a touched record must be stamped with the time it moves at")
            changes[id] = next
            touched.append(OrderEntry(sortKey: generator.sortKey(id: id), id: id))
        }
        remove(positions: positions)
        appendAtTail(touched, time: time)
        return touched.map { generator.key(id: $0.id) }
    }

    /// Up to `count` distinct absolute positions of records that are not deleted, chosen by
    /// `randomness` with our own arithmetic (not the standard library's, which may change between
    /// toolchains), so a seed's mutations stay the same everywhere.
    func pickLivePositions(count: Int, using randomness: inout SplitMix64) -> [Int] {
        let size = ids.count - head
        guard count > 0, size > 0 else { return [] }
        func isLive(_ position: Int) -> Bool { changes[ids[position]]?.isDeleted != true }
        var chosen = Set<Int>()
        var picked: [Int] = []
        if count * 2 <= size {
            var attempts = 0
            while picked.count < count, attempts < count * 20 + 100 {
                attempts += 1
                let position = head + Int(randomness.next() % UInt64(size))
                if isLive(position), chosen.insert(position).inserted { picked.append(position) }
            }
        }
        if picked.count < count {
            // Dense requests (or many deleted records): shuffle every remaining candidate.
            var candidates = (head..<ids.count).filter { !chosen.contains($0) && isLive($0) }
            for index in candidates.indices.reversed() where index > 0 {
                candidates.swapAt(index, Int(randomness.next() % UInt64(index + 1)))
            }
            picked.append(contentsOf: candidates.prefix(count - picked.count))
        }
        return picked
    }

    /// Adds `count` new records stamped `time` at the end; returns their keys.
    mutating func insert(count: Int, at time: Int64) -> [String] {
        var inserted: [OrderEntry] = []
        inserted.reserveCapacity(count)
        for _ in 0..<count {
            guard nextID < Int32.max else { break }
            let id = nextID
            nextID += 1
            changes[id] = RecordChange(originTime: time)
            inserted.append(OrderEntry(sortKey: generator.sortKey(id: id), id: id))
        }
        appendAtTail(inserted, time: time)
        return inserted.map { generator.key(id: $0.id) }
    }

    /// Hard-deletes the records at `positions` (absolute, distinct): they leave the order, so the
    /// gateway and the truth no longer have them, with no flag. Returns their keys.
    mutating func purge(positions: [Int]) -> [String] {
        guard !positions.isEmpty else { return [] }
        let keys = positions.map { generator.key(id: ids[$0]) }
        remove(positions: positions)
        return keys
    }

    /// Removes the records at `positions` (absolute, distinct) from the order.
    private mutating func remove(positions: [Int]) {
        let sorted = positions.sorted()
        if sorted.allSatisfy({ $0 < head + sorted.count }) && sorted.first == head {
            head += sorted.count  // all from the front: drift, O(1)
            compactIfWasteful()
            return
        }
        var write = sorted[0]
        var next = 0
        for read in sorted[0]..<ids.count {
            if next < sorted.count, sorted[next] == read {
                next += 1
                continue
            }
            ids[write] = ids[read]
            times[write] = times[read]
            write += 1
        }
        ids.removeLast(ids.count - write)
        times.removeLast(times.count - write)
    }

    /// Drops dead front slots once they are the larger part of the arrays.
    private mutating func compactIfWasteful() {
        guard head > 4_096, head * 2 > ids.count else { return }
        ids.removeFirst(head)
        times.removeFirst(head)
        head = 0
    }

    /// Inserts `entries` stamped `time` (not earlier than any time in the order) into the suffix of
    /// records with that same time, keeping it sorted by `(key, id)`.
    ///
    /// Insertion points are found by binary search, then one backward merge pass shifts only the
    /// records after the first insertion point: drift into a large same-time suffix stays cheap.
    private mutating func appendAtTail(_ entries: [OrderEntry], time: Int64) {
        guard !entries.isEmpty else { return }
        let sortedEntries = entries.sorted()
        let oldCount = ids.count
        var low = firstPosition(notBefore: time)
        var insertionPoints: [Int] = []
        insertionPoints.reserveCapacity(sortedEntries.count)
        for entry in sortedEntries {
            var high = oldCount
            while low < high {
                let middle = (low + high) / 2
                let otherID = ids[middle]
                if OrderEntry(sortKey: generator.sortKey(id: otherID), id: otherID) < entry {
                    low = middle + 1
                } else {
                    high = middle
                }
            }
            insertionPoints.append(low)
        }
        ids.append(contentsOf: repeatElement(0, count: sortedEntries.count))
        times.append(contentsOf: repeatElement(time, count: sortedEntries.count))
        ids.withUnsafeMutableBufferPointer { idSlots in
            times.withUnsafeMutableBufferPointer { timeSlots in
                guard let idBase = idSlots.baseAddress, let timeBase = timeSlots.baseAddress else { return }
                // Walk entries from the last: shift each block of old records right by the number
                // of entries still to place before it (memmove), then drop the entry in the gap.
                var blockEnd = oldCount
                for index in sortedEntries.indices.reversed() {
                    let point = insertionPoints[index]
                    let shift = index + 1
                    if blockEnd > point {
                        (idBase + point + shift).update(from: idBase + point, count: blockEnd - point)
                        (timeBase + point + shift).update(from: timeBase + point, count: blockEnd - point)
                    }
                    idBase[point + index] = sortedEntries[index].id
                    timeBase[point + index] = time
                    blockEnd = point
                }
            }
        }
    }
}

/// A record's place among records with the same time: by key (as a sort key), then by id.
struct OrderEntry: Comparable, Sendable {
    let sortKey: UInt64
    let id: Int32

    static func < (left: OrderEntry, right: OrderEntry) -> Bool {
        left.sortKey != right.sortKey ? left.sortKey < right.sortKey : left.id < right.id
    }
}

/// A copied slice of a dataset's order, rendered outside the state lock.
struct RecordBatch<Generator: RecordGenerator>: Sendable {
    let generator: Generator
    /// Size of the filtered set the slice was taken from.
    let total: Int
    let ids: ArraySlice<Int32>
    let times: ArraySlice<Int64>
    let changes: [Int32: RecordChange]

    var count: Int { ids.count }

    /// The record at `offset` (0-based within the batch).
    func record(at offset: Int) -> Generator.Record {
        let id = ids[ids.startIndex + offset]
        if let change = changes[id] { return generator.record(id: id, change: change) }
        return generator.record(id: id, updateTime: times[times.startIndex + offset])
    }

    /// Appends records `range` (offsets) as a comma-separated JSON list body (no brackets).
    func writeJSONList(_ range: Range<Int>, to out: inout JSONOutput) {
        for offset in range {
            if offset > range.lowerBound { out.raw(",") }
            record(at: offset).writeJSON(to: &out)
        }
    }
}
