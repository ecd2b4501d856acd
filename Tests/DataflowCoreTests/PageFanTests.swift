import DataflowHTTP
import Foundation
import LoopbackGateway
import Testing
@testable import DataflowCore

/// Pages of one dataset fetched several at once (`PageFan`), against a real loopback gateway
/// that answers slowly: the walk commits the same pages, in the same order, as one request at a
/// time would, and falls back to one at a time when the gateway does not page as it promised.
@Suite("PageFan: pages in parallel inside one dataset, exact as one at a time")
struct PageFanTests {
    static let offsetRequest = "  path: /items\n  records: list\n  pagination: { type: offset, offset_param: o, limit_param: n, size: 10, total: total }"
    static let pageRequest = "  path: /items\n  records: list\n  pagination: { type: page, page_param: p, size_param: n, size: 10, total: total }"
    static let forty = (1...40).map { (String(format: "K%02d", $0), "2026-01-01 08:00:00") }

    /// A gateway answering after `delay`, counting requests in flight at once.
    final class SlowGateway: Sendable {
        let inFlight = Locked(0)
        let peak = Locked(0)
        let server: LoopbackHTTPServer

        init(delay: Double = 0.03, page: @escaping @Sendable (RecordedRequest) -> ServerAction) throws {
            let (inFlight, peak) = (inFlight, peak)
            server = try LoopbackHTTPServer { request, _ in
                let now = inFlight.update { $0 += 1; return $0 }
                peak.update { $0 = max($0, now) }
                Thread.sleep(forTimeInterval: delay)
                inFlight.update { $0 -= 1 }
                return page(request)
            }
        }
    }

    /// Keys in the order the change feed recorded them (the order their pages committed).
    static func feedOrder(_ h: WalkerHarness) throws -> [String] {
        var keys: [String] = []
        try h.warehouse.forEachRow("SELECT key FROM _dataflow_changes WHERE dataset = 'items' ORDER BY seq", []) { keys.append($0.text(0) ?? "") }
        return keys
    }

    @Test(arguments: [true, false])
    func severalPagesInFlightCommitInTheWalksOrderAndEveryRequestIsCounted(_ offsets: Bool) throws {
        let gateway = try SlowGateway(delay: 0.1) { request in
            let start = offsets ? Int(parameter("o", in: request.target) ?? "0") ?? 0 : ((Int(parameter("p", in: request.target) ?? "1") ?? 1) - 1) * 10
            return itemsPage(Array(Self.forty.dropFirst(start).prefix(10)), total: 40)
        }
        let h = try WalkerHarness(baseURL: gateway.server.url(""), request: offsets ? Self.offsetRequest : Self.pageRequest)
        let out = Locked(0), lent = Locked(0)
        let (summary, error) = try h.walk(lender: try h.lender(most: 4, out: out, lent: lent))
        #expect(error == nil, "\(String(describing: error))")
        #expect(try h.live() == 40)
        #expect(try Self.feedOrder(h) == Self.forty.map(\.0), "pages commit in the walk's order")
        #expect(gateway.peak.value >= 2, "pages were fetched at once (peak \(gateway.peak.value))")
        #expect(gateway.peak.value <= 4, "never more than the lender allows (peak \(gateway.peak.value))")
        #expect(lent.value >= 1 && out.value == 0, "slots were borrowed and all given back (\(lent.value) lent, \(out.value) out)")
        // Four pages, each asked for once, and the one after the total (empty): the last page came
        // back full, so only that request shows the total was true. Nothing else past it.
        #expect(gateway.server.requests.count == 5)
        #expect(summary.requests == gateway.server.requests.count)
    }

    /// An offset gateway that sends a short page in the middle: the offsets fetched ahead (10,
    /// 20, 30) are not the ones the walk asks for next (17, …); they are dropped, and the walk goes
    /// on one request at a time from the records it really has. Had they been used, records 18–20
    /// would never have been read.
    @Test func aShortPageInTheMiddleStopsTheFanAndTheWalkReadsOnFromWhatItHas() throws {
        let gateway = try SlowGateway { request in
            let start = Int(parameter("o", in: request.target) ?? "0") ?? 0
            return itemsPage(Array(Self.forty.dropFirst(start).prefix(start == 10 ? 7 : 10)), total: 40)
        }
        let h = try WalkerHarness(baseURL: gateway.server.url(""), request: Self.offsetRequest)
        let out = Locked(0), lent = Locked(0)
        let (summary, error) = try h.walk(lender: try h.lender(most: 4, out: out, lent: lent))
        #expect(error == nil, "\(String(describing: error))")
        #expect(try h.live() == 40, "every record read")
        #expect(try Self.feedOrder(h) == Self.forty.map(\.0))
        let offsets = gateway.server.requests.compactMap { parameter("o", in: $0.target) }
        #expect(offsets.contains("17") && offsets.contains("27") && offsets.contains("37"), "\(offsets)")
        #expect(out.value == 0, "every borrowed slot came back")
        #expect(summary.pageCap == nil, "a short page inside the walk is not taken for the gateway's page cap")
    }

