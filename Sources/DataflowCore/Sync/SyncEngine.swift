import Foundation
import DataflowHTTP

/// Runs a sync: for each dataset, walk the source's pages and commit each page with its state.
///
/// Datasets are walked by up to `jobs` workers at once, never more requests to one source than its
/// `concurrency` (a page walk may borrow the slots its source's other datasets leave free); every
/// warehouse call goes through one `SerialWarehouse` (one writer), and one dataset's pages commit
/// in order because one worker commits them (docs/architecture.md, Concurrency).
///
/// ```swift
/// let engine = SyncEngine(project: project, warehouse: warehouse, factory: .standard, observer: observer)
/// engine.jobs = 4
/// let summary = try engine.run(datasets: [])   // all datasets
/// ```
public final class SyncEngine: @unchecked Sendable {
    public let project: ProjectConfig
    /// The one writer every worker commits through.
    let warehouse: SerialWarehouse
    let observer: SyncObserver
    /// Every error text passes it before the warehouse stores it or the observer shows it.
    public let redactor: Redactor
    /// Datasets walked at once, across all sources (`sync --jobs`).
    public var jobs = SyncEngine.defaultJobs
    /// `--jobs` when not given: enough workers to keep several slow gateways busy at once, few
    /// enough that their pages in memory (the one being committed and those fetched ahead, about
    /// one per request slot of the source) stay well under the 150 MB budget. A source's own
    /// `concurrency` (default 1) still caps its requests in flight.
    public static let defaultJobs = 8
    /// Guards `shares` and `exchanges` (workers of different sources ask at once).
    private let lock = NSLock()
    private var shares: [String: SourceShare] = [:]
    private var exchanges: [String: WarehouseReader] = [:]
    /// Where streamed downloads go; files a killed run left there are removed when a run starts.
    public let downloads: DownloadFolder
    /// Opens exchange databases (`type: sql` sources) on whichever backend serves them.
    let factory: WarehouseFactory

    /// `factory` opens the exchange databases of `type: sql` sources (`WarehouseFactory.standard`).
    /// - Parameter redactor: shared with whatever prints the run (default: one that knows the project's secrets).
    public init(project: ProjectConfig, warehouse: Warehouse, factory: WarehouseFactory, observer: SyncObserver = SilentSyncObserver(),
                redactor: Redactor? = nil) {
        self.project = project
        self.warehouse = SerialWarehouse(warehouse)
        self.factory = factory
        self.observer = SerializedObserver(observer)
        self.redactor = redactor ?? Redactor(project: project)
        downloads = DownloadFolder(project: project)
    }

    /// Which datasets a run covers, each once however often it is named; unknown names are a
    /// usage error.
    public func select(_ names: [String]) throws -> [DatasetConfig] {
        if names.isEmpty { return project.datasets }
        // A dataset named twice is walked once: two walks of one table at once repeated every
        // request, judged each other's passes (one saw the other's tombstones) and wrote its
        // metrics series twice, which node_exporter refuses.
        var seen = Set<String>()
        return try names.compactMap { name in
            guard let d = project.dataset(named: name) else {
                throw ConfigError(project.unknownDatasetMessage(name), file: "Mappings/datasets")
            }
            return seen.insert(d.name).inserted ? d : nil
        }
    }

