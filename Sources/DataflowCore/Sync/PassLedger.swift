/// The bookkeeping of one pass over a dataset: what the gateway said at the start and at the
/// end, what came back, and how the walk ended — so the walker can judge whether the pass was
/// *complete* before anything is tombstoned or an unsorted watermark moves (docs/sync.md,
/// "What complete means").
///
/// ```swift
/// var ledger = PassLedger(dataset: "market_licenses", source: "province", ownOrigin: "https://gw.example")
/// try ledger.record(page, fingerprint: committed.fingerprint, maxCursor: committed.maxCursor)
/// ledger.end(.emptyPage, total: page.total)
/// if case .uncertain(let why) = ledger.verdict(distinctKeys: try warehouse.keysSeen(...)) { … }
/// ```
///
/// It keeps counters, one fingerprint per page and the origins that answered — never the keys
/// themselves: distinct keys are counted by the warehouse, which stamps every key a pass reads
/// (so a million-row pass stays in bounded memory).
struct PassLedger {
    /// How the walk ended.
    enum Ending: String, Sendable {
        case emptyPage = "an empty page"
        case noNext = "no next link or token"
        case totalReached = "the gateway's total was reached"
        case shortPage = "a page shorter than the ones before"
        case lastPageRepeated = "the page after a short page repeating an earlier one (the gateway serves its last or first page past the end)"
        case singleResponse = "its one response"
    }

    /// Whether a finished pass may tombstone or move an unsorted watermark.
    enum Verdict: Equatable, Sendable {
        case complete
        case uncertain(String)
    }

    /// A pass the gateway made impossible to finish honestly: the dataset fails with this message.
    struct Refusal: Error, CustomStringConvertible, Sendable {
        var dataset: String
        var message: String
        var description: String { "\(dataset): \(message); the pages read were kept, nothing was tombstoned, the watermark was not moved" }
    }

    let dataset: String
    let ownOrigin: String
    private(set) var totalAtStart: Int?
    private(set) var totalAtEnd: Int?
    /// The largest total any response reported (inserts during the pass make it grow).
    private(set) var largestTotal: Int?
    /// Records received, duplicates included.
    private(set) var records = 0
    /// Rejected records without a key (the warehouse cannot stamp them), each counted once
    /// however often the walk read it as it was: a by-cursor walk reads the records at its bound
    /// again on purpose, and counted twice they made the pass look as if it read more records
    /// than the gateway holds, so a reconcile never finished. (One that changed between reads —
    /// it moved — counts twice; `verdict`'s comparison with the pass before catches that.)
    var keylessRejects: Int { keylessSeen.count }
    private var keylessSeen: Set<Int> = []
    private(set) var pages = 0
    /// The highest cursor of the pass (the candidate watermark of an unsorted walk).
    private(set) var maxCursor: Int?
    /// Records with no usable cursor value.
    private(set) var withoutCursor = 0
    /// Origins other than the source's own that answered a request of this pass.
    private(set) var foreignOrigins: [String] = []
    private(set) var ending: Ending?
    /// A page shorter than the ones before that more records followed (page number, records).
    private(set) var shortInside: (number: Int, records: Int)?
    private var fingerprints: [Int: Int] = [:]
    private var segmentPages = 0
    private var largestPage = 0

    /// Extra pages a walk may take beyond what its total allows (re-reads at a cursor bound,
    /// records inserted during the pass).
    static func slack(forPages pages: Int) -> Int { 10 + pages / 10 }

    /// Whether every response must report the same total (`oneTotal`), and the first total that
    /// differed from the first response's.
    let oneTotal: Bool
    private(set) var otherTotal: Int?

    /// - Parameter oneTotal: every response of the pass must report the total the first one did:
    ///   a page walk whose pages may be fetched out of order (several in flight) cannot take its
    ///   first and last page in order as its first and last in time. Cursor walks, whose filtered
    ///   totals move with their bound, leave it off.
    init(dataset: String, ownOrigin: String, oneTotal: Bool = false) {
        self.dataset = dataset
        self.ownOrigin = ownOrigin
        self.oneTotal = oneTotal
    }

    /// Records one response of the pass. Throws a `Refusal` when the gateway repeats a page of this
    /// pass, sends more records in one response than its own total, or keeps paging past what its
    /// total allows.
    mutating func record(records count: Int, total: Int?, url: String, finalURL: String?, fingerprint: Int?, maxCursor: Int?,
                         withoutCursor: Int, keylessRejects: [Int]) throws {
        pages += 1
        segmentPages += 1
        records += count
        self.withoutCursor += withoutCursor
        keylessSeen.formUnion(keylessRejects)
        if let maxCursor { self.maxCursor = max(self.maxCursor ?? maxCursor, maxCursor) }
        if pages == 1 { totalAtStart = total }
        if let total, let start = totalAtStart, total != start, otherTotal == nil { otherTotal = total }
        if let total { largestTotal = max(largestTotal ?? total, total) }
        largestPage = max(largestPage, count)
        let answered = URLResolver.origin(of: finalURL ?? url)
        if !url.isEmpty, answered.lowercased() != ownOrigin.lowercased(), !foreignOrigins.contains(answered) {
            foreignOrigins.append(answered)
        }
        if let total, count > total {
            throw Refusal(dataset: dataset, message: "the gateway reported a total of \(total) but one response held \(count) records: its total is wrong")
        }
        if let fingerprint, count > 0 {
            if let earlier = fingerprints[fingerprint] {
                throw Refusal(dataset: dataset, message: "page \(pages) is identical to page \(earlier) of this pass: the gateway ignores the paging parameters or serves the same page forever; stopped after \(pages) pages")
            }
            fingerprints[fingerprint] = pages
        }
        if let total = largestTotal, largestPage > 0 {
            let allowed = (total + largestPage - 1) / largestPage
            let bound = allowed + Self.slack(forPages: allowed)
            if segmentPages > bound {
                throw Refusal(dataset: dataset, message: "read \(segmentPages) pages, more than a total of \(total) records allows at \(largestPage) per page (at most \(bound) with slack): the gateway keeps paging past its own total")
            }
        }
    }