    /// Through the sync engine (slots lent by its scheduler, clients from the source's pool): the
    /// dataset's `requests` are every request its clients sent, the pages fetched ahead and
    /// dropped after the short page included, whichever thread sent them.
    @Test func theRunCountsEveryRequestTheDatasetSentIncludingPagesDropped() throws {
        let gateway = try SlowGateway(delay: 0.1) { request in
            let start = Int(parameter("o", in: request.target) ?? "0") ?? 0
            return itemsPage(Array(Self.forty.dropFirst(start).prefix(start == 10 ? 7 : 10)), total: 40)
        }
        let h = try WalkerHarness(baseURL: gateway.server.url(""), request: Self.offsetRequest, sourceLines: "    concurrency: 4")
        let run = try SyncEngine(project: h.config, warehouse: h.warehouse, factory: WarehouseFactory(backends: [SQLiteBackend()])).run(datasets: ["items"])
        let items = try #require(run.datasets.first)
        #expect(items.status == "ok", "\(items.error ?? "")")
        #expect(try h.live() == 40)
        let offsets = gateway.server.requests.compactMap { parameter("o", in: $0.target) }
        #expect(offsets.contains("20") || offsets.contains("30"), "pages were fetched ahead at the planned offsets: \(offsets)")
        #expect(items.requests == gateway.server.requests.count, "\(items.requests) counted, \(gateway.server.requests.count) sent: \(offsets)")
    }

    /// The gateway's total moves and moves back while the pages are fetched out of order: the first
    /// and the last page agree, but a page between them does not, so the pass is not complete.
    @Test func aTotalThatDiffersOnAnyPageMakesThePassUncertain() throws {
        let gateway = try SlowGateway { request in
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            return itemsPage(Array(Self.forty.dropFirst((page - 1) * 10).prefix(10)), total: page == 2 ? 41 : 40)
        }
        let h = try WalkerHarness(baseURL: gateway.server.url(""), request: Self.pageRequest)
        let out = Locked(0), lent = Locked(0)
        let (summary, error) = try h.walk(lender: try h.lender(most: 4, out: out, lent: lent))
        #expect(error is PassLedger.Refusal, "\(String(describing: error))")
        #expect(summary.incompletePass?.contains("40 at the start, 41 on a later page") == true, "\(summary.incompletePass ?? "nil")")
    }

    /// A page the fan failed to fetch is not the walk's error: `take` hands it back (nil), the walk
    /// sends that request itself, and no thread claims a page after the failure.
    @Test func aPageTheFanFailedToFetchIsLeftToTheWalk() throws {
        struct Broken: Error {}
        let h = try WalkerHarness(baseURL: "http://127.0.0.1:9", request: Self.pageRequest)
        let fetched = Locked<[Int]>([])
        let fan = PageFan(values: .init(first: 2, step: 1, count: 4), own: h.client, lender: .none) { _, value, _ in
            fetched.update { $0.append(value) }
            if value == 4 { throw Broken() }
            return FannedPage(page: FetchedPage(records: [.string("page \(value)")], total: 50, requests: 1, seconds: 0), records: 1, mapped: MappedPage())
        }
        defer { fan.stop() }
        #expect(fan.take(2)?.page.records == [.string("page 2")])
        #expect(fan.take(3)?.page.records == [.string("page 3")])
        #expect(!fan.waitForNext(4, upTo: 600), "a failed page is never in hand")
        #expect(fan.take(4) == nil, "the walk fetches page 4 itself")
        fan.stop()
        #expect(fetched.value == [2, 3, 4], "one thread, one page ahead, and nothing claimed after the failure: \(fetched.value)")
    }