    /// Syncs the named datasets (all when empty). A dataset that fails does not stop the others.
    ///
    /// With `retryRejects`, each dataset's open rejects are first replayed through the current
    /// mapping (`RejectReplayer`); the warehouse must be a `RejectStore`. Datasets named in
    /// `allowMassDelete` may tombstone more than their `max_tombstones` in this run.
    public func run(datasets names: [String], options: String = "", retryRejects: Bool = false, reconcile: Bool = false,
                    allowMassDelete: [String] = [], rekey: [String] = []) throws -> RunSummary {
        let datasets = try select(names)
        let massDeleteAllowed = allowMassDelete.isEmpty ? [] : Set(try select(allowMassDelete).map(\.name))
        let rekeyed = rekey.isEmpty ? [] : Set(try select(rekey).map(\.name))
        // The caller holds the run lock: any download in the folder is a killed run's leftover.
        try downloads.prepare()
        try warehouse.loadDictionaries(project.dictionaries)
        for d in datasets { try warehouse.prepare(dataset: d) }
        let runID = try warehouse.beginRun(datasets: datasets.map(\.name), options: options)
        observer.runStarted(runID: runID, datasets: datasets.map(\.name))
        let summaries = walkAll(datasets) { dataset, scheduler in
            self.syncDataset(dataset, runID: runID, retryRejects: retryRejects, reconcile: reconcile,
                             allowMassDelete: massDeleteAllowed.contains(dataset.name), rekey: rekeyed.contains(dataset.name), scheduler: scheduler)
        }
        let summary = RunSummary(runID: runID, datasets: summaries)
        try warehouse.finishRun(runID: runID, status: summary.exitCode == 0 ? "ok" : "failed", exitCode: summary.exitCode)
        observer.runFinished(summary)
        return summary
    }

    /// Walks every dataset on up to `jobs` worker threads; summaries come back in config order.
    private func walkAll(_ datasets: [DatasetConfig], _ walk: @escaping @Sendable (DatasetConfig, DatasetScheduler) -> DatasetSummary) -> [DatasetSummary] {
        let limit: @Sendable (String) -> Int = { [project] name in
            guard let source = project.source(named: name) else { return 1 }
            // One connection per exchange database: its datasets go one at a time.
            return source.sql == nil ? max(1, source.concurrency) : 1
        }
        let scheduler = DatasetScheduler(datasets, limit: limit)
        let results = ResultSlots(count: datasets.count)
        let work: @Sendable () -> Void = {
            while let (index, dataset) = scheduler.next() {
                results.set(index, walk(dataset, scheduler))
                scheduler.finished(dataset)
            }
        }
        // No more workers than could ever run at once (each source's limit, at most its datasets):
        // a county with one source and `concurrency: 1` runs on the calling thread, as before.
        let capacity = Dictionary(grouping: datasets, by: \.source).reduce(0) { $0 + min(limit($1.key), $1.value.count) }
        let workers = min(max(1, jobs), capacity)
        if workers <= 1 {
            work()
        } else {
            let done = DispatchGroup()
            for _ in 0..<workers {
                done.enter()
                Thread.startParsing {
                    work()
                    done.leave()
                }
            }
            done.wait()
        }
        return results.all.enumerated().map { index, summary in
            summary ?? DatasetSummary(dataset: datasets[index].name, status: "failed", error: "the dataset was not walked")
        }
    }

    /// The key a dataset's rows are stored under, as kept in `_dataflow_meta`: each key column
    /// with the member it is read from (`case_id<-CASE_ID`), in key order.
    static func keyDefinition(_ dataset: DatasetConfig) -> String {
        dataset.key.map { column in column + "<-" + (dataset.fields.first { $0.column == column }?.from ?? column) }.joined(separator: ",")
    }

    static func keyMetaName(_ dataset: DatasetConfig) -> String { "key:" + dataset.name }

    /// Remembers, once, that the dataset's key holds personal data (`PIIMasking.keyWasPersonalMeta`):
    /// after `--rekey` to a key that does not, the change feed and the quarantine still hold the old
    /// keys, and a masked view masks them.
    static func noteKeyPrivacy(_ dataset: DatasetConfig, in warehouse: Warehouse) throws {
        guard PIIMasking(dataset: dataset).keyIsPersonal else { return }
        let name = PIIMasking.keyWasPersonalMeta(dataset.name)
        if try warehouse.metaValue(name) != "1" { try warehouse.setMetaValue(name, "1") }
    }

