import DataflowHTTP
import Foundation
import LoopbackGateway
import Testing
@testable import DataflowCore

/// A page walker over a real client (CurlTransport, no proxy) against a scripted loopback
/// gateway, committing into a real SQLite warehouse in a temp folder.
final class WalkerHarness {
    let project: TestProject
    let config: ProjectConfig
    let dataset: DatasetConfig
    let warehouse: SQLWarehouse
    let client: SourceClient

    /// - Parameters:
    ///   - request: the dataset's `request:` body (2-space indent).
    ///   - incremental: the dataset's `incremental:` block, or "" for a full snapshot.
    /// - Parameter retries: the source's `retries` (none by default: a fault is the walk's to see).
    init(baseURL: String, request: String, incremental: String = "", sourceLines: String = "", retries: Int = 0) throws {
        let config = """
        version: 1
        county: { code: "330782", name: 义乌市 }
        warehouse: sqlite:warehouse/county.db
        sources:
          gw:
            base_url: \(baseURL)
            retries: \(retries)
            proxy: ""
        \(sourceLines)
        """
        let dataset = """
        dataset: items
        title: items
        source: gw
        request:
        \(request)
        \(incremental)
        key: [id]
        matters: ["000105001000"]
        fields:
          id: { from: id, type: text, required: true }
          t:  { from: t, type: datetime, format: "yyyy-MM-dd HH:mm:ss" }
        """
        project = try TestProject(config: config, datasets: ["items.yml": dataset])
        self.config = try project.load()
        self.dataset = try #require(self.config.dataset(named: "items"))
        let source = try #require(self.config.source(named: "gw"))
        warehouse = try SQLWarehouse(dialect: SQLiteDatabase(path: project.root + "/w.db"), purpose: .sync)
        try warehouse.prepare(dataset: self.dataset)
        client = try SourceClient(source: source, redactor: Redactor(project: self.config), downloads: DownloadFolder(project: self.config),
                                  transport: try CurlTransport(options: SourceClient.transportOptions(for: source)))
    }

    /// One run of the walker; returns its summary (and the error it threw, if any).
    @discardableResult
    /// - Parameter retryRejects: replay the open rejects first, as `sync --retry-rejects` does.
    /// - Parameter lender: lends the walk more request slots (`SyncEngine` does, per source).
    func walk(retryRejects: Bool = false, lender: RequestLender = .none) throws -> (summary: DatasetSummary, error: (any Error)?) {
        let run = try warehouse.beginRun(datasets: ["items"], options: "")
        try warehouse.beginDataset(runID: run, dataset: "items")
        let walker = PageWalker(dataset: dataset, project: config, client: client, warehouse: warehouse, runID: run, observer: SilentSyncObserver())
        walker.lender = lender
        if retryRejects {
            let replay = try RejectReplayer(dataset: dataset, dictionaries: config.dictionaries).replay(store: warehouse, runID: run)
            walker.replayedRejects = replay.replayed > 0
        }
        var summary = DatasetSummary(dataset: "items", status: "ok")
        do {
            try walker.walk(from: try warehouse.state(of: "items"), summary: &summary)
            return (summary, nil)
        } catch {
            return (summary, error)
        }
    }

    /// A lender of up to `most - 1` more clients of the harness's source, counting what is out.
    func lender(most: Int, out: Locked<Int>, lent: Locked<Int>) throws -> RequestLender {
        let source = try #require(config.source(named: "gw"))
        let config = self.config
        return RequestLender(most: most, borrow: {
            let granted = out.update { if $0 + 1 < most { $0 += 1; return true } else { return false } }
            guard granted else { return nil }
            lent.update { $0 += 1 }
            return try? SourceClient(source: source, redactor: Redactor(project: config), downloads: DownloadFolder(project: config),
                                     transport: try CurlTransport(options: SourceClient.transportOptions(for: source)))
        }, giveBack: { _ in out.update { $0 -= 1 } })
    }

    func live() throws -> Int64 { try warehouse.scalarInt("SELECT count(*) FROM items WHERE _deleted = 0", []) ?? -1 }
}