    @Test func aRequestTheFanDidNotPlanIsLeftToTheWalk() throws {
        let h = try WalkerHarness(baseURL: "http://127.0.0.1:9", request: Self.pageRequest)
        let fetched = Locked<[Int]>([])
        let fan = PageFan(values: .init(first: 10, step: 10, count: 3), own: h.client, lender: .none) { _, value, _ in
            fetched.update { $0.append(value) }
            return FannedPage(page: FetchedPage(records: [.string("at \(value)")], total: 40, requests: 1, seconds: 0), records: 1, mapped: MappedPage())
        }
        defer { fan.stop() }
        #expect(fan.take(10)?.page.records == [.string("at 10")])
        #expect(fan.waitForNext(20, upTo: 600), "offset 20 is fetched ahead and in hand")
        #expect(!fan.waitForNext(17, upTo: 600), "but the walk's next request is offset 17")
        #expect(fan.take(17) == nil, "offset 17 is not what the fan fetched")
        fan.stop()
        #expect(fetched.value == [10, 20], "one thread fetches one page ahead: \(fetched.value)")
    }

    /// Before the walk fetches for itself, the page it committed last is committed, not left in a
    /// group waiting for a next page the fan held but the walk did not take: a reader of the
    /// warehouse sees the records before the short page's successor is even asked for.
    @Test func thePageBeforeTheWalkFetchesForItselfIsCommittedNotLeftInAGroup() throws {
        let database = Locked<String?>(nil)
        let visible = Locked<Int64?>(nil)
        let gateway = try SlowGateway(delay: 0.1) { request in
            let start = Int(parameter("o", in: request.target) ?? "0") ?? 0
            if start == 17, let path = database.value {
                visible.value = try? SQLiteDatabase(path: path, readOnly: true).scalarInt("SELECT count(*) FROM items", [])
            }
            return itemsPage(Array(Self.forty.dropFirst(start).prefix(start == 10 ? 7 : 10)), total: 40)
        }
        let h = try WalkerHarness(baseURL: gateway.server.url(""), request: Self.offsetRequest)
        database.value = h.project.root + "/w.db"
        try Self.walkWithFourSlots(h)
        #expect(visible.value == 17, "records 1–17 were committed when offset 17 was asked for (\(String(describing: visible.value)))")
    }

    /// A page fetched ahead that the walk no longer wants gives up its retries when the fan stops:
    /// it neither sits out the gateway's `Retry-After` nor sends its retries. Here the walk's next
    /// offset (17, after a page of 7) is not the fan's (20), and offset 20 only ever answers 503
    /// with `Retry-After: 3`: waited out, its two retries would reach the gateway.
    @Test func aPageFetchedAheadThatTheWalkNoLongerWantsGivesUpItsRetries() throws {
        let gateway = try SlowGateway(delay: 0.1) { Self.sevenAtTen($0, twenty: jsonAction("{}", status: 503, headers: [("Retry-After", "3")])) }
        try Self.walkWithFourSlots(try WalkerHarness(baseURL: gateway.server.url(""), request: Self.offsetRequest, retries: 2))
        let offsets = gateway.server.requests.compactMap { parameter("o", in: $0.target) }
        #expect(offsets.filter { $0 == "20" }.count == 1, "the fan's request for offset 20 was not retried: \(offsets)")
    }

    /// The forty records by offsets of ten, but offset 10 answers seven (so the walk's next
    /// request, offset 17, is not the fan's next, 20) and offset 20 answers `twenty`.
    static func sevenAtTen(_ request: RecordedRequest, twenty: ServerAction) -> ServerAction {
        let start = Int(parameter("o", in: request.target) ?? "0") ?? 0
        return start == 20 ? twenty : itemsPage(Array(forty.dropFirst(start).prefix(start == 10 ? 7 : 10)), total: 40)
    }

    /// A walk lent up to four request slots: the pass completes with all forty records, and every
    /// borrowed slot is given back.
    static func walkWithFourSlots(_ h: WalkerHarness) throws {
        let out = Locked(0), lent = Locked(0)
        let (_, error) = try h.walk(lender: try h.lender(most: 4, out: out, lent: lent))
        #expect(error == nil, "\(String(describing: error))")
        #expect(try h.live() == 40)
        #expect(out.value == 0, "every borrowed slot was given back")
    }

