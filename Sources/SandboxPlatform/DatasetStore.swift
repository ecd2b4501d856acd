/// One dataset's serving order: record ids sorted by `(UPDATE_TIME, key)` plus the records that
/// differ from their generated form.
///
/// Base records are never materialised: the order is two compact arrays (id, time) and record
/// `id` is regenerated on demand unless `overrides` holds a mutated or inserted version.
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
    /// Mutated and inserted records.
    private(set) var overrides: [Int32: Record] = [:]
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
        var group: [(key: String, id: Int32)] = []
        group.reserveCapacity(groupSize)
        var groupStart = 0
        while groupStart < count {
            let groupEnd = min(count, groupStart + groupSize)
            group.removeAll(keepingCapacity: true)
            for index in groupStart..<groupEnd {
                let id = Int32(truncatingIfNeeded: index)
                group.append((generator.key(id: id), id))
            }
            group.sort { $0.key != $1.key ? $0.key < $1.key : $0.id < $1.id }
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
        return overrides[id] ?? generator.record(id: id, updateTime: times[position])
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

    /// The ids, times and overridden records of one page, copied so they can be rendered unlocked.
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
        RecordBatch(generator: generator, total: count, ids: ids[head...], times: times[head...], overrides: overrides)
    }

    private func batch(_ range: Range<Int>, total: Int) -> RecordBatch<Generator> {
        var pageOverrides: [Int32: Record] = [:]
        if !overrides.isEmpty {
            for id in ids[range] {
                if let record = overrides[id] { pageOverrides[id] = record }
            }
        }
        return RecordBatch(
            generator: generator, total: total,
            ids: ArraySlice(Array(ids[range])), times: ArraySlice(Array(times[range])), overrides: pageOverrides
        )
    }

    // MARK: Mutations

    /// Applies `transform` to the records at `positions` (absolute, distinct) and moves them to the
    /// end stamped `time`. Returns the new versions in the order given.
    @discardableResult
    mutating func touch(positions: [Int], at time: Int64, _ transform: (Int32, Record) -> Record) -> [Record] {
        guard !positions.isEmpty else { return [] }
        var changed: [(id: Int32, record: Record)] = []
        changed.reserveCapacity(positions.count)
        for position in positions {
            let id = ids[position]
            let changedRecord = transform(id, record(at: position))
            assert(changedRecord.updateTime == time, "a touched record must be stamped with the time it moves at")
            changed.append((id, changedRecord))
        }
        remove(positions: positions)
        for (id, record) in changed { overrides[id] = record }
        appendAtTail(changed.map { ($0.id, $0.record.key) }, time: time)
        return changed.map(\.record)
    }

    /// Up to `count` distinct absolute positions of records that are not deleted, chosen by `generator`.
    func pickLivePositions(count: Int, using randomness: inout SplitMix64) -> [Int] {
        let size = ids.count - head
        guard count > 0, size > 0 else { return [] }
        func isLive(_ position: Int) -> Bool { overrides[ids[position]]?.isDeleted != true }
        var chosen = Set<Int>()
        var picked: [Int] = []
        if count * 2 <= size {
            var attempts = 0
            while picked.count < count, attempts < count * 20 + 100 {
                attempts += 1
                let position = head + Int.random(in: 0..<size, using: &randomness)
                if isLive(position), chosen.insert(position).inserted { picked.append(position) }
            }
        }
        if picked.count < count {
            // Dense requests (or many deleted records): shuffle every remaining candidate.
            var candidates = (head..<ids.count).filter { !chosen.contains($0) && isLive($0) }
            candidates.shuffle(using: &randomness)
            picked.append(contentsOf: candidates.prefix(count - picked.count))
        }
        return picked
    }

    /// Adds `count` new records stamped `time` at the end; returns them.
    mutating func insert(count: Int, at time: Int64) -> [Record] {
        var inserted: [(id: Int32, record: Record)] = []
        inserted.reserveCapacity(count)
        for _ in 0..<count {
            guard nextID < Int32.max else { break }
            let id = nextID
            nextID += 1
            let record = generator.record(id: id, updateTime: time)
            overrides[id] = record
            inserted.append((id, record))
        }
        appendAtTail(inserted.map { ($0.id, $0.record.key) }, time: time)
        return inserted.map(\.record)
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
    private mutating func appendAtTail(_ entries: [(id: Int32, key: String)], time: Int64) {
        guard !entries.isEmpty else { return }
        let sortedEntries = entries.sorted { $0.key != $1.key ? $0.key < $1.key : $0.id < $1.id }
        let suffixStart = firstPosition(notBefore: time)
        if suffixStart == ids.count {
            for entry in sortedEntries {
                ids.append(entry.id)
                times.append(time)
            }
            return
        }
        if sortedEntries.count <= 32 {
            for entry in sortedEntries {
                var low = suffixStart
                var high = ids.count
                while low < high {
                    let middle = (low + high) / 2
                    let other = (key: record(at: middle).key, id: ids[middle])
                    if other.key != entry.key ? other.key < entry.key : other.id < entry.id {
                        low = middle + 1
                    } else {
                        high = middle
                    }
                }
                ids.insert(entry.id, at: low)
                times.insert(time, at: low)
            }
            return
        }
        var merged = (suffixStart..<ids.count).map { (id: ids[$0], key: record(at: $0).key) }
        merged.append(contentsOf: sortedEntries)
        merged.sort { $0.key != $1.key ? $0.key < $1.key : $0.id < $1.id }
        ids.removeLast(ids.count - suffixStart)
        times.removeLast(times.count - suffixStart)
        for entry in merged {
            ids.append(entry.id)
            times.append(time)
        }
    }
}

/// A copied slice of a dataset's order, rendered outside the state lock.
struct RecordBatch<Generator: RecordGenerator>: Sendable {
    let generator: Generator
    /// Size of the filtered set the slice was taken from.
    let total: Int
    let ids: ArraySlice<Int32>
    let times: ArraySlice<Int64>
    let overrides: [Int32: Generator.Record]

    var count: Int { ids.count }

    /// The record at `offset` (0-based within the batch).
    func record(at offset: Int) -> Generator.Record {
        let id = ids[ids.startIndex + offset]
        return overrides[id] ?? generator.record(id: id, updateTime: times[times.startIndex + offset])
    }

    /// Appends records `range` (offsets) as a comma-separated JSON list body (no brackets).
    func writeJSONList(_ range: Range<Int>, to out: inout JSONOutput) {
        for offset in range {
            if offset > range.lowerBound { out.raw(",") }
            record(at: offset).writeJSON(to: &out)
        }
    }
}
