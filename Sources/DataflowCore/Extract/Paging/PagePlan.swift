/// Decides the next request of a page-number walk, optionally walking by cursor (docs/sync.md).
///
/// By cursor, each page moves the lower bound to the highest cursor seen and restarts at the
/// first page; only while every record of a page shares the bound does it step page numbers.
/// The walk ends on an empty page, when the records read since the bound last moved reach the
/// gateway's total on a page that is not full (by cursor; a full one is confirmed by the next
/// request), or (without a total) on a page shorter than the largest page seen so far.
/// A first page shorter than asked does not end the walk: a gateway that silently caps the page
/// size looks exactly like that, so the next page is read (it is empty if the first was the last).
/// For offset paging the offset is `readUnderBound` (records actually received), never
/// `pages × size`, so a capped page size skips nothing.
///
/// ```swift
/// var plan = PagePlan(from: nil, firstPage: 1, size: 500, byCursor: true)
/// while true { /* request plan.from, plan.pageNumber */ if !plan.advance(count: n, total: t, maxCursor: c) { break } }
/// ```
public struct PagePlan: Sendable, Equatable {
    /// Lower cursor bound for the next request (nil = none).
    public private(set) var from: Int?
    /// Page number for the next request.
    public private(set) var pageNumber: Int
    public let firstPage: Int
    public let size: Int
    public let byCursor: Bool
    /// Records read since the bound last moved (the offset into the gateway's filtered set).
    public private(set) var readUnderBound = 0
    /// The largest page received so far.
    public private(set) var largestPage = 0
    /// Set when a full-looking page came back shorter than asked: the gateway's real page cap.
    public private(set) var cappedAt: Int?
    /// A first page shorter than asked counts as full (`lastPageFull`): a pass that tombstones
    /// must not take a gateway's page cap for the end. Off for an incremental cursor walk, which
    /// reads what follows on its next run anyway, and then costs nothing.
    public var confirmsFirstPage = false
    /// The last page may have been full: as many records as asked for, or as the largest page
    /// before it (a gateway that caps its page size), or the first page with `confirmsFirstPage`.
    /// A walk that reached the total on such a page has only the gateway's word that nothing
    /// follows (docs/sync.md, "What complete means").
    public private(set) var lastPageFull = false

    public init(from: Int?, firstPage: Int, size: Int, byCursor: Bool) {
        self.from = from
        self.pageNumber = firstPage
        self.firstPage = firstPage
        self.size = size
        self.byCursor = byCursor
    }

    /// Records a page of `count` records; returns false when the walk is complete.
    public mutating func advance(count: Int, total: Int?, maxCursor: Int?) -> Bool {
        guard count > 0 else { return false }
        readUnderBound += count
        let previousLargest = largestPage
        largestPage = max(largestPage, count)
        // A page as large as the one before, and shorter than asked, shows the gateway's cap —
        // unless it reached the total (the one record of a tiny dataset, read again at its bound).
        let reached = total.map { readUnderBound >= $0 } ?? false
        if count < size, previousLargest > 0, count == previousLargest, !reached { cappedAt = count }
        // By cursor, a full page (`lastPageFull`) never ends the walk, even when it reaches the
        // total: a total too small (miscounted, or a lie) would end the pass there yet look
        // complete, and the records after it would go unread (and, in a reconcile, their keys be
        // tombstoned). The next request, under the page's highest cursor, costs one request and
        // shows what is left (docs/sync.md, "What complete means"); a page walk confirms such an
        // end in `PageWalker` instead.
        lastPageFull = count >= size || (count >= previousLargest && (previousLargest > 0 || confirmsFirstPage))
        let done = total != nil ? reached && !(byCursor && lastPageFull) : (previousLargest > 0 ? count < previousLargest : false)
        if done { return false }
        if byCursor, let maxCursor, from == nil || maxCursor > from! {
            from = maxCursor
            pageNumber = firstPage
            readUnderBound = 0
        } else {
            pageNumber += 1
        }
        return true
    }

    /// After `advance` ended a walk on a page shorter than the ones before (no total), or on a full
    /// page that reached the gateway's total: the next request asks for the page after it, so a
    /// walk that must prove it read everything can see that the gateway has nothing more
    /// (docs/sync.md, "What complete means").
    public mutating func passShortPage() { pageNumber += 1 }
}