    /// A page fetched ahead that the gateway never answers is abandoned when the fan stops, not
    /// waited for until the source's timeout (120 s here): the walk goes on at once.
    @Test func aPageFetchedAheadThatTheGatewayNeverAnswersIsAbandonedWhenTheFanStops() throws {
        let gateway = try SlowGateway(delay: 0.05) { Self.sevenAtTen($0, twenty: .hang) }
        let started = Date()
        try Self.walkWithFourSlots(try WalkerHarness(baseURL: gateway.server.url(""), request: Self.offsetRequest, sourceLines: "    timeout: 120s"))
        #expect(gateway.server.requests.contains { parameter("o", in: $0.target) == "20" }, "the fan did ask for offset 20")
        #expect(Date().timeIntervalSince(started) < 60, "the walk did not wait out the timeout of a page it dropped")
    }

    /// A page the fan failed to fetch (the gateway failed once, and the harness does not retry) is
    /// fetched again by the walk: the pass completes.
    @Test func aBriefFailureOfAPageFetchedAheadCostsTheFansAttemptNotTheDataset() throws {
        let failedOnce = Locked(false)
        let gateway = try SlowGateway { request in
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            if page == 3, !failedOnce.update({ let was = $0; $0 = true; return was }) { return jsonAction("{}", status: 500) }
            return itemsPage(Array(Self.forty.dropFirst((page - 1) * 10).prefix(10)), total: 40)
        }
        let h = try WalkerHarness(baseURL: gateway.server.url(""), request: Self.pageRequest)
        let out = Locked(0), lent = Locked(0)
        let (_, error) = try h.walk(lender: try h.lender(most: 4, out: out, lent: lent))
        #expect(error == nil, "\(String(describing: error))")
        #expect(try h.live() == 40)
        let pages = gateway.server.requests.compactMap { parameter("p", in: $0.target) }
        #expect(pages.filter { $0 == "3" }.count == 2, "page 3 failed on the fan and was asked again by the walk: \(pages)")
    }

    /// A lying total plans a billion pages without holding them: the values are computed as taken.
    @Test func theValuesAheadOfAWalkFollowItsFirstPage() {
        let page = PagePlan(from: nil, firstPage: 1, size: 10, byCursor: false)
        #expect(PageWalker.valuesAhead(of: page, offsets: false, firstPageRecords: 10, total: 35) == .init(first: 2, step: 1, count: 3))
        #expect(PageWalker.valuesAhead(of: page, offsets: true, firstPageRecords: 7, total: 35) == .init(first: 7, step: 7, count: 4),
                "a gateway that caps its pages at 7 is stepped by 7")
        let huge = PageWalker.valuesAhead(of: page, offsets: true, firstPageRecords: 10, total: Int.max)
        #expect(huge.count == Int.max / 10 && huge[huge.count - 1] == 10 * (Int.max / 10))
    }
}

@Suite("DatasetScheduler lends idle request slots")
struct DatasetSchedulerTests {
    static func dataset(_ name: String, source: String) throws -> DatasetConfig {
        var d = try #require(try TestProject(config: """
        version: 1
        county: { code: "330782", name: 义乌市 }
        warehouse: sqlite:warehouse/county.db
        sources:
          \(source): { base_url: "http://127.0.0.1:9" }
        """, datasets: ["\(name).yml": """
        dataset: \(name)
        source: \(source)
        request: { path: /x, records: list }
        key: [id]
        matters: ["000105001000"]
        fields:
          id: { from: id, type: text }
        """]).load().dataset(named: name))
        d.source = source
        return d
    }

    @Test func aSlotIsLentOnlyWhenNoDatasetOfTheSourceWaitsAndTheSourceHasRoom() throws {
        let a1 = try Self.dataset("a1", source: "a"), a2 = try Self.dataset("a2", source: "a"), b1 = try Self.dataset("b1", source: "b")
        let scheduler = DatasetScheduler([a1, a2, b1], limit: { $0 == "a" ? 3 : 1 })
        #expect(scheduler.next()?.dataset.name == "a1")
        #expect(!scheduler.borrow(source: "a"), "a2 waits to start")
        #expect(scheduler.next()?.dataset.name == "a2")
        #expect(scheduler.borrow(source: "a"), "a has a third slot and nothing waiting")
        #expect(!scheduler.borrow(source: "a"), "a is full")
        #expect(!scheduler.borrow(source: "b"), "b1 waits to start")
        #expect(scheduler.next()?.dataset.name == "b1")
        #expect(!scheduler.borrow(source: "b"), "b is full with b1")
        scheduler.giveBack(source: "a")
        scheduler.finished(a1)
        #expect(scheduler.borrow(source: "a") && scheduler.borrow(source: "a"), "two slots free again")
        #expect(!scheduler.borrow(source: "a"))
        #expect(scheduler.next() == nil)
    }
}