    /// A by-cursor walk moved its lower bound: pages under the new bound are new requests (the
    /// first may legitimately equal the last page under the old one), and the page bound counts again.
    mutating func boundMoved() {
        fingerprints.removeAll(keepingCapacity: true)
        segmentPages = 0
    }

    /// The cursor value (epoch seconds) whose records took more than one page of a by-cursor walk,
    /// the lowest if several did; set by `tiedAcrossPages(at:)`.
    private(set) var tiedAt: Int?

    /// A by-cursor walk asked for a second page under one bound: the records sharing that cursor
    /// value filled a whole page, and the walk went on by page number (or next link) inside them.
    /// A record of theirs that moves or goes meanwhile shifts the rest, and one is not read.
    mutating func tiedAcrossPages(at cursor: Int) {
        tiedAt = min(tiedAt ?? cursor, cursor)
    }

    /// The walk ended as the gateway says walks end; `total` is what the last response reported.
    mutating func end(_ ending: Ending, total: Int?) {
        self.ending = ending
        totalAtEnd = total ?? totalAtEnd
    }

    /// A page the walk took for the last (shorter than the ones before, no total), or a short page a
    /// by-cursor walk's total sent it past under the same bound, was followed by more records: the
    /// gateway left records out of it, so the pass cannot show it read every key.
    mutating func shortPageInside(number: Int, records: Int) {
        if shortInside == nil { shortInside = (number, records) }
    }

    /// Notes the total a response reported without counting it as a page (the unfiltered check
    /// request at the end of a reconciling cursor walk).
    mutating func endTotal(_ total: Int?) { totalAtEnd = total }

    /// Judges the pass. `distinctKeys` is the number of distinct keys the warehouse stamped for this
    /// run (nil when it was not counted); `duplicatesExpected` is true for walks that re-read the
    /// records at their cursor bound on purpose; `keylessBefore` is how many records without a
    /// key the dataset's previous pass read (nil when none was counted).
    func verdict(distinctKeys: Int?, duplicatesExpected: Bool = false, keylessBefore: Int? = nil) -> Verdict {
        guard ending != nil else { return .uncertain("the walk did not end the way the gateway says a walk ends") }
        if !foreignOrigins.isEmpty {
            return .uncertain("answers came from \(foreignOrigins.joined(separator: ", ")), not the source's own origin \(ownOrigin); they do not count towards a complete pass")
        }
        if tiedAt != nil {
            return .uncertain("records sharing one cursor value took more than a page, and the walk paged inside them: one that moved or went meanwhile can push another past the walk unread (set request.pagination.size above the most records that share a cursor value)")
        }
        if let short = shortInside {
            return .uncertain("page \(short.number) held \(short.records) records, fewer than the pages before it, and more pages followed: the gateway left records out of a page, so the pass cannot show it read every key")
        }
        if let start = totalAtStart, let end = totalAtEnd, start != end {
            return .uncertain("the gateway's total changed during the pass (\(start) at the start, \(end) at the end)")
        }
        if oneTotal, let start = totalAtStart, let other = otherTotal {
            return .uncertain("the gateway's total changed during the pass (\(start) at the start, \(other) on a later page)")
        }
        guard let distinctKeys else { return .complete }
        // A record without a key cannot be told from another, so one read twice (it moved while
        // the walk paged) is not seen as a repeat, and it stands in for the record the move made
        // the walk skip. Their number only grows from one pass to the next when one is new or
        // read twice; the pass cannot tell which, so it does not count as complete.
        if let before = keylessBefore, keylessRejects > before {
            return .uncertain("it read \(keylessRejects) records without a key where the pass before read \(before): one may have been read twice while the order shifted and stood in for a record that was skipped (if they are new records, the next run goes on)")
        }
        let seen = distinctKeys + keylessRejects
        if let total = totalAtStart ?? totalAtEnd {
            if seen < total {
                return .uncertain("read \(seen) distinct keys, fewer than the gateway's total of \(total) (records moved while paging, or the gateway skipped some)")
            }
            if seen > total {
                return .uncertain("read \(seen) distinct keys, more than the gateway's total of \(total): the total is wrong")
            }
        }
        if !duplicatesExpected, records > seen {
            return .uncertain("\(records - seen) records came back twice in one pass, so the order shifted while paging and others may have been skipped")
        }
        return .complete
    }
}
