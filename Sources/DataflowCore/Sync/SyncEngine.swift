import Foundation
import DataflowHTTP

/// Runs a sync: for each dataset, walk the source's pages and commit each page with its state.
///
/// ```swift
/// let engine = SyncEngine(project: project, warehouse: warehouse, observer: observer)
/// let summary = try engine.run(datasets: [])   // all datasets
/// ```
public final class SyncEngine {
    public let project: ProjectConfig
    let warehouse: Warehouse
    let observer: SyncObserver
    /// Every error text passes it before the warehouse stores it or the observer shows it.
    public let redactor: Redactor
    private var clients: [String: SourceClient] = [:]
    private var exchanges: [String: WarehouseReader] = [:]
    private var currentDataset = ""
    /// Opens an exchange database (`type: sql` source). SQLite is built in; the CLI adds PostgreSQL.
    public var openExchange: (SQLSourceLocation) throws -> WarehouseReader = { location in
        switch location {
        case .sqlite(let path): return try SQLiteDatabase(path: path, readOnly: true)
        case .postgres(let l): throw ConfigError("exchange database \(l) needs the PostgreSQL backend (DataflowPostgres)", file: "dataflow.yml")
        }
    }

    /// - Parameter redactor: shared with whatever prints the run (default: one that knows the project's secrets).
    public init(project: ProjectConfig, warehouse: Warehouse, observer: SyncObserver = SilentSyncObserver(), redactor: Redactor? = nil) {
        self.project = project
        self.warehouse = warehouse
        self.redactor = redactor ?? Redactor(project: project)
        self.observer = SerializedObserver(observer)
    }

    /// Which datasets a run covers; unknown names are a usage error.
    public func select(_ names: [String]) throws -> [DatasetConfig] {
        if names.isEmpty { return project.datasets }
        return try names.map { name in
            guard let d = project.dataset(named: name) else {
                let all = project.datasets.map(\.name)
                throw ConfigError("unknown dataset '\(name)'\(MappingReader.suggestion(name, all)) (datasets: \(all.joined(separator: ", ")))", file: "Mappings/datasets")
            }
            return d
        }
    }

    /// Syncs the named datasets (all when empty). A dataset that fails does not stop the others.
    ///
    /// With `retryRejects`, each dataset's open rejects are first replayed through the current
    /// mapping (`RejectReplayer`); the warehouse must be a `RejectStore`. Datasets named in
    /// `allowMassDelete` may tombstone more than their `max_tombstones` in this run.
    public func run(datasets names: [String], options: String = "", retryRejects: Bool = false, reconcile: Bool = false,
                    allowMassDelete: [String] = []) throws -> RunSummary {
        let datasets = try select(names)
        let massDeleteAllowed = allowMassDelete.isEmpty ? [] : Set(try select(allowMassDelete).map(\.name))
        try warehouse.loadDictionaries(project.dictionaries)
        for d in datasets { try warehouse.prepare(dataset: d) }
        let runID = try warehouse.beginRun(datasets: datasets.map(\.name), options: options)
        observer.runStarted(runID: runID, datasets: datasets.map(\.name))
        var summaries: [DatasetSummary] = []
        for dataset in datasets {
            summaries.append(syncDataset(dataset, runID: runID, retryRejects: retryRejects, reconcile: reconcile,
                                         allowMassDelete: massDeleteAllowed.contains(dataset.name)))
        }
        let summary = RunSummary(runID: runID, datasets: summaries)
        try warehouse.finishRun(runID: runID, status: summary.exitCode == 0 ? "ok" : "failed", exitCode: summary.exitCode)
        observer.runFinished(summary)
        return summary
    }

    private func client(for sourceName: String) throws -> SourceClient {
        if let c = clients[sourceName] { return c }
        guard let source = project.source(named: sourceName) else {
            throw ConfigError("unknown source '\(sourceName)'", file: "dataflow.yml")
        }
        let c = try SourceClient(source: source, redactor: redactor, onRetry: { [weak self] event in
            guard let self else { return }
            self.observer.retry(self.currentDataset, event: event)
        })
        clients[sourceName] = c
        return c
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
                             allowMassDelete: Bool = false) -> DatasetSummary {
        let started = Date()
        currentDataset = dataset.name
        var summary = DatasetSummary(dataset: dataset.name, status: "ok")
        do {
            try warehouse.beginDataset(runID: runID, dataset: dataset.name)
            let state = try warehouse.state(of: dataset.name)
            observer.datasetStarted(dataset.name, watermark: state.watermarkText)
            if retryRejects {
                guard let store = warehouse as? RejectStore else {
                    throw ConfigError("this warehouse cannot replay rejects", file: "dataflow.yml")
                }
                let replay = try RejectReplayer(dataset: dataset, dictionaries: project.dictionaries).replay(store: store, runID: runID)
                summary.replay = replay
                summary.counts.inserted += replay.counts.inserted
                summary.counts.updated += replay.counts.updated
                summary.counts.deleted += replay.counts.deleted
                summary.counts.unchanged += replay.counts.unchanged
            }
            if let exchange = dataset.exchange, let location = project.source(named: dataset.source)?.sql {
                let database = try exchanges[dataset.source] ?? openExchange(location)
                exchanges[dataset.source] = database
                try ExchangeWalker(dataset: dataset, exchange: exchange, database: database, project: project,
                                   warehouse: warehouse, runID: runID, observer: observer).walk(from: state, summary: &summary)
            } else {
                let walker = PageWalker(dataset: dataset, project: project, client: try client(for: dataset.source),
                                        warehouse: warehouse, runID: runID, observer: observer)
                walker.reconcile = try reconcileDue(dataset, forced: reconcile)
                walker.allowMassDelete = allowMassDelete
                try walker.walk(from: state, summary: &summary)
                if walker.reconcile { try warehouse.setMetaValue("reconciled:" + dataset.name, Timestamp.now()) }
            }
        } catch {
            summary.status = "failed"
            summary.error = String(describing: error)
        }
        summary.seconds = Date().timeIntervalSince(started)
        // Gateway error pages echo requests: nothing reaches the warehouse's error column unredacted.
        summary.error = summary.error.map(redactor.redact)
        do {
            try warehouse.finishDataset(runID: runID, dataset: dataset.name,
                                        outcome: DatasetOutcome(status: summary.status, seconds: summary.seconds, error: summary.error))
        } catch {
            summary.status = "failed"
            summary.error = (summary.error.map { $0 + "; " } ?? "") + "could not record the outcome: " + redactor.redact(String(describing: error))
        }
        observer.datasetFinished(summary)
        return summary
    }
}