    /// Throws `KeyChanged` when `dataset`'s rows were stored under another key than its mapping's
    /// now: synced under the new key, every record would be stored again beside its old row
    /// (`sync --rekey` loads it afresh instead). A key met for the first time (a new dataset, an
    /// empty table, or a warehouse from before keys were kept) is recorded as the rows' key.
    private func checkKey(_ dataset: DatasetConfig, state: DatasetState) throws {
        try Self.noteKeyPrivacy(dataset, in: warehouse)
        let definition = Self.keyDefinition(dataset)
        let stored = try warehouse.metaValue(Self.keyMetaName(dataset))
        if stored == definition { return }
        if state.rows + state.deletedRows > 0 {
            if let stored { throw KeyChanged(dataset: dataset.name, stored: stored, now: definition, rows: state.rows + state.deletedRows) }
            // A warehouse from before keys were kept: a stored row whose `_key` is not what its
            // own key columns make under this key shows the key changed with the upgrade.
            if try !storedKeyMatches(dataset) {
                throw KeyChanged(dataset: dataset.name, stored: "", now: definition, rows: state.rows + state.deletedRows)
            }
        }
        try warehouse.setMetaValue(Self.keyMetaName(dataset), definition)
    }

    /// Whether one stored row's `_key` is the key its key columns make (`RecordMapper.keyText`'s
    /// rule: the values joined by U+001F, in NFC); true when there is no row to ask.
    private func storedKeyMatches(_ dataset: DatasetConfig) throws -> Bool {
        let columns = dataset.key.map(Identifier.quoted).joined(separator: ", ")
        var matches = true
        try warehouse.forEachRow("SELECT _key, \(columns) FROM \(Identifier.quoted(dataset.name)) LIMIT 1", []) { row in
            let parts = (1...dataset.key.count).map { row.text($0) }
            // As it is too: keys stored before they were kept in NFC.
            let joined = parts.contains(nil) ? nil : parts.map { $0 ?? "" }.joined(separator: "\u{1F}")
            matches = joined.map { $0 == row.text(0) || RecordMapper.keyIdentity($0) == row.text(0) } ?? false
        }
        return matches
    }

    /// What the workers of one source share (rate limit, authenticator, quota, kept clients).
    private func share(for sourceName: String) throws -> SourceShare {
        lock.lock()
        defer { lock.unlock() }
        if let share = shares[sourceName] { return share }
        guard let source = project.source(named: sourceName) else {
            throw ConfigError("unknown source '\(sourceName)'", file: "dataflow.yml")
        }
        let observer = ThreadConfined(observer)
        let share = try SourceShare(source: source, redactor: redactor, downloads: downloads) { dataset, event in observer.value.retry(dataset, event: event) }
        shares[sourceName] = share
        return share
    }

    private func exchange(for sourceName: String, at location: DatabaseLocation) throws -> WarehouseReader {
        lock.lock()
        defer { lock.unlock() }
        if let database = exchanges[sourceName] { return database }
        let database = try factory.openExchange(location)
        exchanges[sourceName] = database
        return database
    }

    /// Lends a page walk of `dataset` the source's idle request slots, each with a client of the
    /// source's pool (docs/architecture.md, "Pages in parallel inside one dataset"); `sent` adds
    /// up the requests each borrowed client sent for the dataset.
    private func lender(share: SourceShare, dataset: String, scheduler: DatasetScheduler, sent: RequestTally) -> RequestLender {
        let source = share.source.name
        return RequestLender(most: min(max(1, share.source.concurrency), PageFan.mostThreads), borrow: {
            guard scheduler.borrow(source: source) else { return nil }
            do {
                let client = try share.checkout(dataset: dataset)
                sent.lent(client)
                return client
            } catch {
                scheduler.giveBack(source: source)
                return nil
            }
        }, giveBack: { client in
            sent.returned(client)
            share.checkin(client)
            scheduler.giveBack(source: source)
        })
    }

    /// Whether this run reconciles `dataset`: asked for, or its `reconcile:` schedule is due.
    func reconcileDue(_ dataset: DatasetConfig, forced: Bool) throws -> Bool {
        guard dataset.incremental != nil else { return false }
        if forced { return true }
        guard let schedule = dataset.reconcile else { return false }
        guard let last = try warehouse.metaValue("reconciled:" + dataset.name).flatMap(Timestamp.parse) else { return true }
        return Date().timeIntervalSince(last) >= schedule.interval
    }