/// `{"total":T,"list":[…],"next":…}` with records `id`/`t`.
func itemsPage(_ items: [(String, String)], total: Int? = nil, next: String? = nil) -> ServerAction {
    let list = items.map { #"{"id":"\#($0.0)","t":"\#($0.1)"}"# }.joined(separator: ",")
    var body = #"{"list":[\#(list)]"#
    if let total { body += #","total":\#(total)"# }
    if let next { body += #","next":"\#(next)""# }
    return jsonAction(body + "}")
}

/// The value of query parameter `name` in a recorded request target.
func parameter(_ name: String, in target: String) -> String? {
    URLResolver.split("http://x" + target).query.first { $0.0 == name }?.1
}

@Suite("PageWalker: walks, completeness and the watermark")
struct PageWalkerTests {
    static let pageRequest = "  path: /items\n  records: list\n  pagination: { type: page, page_param: p, size_param: n, size: 3, total: total }"
    static let six = (1...6).map { ("K\($0)", "2026-01-0\($0) 08:00:00") }

    @Test func aSnapshotPassThatSkippedARecordWhileTheOrderShiftedTombstonesNothing() throws {
        let shifted = Locked(false)
        let server = try LoopbackHTTPServer { request, _ in
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            // After the first run, K1 moves to the end while the client pages: page 2 starts one
            // later, so K4 is skipped and K1 comes back at the end.
            let order = shifted.value && page > 1 ? Array(Self.six.dropFirst()) + [Self.six[0]] : Self.six
            let slice = Array(order.dropFirst((page - 1) * 3).prefix(3))
            return itemsPage(slice, total: 6)
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest)
        #expect(try h.walk().error == nil)
        #expect(try h.live() == 6)

        shifted.value = true
        let (summary, error) = try h.walk()
        let refusal = try #require(error as? PassLedger.Refusal)
        #expect(refusal.description.contains("the pass was not complete"), "\(refusal)")
        #expect(summary.incompletePass?.contains("fewer than the gateway's total of 6") == true, "\(summary.incompletePass ?? "nil")")
        #expect(try h.live() == 6, "K4 was not seen, but it is not tombstoned")
    }

    /// A reject replayed by `--retry-rejects` carries the run's id; counted as read, it would
    /// make a pass that missed a live record look complete (11 read + 1 replayed = total 12)
    /// and tombstone the record it missed.
    @Test func rejectsReplayedInTheRunNeverMakeAPassLookComplete() throws {
        let good = (1...12).map { (String(format: "K%02d", $0), "2026-01-01 08:00:00") }
        let bad = ("K13", "2026-13-45 25:61:00")
        let second = Locked(false)
        let server = try LoopbackHTTPServer { request, _ in
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            // First run: 12 good records and one that is quarantined. Second run: K13 is gone
            // upstream and the gateway skips K05 while it still reports a total of 12.
            let all = second.value ? good.filter { $0.0 != "K05" } : good + [bad]
            return itemsPage(Array(all.dropFirst((page - 1) * 3).prefix(3)), total: second.value ? 12 : 13)
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest)
        #expect(try h.walk().error == nil)
        #expect(try h.live() == 12)
        #expect(try h.warehouse.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE resolved_at IS NULL", []) == 1)

        second.value = true
        let (summary, error) = try h.walk(retryRejects: true)
        #expect(error is PassLedger.Refusal, "\(String(describing: error))")
        #expect(summary.incompletePass?.contains("--retry-rejects") == true, "\(summary.incompletePass ?? "nil")")
        #expect(try h.live() == 12, "K05 was not read, but it is not tombstoned")
    }

    @Test func anEmptyAnswerFromAnotherOriginAfterARedirectTombstonesNothing() throws {
        let elsewhere = try LoopbackHTTPServer { _, _ in itemsPage([], total: 0) }
        let redirect = Locked(false)
        let server = try LoopbackHTTPServer { request, _ in
            if redirect.value {
                return .response(status: 302, headers: [("Location", "http://localhost:\(elsewhere.port)\(request.target)")])
            }
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            return itemsPage(Array(Self.six.dropFirst((page - 1) * 3).prefix(3)), total: 6)
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest, sourceLines: "    follow_hosts: [\"localhost:\(elsewhere.port)\"]")
        #expect(try h.walk().error == nil)
        #expect(try h.live() == 6)
        redirect.value = true
        let (summary, error) = try h.walk()
        #expect(error != nil, "an answer from another origin never completes a pass")
        #expect(summary.incompletePass?.contains("localhost:\(elsewhere.port)") == true, "\(summary.incompletePass ?? "nil")")
        #expect(elsewhere.requests.count == 1)
        #expect(try h.live() == 6, "the empty foreign answer tombstoned nothing")
    }

    @Test func theSamePageForeverEndsAfterTheSecondRequest() throws {
        let server = try LoopbackHTTPServer { _, _ in itemsPage(Array(Self.six.prefix(3)), total: 1_000_000_000) }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest)
        let error = try #require(try h.walk().error as? PassLedger.Refusal)
        #expect(error.description.contains("page 2 is identical to page 1"), "\(error)")
        // Its total promises a billion records: the walk fetches one page ahead of its commit
        // (`PageFan`, nothing else to lend it), so at most one request more than the two it read.
        #expect((2...3).contains(server.requests.count), "\(server.requests.count) requests")
    }

    @Test func aSortedNextURLWalkRestartsFromTheHighestCursorInsteadOfFollowingTheLink() throws {
        let server = try LoopbackHTTPServer { request, _ in
            switch parameter("since", in: request.target) {
            case nil: return itemsPage([Self.six[0], Self.six[1]], next: "/items?offset=2")
            case "2026-01-02 08:00:00": return itemsPage([Self.six[1], Self.six[2]], next: "/items?offset=2&since=2026-01-02%2008%3A00%3A00")
            case "2026-01-03 08:00:00": return itemsPage([Self.six[2]])
            default: return jsonAction("{}", status: 400)
            }
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: "  path: /items\n  records: list\n  pagination: { type: next-url, path: next }",
                                  incremental: "incremental: { cursor: t, param: since, format: \"yyyy-MM-dd HH:mm:ss\", lookback: 0s, sorted: true }")
        let (summary, error) = try h.walk()
        #expect(error == nil, "\(String(describing: error))")
        #expect(server.requests.map { parameter("since", in: $0.target) } == [nil, "2026-01-02 08:00:00", "2026-01-03 08:00:00"],
                "\(server.requests.map(\.target))")
        #expect(!server.requests.contains { $0.target.contains("offset=") }, "the gateway's offset link is never followed")
        #expect(summary.watermark == "2026-01-03 08:00:00")
        #expect(try h.live() == 3)
    }

    @Test func anUnsortedWalkMovesItsWatermarkOnlyAfterACompletePass() throws {
        let complete = Locked(false)
        let server = try LoopbackHTTPServer { request, _ in
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            // The first run's total grows during the pass (an insert): uncertain.
            let total = complete.value ? 6 : (page == 1 ? 6 : 7)
            return itemsPage(Array(Self.six.dropFirst((page - 1) * 3).prefix(3)), total: total)
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest,
                                  incremental: "incremental: { cursor: t, param: since, format: \"yyyy-MM-dd HH:mm:ss\", lookback: 0s }")
        let (first, error) = try h.walk()
        #expect(error != nil)
        #expect(first.incompletePass?.contains("changed during the pass (6 at the start, 7 at the end)") == true, "\(first.incompletePass ?? "nil")")
        #expect(try h.warehouse.state(of: "items").watermarkText == nil, "the watermark did not move")
        #expect(try h.live() == 6, "what it read is kept")
        complete.value = true
        let (second, again) = try h.walk()
        #expect(again == nil, "\(String(describing: again))")
        #expect(second.watermark == "2026-01-06 08:00:00")
    }

    /// A cursor walk hands each page on from inside its next request (`WaitingWork`, mapped while
    /// the gateway answers). When that request fails, every page before it is still committed,
    /// and the watermark is the last of them.
    @Test func aCursorWalkWhoseNextRequestFailsStillCommitsEveryPageBeforeIt() throws {
        let items = (1...9).map { ("K\($0)", "2026-01-0\($0) 08:00:00") }
        let served = Locked<[String]>([])
        let server = try LoopbackHTTPServer { request, index in
            guard index < 2 else { return jsonAction("no", status: 403) }
            let since = parameter("since", in: request.target)
            let page = Array(items.filter { since == nil || $0.1 >= since! }.prefix(3))
            served.update { $0 += page.map(\.0) }
            return itemsPage(page, total: 9)
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest,
                                  incremental: "incremental: { cursor: t, param: since, format: \"yyyy-MM-dd HH:mm:ss\", lookback: 0s, sorted: true }")
        let (_, error) = try h.walk()
        #expect(error is GatewayError, "\(String(describing: error))")
        #expect(server.requests.count == 3)
        let stored = try h.warehouse.scalarText("SELECT group_concat(_key, ',') FROM (SELECT _key FROM items ORDER BY _key)", [])
        #expect(stored == Set(served.value).sorted().joined(separator: ","), "both pages answered before the refusal are stored")
        #expect(try h.warehouse.state(of: "items").watermarkText == "2026-01-05 08:00:00")
    }

    /// A gateway slower than the writer: each page still arrives within the walk's wait for it
    /// (`PageWalker.nextPageWait`), so the pages commit as one group, not one commit each. Counted
    /// from the WAL itself (SQLite's commit frames).
    @Test func pagesFromAGatewaySlowerThanTheWriterStillCommitTogether() throws {
        let items = (1...60).map { (String(format: "K%02d", $0), String(format: "2026-01-01 08:%02d:00", $0 - 1)) }
        let server = try LoopbackHTTPServer { request, _ in
            Thread.sleep(forTimeInterval: 0.005)   // the gateway is 5 ms away; storing 3 rows takes far less
            let since = parameter("since", in: request.target)
            let matching = items.filter { since == nil || $0.1 >= since! }
            let page = Int(parameter("p", in: request.target) ?? "1") ?? 1
            return itemsPage(Array(matching.dropFirst((page - 1) * 3).prefix(3)), total: matching.count)
        }
        let h = try WalkerHarness(baseURL: server.url(""), request: Self.pageRequest,
                                  incremental: "incremental: { cursor: t, param: since, format: \"yyyy-MM-dd HH:mm:ss\", lookback: 0s, sorted: true }")
        try h.warehouse.dialect.executeScript(SQLiteDatabase.warehouseSettings)
        let wal = h.project.root + "/w.db-wal"
        let before = try walCommits(wal)
        let (summary, error) = try h.walk()
        #expect(error == nil, "\(String(describing: error))")
        #expect(try h.live() == 60)
        #expect(summary.pages >= 25, "\(summary.pages)")
        // The run's own rows (run, dataset started, pass finished) commit alone; the pages in one
        // group, or a few if a loaded machine delays a page past the wait. One commit per page
        // would be at least `summary.pages`.
        let commits = try walCommits(wal) - before
        #expect(commits * 2 <= summary.pages, "\(commits) commits for \(summary.pages) pages")
    }
}

/// Commits in a SQLite WAL file: frames that end a transaction (a non-zero "database size after
/// commit") and carry the salts of the WAL's current header, as SQLite's recovery reads it.
func walCommits(_ path: String) throws -> Int {
    guard FileManager.default.fileExists(atPath: path) else { return 0 }   // nothing written since WAL mode began
    let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    func word(_ at: Int) -> UInt32 { bytes[at..<at + 4].reduce(0) { $0 << 8 | UInt32($1) } }
    guard bytes.count >= 32 else { return 0 }
    let pageSize = Int(word(8)), salts = (word(16), word(20))
    var commits = 0, frame = 32
    while frame + 24 + pageSize <= bytes.count, (word(frame + 8), word(frame + 12)) == salts {
        if word(frame + 4) != 0 { commits += 1 }
        frame += 24 + pageSize
    }
    return commits
}

/// A value shared with a server handler.
final class Locked<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: Value
    init(_ value: Value) { stored = value }
    var value: Value {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
    /// Reads and changes the value under one lock.
    func update<T>(_ body: (inout Value) -> T) -> T { lock.withLock { body(&stored) } }
}

@Suite("PagePrefetcher: bounded, ordered, errors after the items before them")
struct PagePrefetcherTests {
    @Test func itemsComeInOrderAndTheProducerNeverRunsMoreThanCapacityAhead() throws {
        let produced = Locked(0)
        let prefetcher = PagePrefetcher<Int>(capacity: 2) { deliver, _ in
            let n = produced.value + 1
            produced.value = n
            deliver(n, n == 200)
        }
        defer { prefetcher.stop() }
        var consumed = 0
        while let item = try prefetcher.next() {
            consumed += 1
            #expect(item == consumed)
            #expect(produced.value <= consumed + 2, "at most `capacity` items wait in the buffer")
        }
        #expect(consumed == 200)
    }

    @Test func aProducerErrorComesAfterEveryItemFetchedBeforeIt() throws {
        struct Broken: Error {}
        let count = Locked(0)
        let prefetcher = PagePrefetcher<Int>(capacity: 4) { deliver, _ in
            count.value += 1
            if count.value == 3 { throw Broken() }
            deliver(count.value, false)
        }
        defer { prefetcher.stop() }
        #expect(try prefetcher.next() == 1)
        #expect(try prefetcher.next() == 2)
        #expect(throws: Broken.self) { try prefetcher.next() }
        #expect(try prefetcher.next() == nil, "nothing after the error")
    }

    /// An item handed back with `recycle` is freed by the producer thread, not the caller's.
    @Test func recycledItemsAreFreedOnTheProducerThread() throws {
        final class Page: Sendable {
            let freedOnProducer: Locked<[Bool]>
            init(_ log: Locked<[Bool]>) { freedOnProducer = log }
            deinit { freedOnProducer.value.append(Thread.current.name == "producer") }
        }
        let log = Locked<[Bool]>([])
        let count = Locked(0)
        let prefetcher = PagePrefetcher<Page>(capacity: 1) { deliver, _ in
            Thread.current.name = "producer"
            count.value += 1
            deliver(Page(log), count.value == 6)
        }
        defer { prefetcher.stop() }
        var handed = 0
        while let page = try prefetcher.next() {
            handed += 1
            prefetcher.recycle(page)
        }
        prefetcher.stop()
        #expect(handed == 6)
        // The producer frees what was recycled before each of its fetches after the first. With
        // one page queued and one in its hands it is at most two fetches ahead: page k is
        // recycled before the consumer takes page k + 1, and so before fetch k + 3 starts, for
        // k ≤ 3. Page 4 may be recycled after fetch 6, the last, began (a slow consumer on a busy
        // machine), and the last pages are then freed when the prefetcher goes.
        #expect(log.value.prefix(3).allSatisfy { $0 }, "\(log.value)")
        #expect(log.value.count >= 3)
    }

    /// `waitForNext` is what lets a walk group its pages: true as soon as the next item is in, false
    /// after the bound while it is not, and false at once when the producer has finished.
    @Test func waitForNextReturnsWhenTheItemArrivesOrTheProducerHasFinished() throws {
        let gate = DispatchSemaphore(value: 0)
        let prefetcher = PagePrefetcher<Int>(capacity: 2) { deliver, _ in
            gate.wait()
            deliver(1, true)
        }
        defer { prefetcher.stop() }
        #expect(!prefetcher.waitForNext(upTo: 0.01), "not fetched yet")
        gate.signal()
        #expect(prefetcher.waitForNext(upTo: 600), "in hand once fetched")
        #expect(try prefetcher.next() == 1)
        let started = Date()
        #expect(!prefetcher.waitForNext(upTo: 600), "nothing more will come")
        #expect(Date().timeIntervalSince(started) < 300, "and that is known without waiting out the bound")
    }

    /// A cursor walk hands page k on from inside its request for page k + 1: the item is handed
    /// out at once, not when the step ends, and an error of the same step comes after it.
    @Test func anItemDeliveredInsideAStepIsHandedOutBeforeTheStepEndsAndItsErrorAfterIt() throws {
        struct Broken: Error {}
        let gate = DispatchSemaphore(value: 0)
        let prefetcher = PagePrefetcher<Int>(capacity: 2) { deliver, _ in
            deliver(1, false)
            // The rest of the step (the next request) waits for the consumer to have item 1.
            guard gate.wait(timeout: .now() + 10) == .success else { return }
            throw Broken()
        }
        defer { prefetcher.stop() }
        #expect(try prefetcher.next() == 1, "handed out while its step still runs")
        gate.signal()
        #expect(throws: Broken.self) { try prefetcher.next() }
        #expect(try prefetcher.next() == nil)
    }

    /// `stopped` turns true when the consumer stops: a cursor walk's prefetch thread passes it to
    /// its fetch (`giveUpIf`), so a walk that fails does not wait out the next page's retries.
    @Test func aStepSeesTheConsumerStopAndCanGiveUp() throws {
        struct GaveUp: Error {}
        let sawStop = Locked(false)
        let prefetcher = PagePrefetcher<Int>(capacity: 2) { deliver, stopped in
            deliver(1, false)
            let deadline = Date(timeIntervalSinceNow: 10)
            while !stopped() && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }   // a retry's wait
            sawStop.value = stopped()
            throw GaveUp()
        }
        #expect(try prefetcher.next() == 1)
        prefetcher.stop()
        #expect(sawStop.value, "the step saw the stop while it waited")
    }

    @Test func stopReturnsWhileTheProducerWaitsForRoomAndIsIdempotent() {
        let prefetcher = PagePrefetcher<Int>(capacity: 1) { deliver, _ in deliver(0, false) }
        prefetcher.stop()
        prefetcher.stop()
    }
}