    private func syncDataset(_ dataset: DatasetConfig, runID: Int64, retryRejects: Bool, reconcile: Bool = false,
                             allowMassDelete: Bool = false, rekey: Bool = false, scheduler: DatasetScheduler) -> DatasetSummary {
        let started = Date()
        var summary = DatasetSummary(dataset: dataset.name, status: "ok")
        // `--rekey`: forgets the rows stored under the old key (below); its D entries count as
        // deleted whether or not the walk after it failed.
        var forget: OnceAction?
        do {
            try warehouse.beginDataset(runID: runID, dataset: dataset.name)
            var state = try warehouse.state(of: dataset.name)
            let liveBefore = state.rows
            observer.datasetStarted(dataset.name, watermark: state.watermarkText)
            // `--rekey`: the walk starts afresh, and the rows stored under the old key are
            // forgotten just before its first page is applied — once the gateway has answered: a
            // refused sign-in or a gateway that is down leaves them as they were.
            if rekey {
                state = DatasetState(watermark: nil, watermarkText: nil, rows: 0, deletedRows: 0)
                forget = OnceAction { [warehouse] in
                    let forgotten = try warehouse.forgetRows(dataset: dataset, runID: runID)
                    try warehouse.setMetaValue(Self.keyMetaName(dataset), Self.keyDefinition(dataset))
                    try Self.noteKeyPrivacy(dataset, in: warehouse)
                    return forgotten
                }
            } else {
                try checkKey(dataset, state: state)
            }
            // Open rejects of a dataset loaded afresh are resolved with its rows, and read again.
            if retryRejects && !rekey {
                let replay = try warehouse.exclusively { base in
                    try RejectReplayer(dataset: dataset, dictionaries: project.dictionaries).replay(store: base, runID: runID)
                }
                summary.replay = replay
                summary.counts.inserted += replay.counts.inserted
                summary.counts.updated += replay.counts.updated
                summary.counts.deleted += replay.counts.deleted
                summary.counts.unchanged += replay.counts.unchanged
            }
            if let exchange = dataset.exchange, let location = project.source(named: dataset.source)?.sql {
                let database = try self.exchange(for: dataset.source, at: location)
                let walker = ExchangeWalker(dataset: dataset, exchange: exchange, database: database, project: project,
                                            warehouse: warehouse, runID: runID, observer: observer)
                walker.beforeFirstCommit = forget
                try walker.walk(from: state, summary: &summary)
            } else {
                let share = try share(for: dataset.source)
                let client = try share.checkout(dataset: dataset.name)
                defer { share.checkin(client) }
                // Every request the dataset's clients sent: those of the pages it stored, of a fetch
                // that failed (the dataset then stops with its error), and of pages its fan fetched
                // ahead and dropped (on the walk's client or a borrowed one).
                let sentBefore = client.requestsSent
                let borrowedSent = RequestTally()
                defer { summary.requests = client.requestsSent - sentBefore + borrowedSent.total }
                let walker = PageWalker(dataset: dataset, project: project, client: client,
                                        warehouse: warehouse, runID: runID, observer: observer)
                walker.reconcile = try reconcileDue(dataset, forced: reconcile)
                walker.allowMassDelete = allowMassDelete
                walker.replayedRejects = (summary.replay?.replayed ?? 0) > 0
                walker.lender = lender(share: share, dataset: dataset.name, scheduler: scheduler, sent: borrowedSent)
                walker.beforeFirstCommit = forget
                try walker.walk(from: state, summary: &summary)
                if walker.reconcile { try warehouse.setMetaValue("reconciled:" + dataset.name, Timestamp.now()) }
            }
            if let forget {
                // A walk that ended without a page: the gateway holds nothing now, or says so by
                // mistake. Its rows are forgotten only with --allow-mass-delete, as a pass that
                // would tombstone them all is.
                if forget.pending, !allowMassDelete, liveBefore > 0 {
                    throw RekeyRefused(dataset: dataset.name, rows: liveBefore)
                }
                try forget.run()
            }
        } catch {
            summary.status = "failed"
            summary.error = String(describing: error)
        }
        if let forget { summary.counts.deleted += forget.result }
        // A record re-read at a page boundary or in the lookback window is one reject, not one per read.
        var distinctRejects: Int?
        if let tally = try? warehouse.rejectTally(dataset: dataset.name, runID: runID) {
            distinctRejects = tally.new
            summary.counts.rejected = tally.new
            summary.rejectsSeenAgain = tally.seenAgain
        }
        // Gateway error pages echo requests: nothing reaches the warehouse's error column unredacted.
        summary.error = summary.error.map(redactor.redact)
        summary.seconds = Date().timeIntervalSince(started)
        do {
            try warehouse.finishDataset(runID: runID, dataset: dataset.name,
                                        outcome: DatasetOutcome(status: summary.status, seconds: summary.seconds, error: summary.error,
                                                                 rejected: distinctRejects, requests: summary.requests))
        } catch {
            summary.status = "failed"
            summary.error = (summary.error.map { $0 + "; " } ?? "") + "could not record the outcome: " + redactor.redact(String(describing: error))
        }
        observer.datasetFinished(summary)
        return summary
    }
}

/// Requests sent by the clients a dataset's walk borrowed: each client's count from when it was
/// lent to when it came back.
final class RequestTally: @unchecked Sendable {
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var baselines: [ObjectIdentifier: Int] = [:]
    private var sum = 0

    func lent(_ client: SourceClient) { lock.withLock { baselines[ObjectIdentifier(client)] = client.requestsSent } }

    func returned(_ client: SourceClient) {
        lock.withLock {
            if let before = baselines.removeValue(forKey: ObjectIdentifier(client)) { sum += client.requestsSent - before }
        }
    }

    var total: Int { lock.withLock { sum } }
}

/// One summary slot per dataset, filled by whichever worker walked it.
private final class ResultSlots: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [DatasetSummary?]

    init(count: Int) { slots = Array(repeating: nil, count: count) }

    func set(_ index: Int, _ summary: DatasetSummary) { lock.withLock { slots[index] = summary } }
    var all: [DatasetSummary?] { lock.withLock { slots } }
}

/// A dataset's key is not the one its rows were stored under (`SyncEngine.checkKey`).
public struct KeyChanged: Error, CustomStringConvertible, Sendable {
    public var dataset: String
    /// The key definitions, `column<-member` joined by commas.
    public var stored: String, now: String
    public var rows: Int

    public var description: String {
        func shown(_ definition: String) -> String {
            definition.split(separator: ",").map { part in
                let pieces = part.components(separatedBy: "<-")
                return pieces.count == 2 && pieces[0] != pieces[1] ? "\(pieces[0]) (from \(pieces[1]))" : pieces[0]
            }.joined(separator: " + ")
        }
        let before = stored.isEmpty ? "another key (not recorded by the dataflow that stored them: their _key values are not this key's)" : shown(stored)
        return "\(dataset): its key is now \(shown(now)), but its \(rows) rows were stored under \(before); synced like this, every record"
            + " would be stored a second time beside its old row. Nothing was synced. Put the key back as it was, or load the dataset afresh under"
            + " the new key with `dataflow sync --rekey \(dataset)` (its rows are replaced; the change feed gets a D for each old key and an I for each new one)"
    }
}

/// `sync --rekey` of a dataset whose walk found no record: its rows are kept (`SyncEngine`).
public struct RekeyRefused: Error, CustomStringConvertible, Sendable {
    public var dataset: String
    public var rows: Int
    public var description: String {
        "\(dataset): the gateway answered no records, so --rekey kept its \(rows) live rows under the old key (nothing was forgotten)."
            + " If the dataset really is empty now, run `dataflow sync --rekey \(dataset) --allow-mass-delete \(dataset)`"
    }
}
