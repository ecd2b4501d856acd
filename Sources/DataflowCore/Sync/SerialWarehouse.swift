import Foundation

/// The one writer of a concurrent sync: forwards every warehouse call under one lock, so the
/// single connection runs one call — one page's transaction with its state — at a time, whichever
/// worker made it. Workers fetch, parse and map outside the lock (docs/architecture.md, Concurrency).
///
/// ```swift
/// let writer = SerialWarehouse(warehouse)
/// let counts = try writer.apply(batch)          // from any worker thread
/// try writer.exclusively { try replay(store) }  // several calls as one unit
/// ```
final class SerialWarehouse: Warehouse, @unchecked Sendable {
    /// The warehouse itself; touched only under `lock`.
    private let base: Warehouse
    private let lock = NSLock()

    init(_ base: Warehouse) { self.base = base }

    /// Runs `body` with the warehouse to itself (e.g. a reject replay: read, map, write).
    func exclusively<T>(_ body: (Warehouse) throws -> T) rethrows -> T {
        lock.lock()
        defer { lock.unlock() }
        return try body(base)
    }

    func loadDictionaries(_ dictionaries: Dictionaries) throws { try exclusively { try $0.loadDictionaries(dictionaries) } }
    func prepare(dataset: DatasetConfig) throws { try exclusively { try $0.prepare(dataset: dataset) } }
    func state(of dataset: String) throws -> DatasetState { try exclusively { try $0.state(of: dataset) } }
    func beginRun(datasets: [String], options: String) throws -> Int64 { try exclusively { try $0.beginRun(datasets: datasets, options: options) } }
    func beginDataset(runID: Int64, dataset: String) throws { try exclusively { try $0.beginDataset(runID: runID, dataset: dataset) } }
    func apply(_ batch: PageBatch) throws -> PageCounts { try exclusively { try $0.apply(batch) } }
    func finishPass(dataset: String, watermark: (epoch: Int, text: String)?) throws {
        try exclusively { try $0.finishPass(dataset: dataset, watermark: watermark) }
    }
    @discardableResult
    func tombstoneUnseen(dataset: DatasetConfig, runID: Int64) throws -> Int { try exclusively { try $0.tombstoneUnseen(dataset: dataset, runID: runID) } }
    @discardableResult
    func forgetRows(dataset: DatasetConfig, runID: Int64) throws -> Int { try exclusively { try $0.forgetRows(dataset: dataset, runID: runID) } }
    func keysSeen(dataset: DatasetConfig, runID: Int64) throws -> Int { try exclusively { try $0.keysSeen(dataset: dataset, runID: runID) } }
    func unseenLiveCount(dataset: DatasetConfig, runID: Int64) throws -> Int { try exclusively { try $0.unseenLiveCount(dataset: dataset, runID: runID) } }
    func rejectTally(dataset: String, runID: Int64) throws -> (new: Int, seenAgain: Int) { try exclusively { try $0.rejectTally(dataset: dataset, runID: runID) } }
    func metaValue(_ name: String) throws -> String? { try exclusively { try $0.metaValue(name) } }
    func setMetaValue(_ name: String, _ value: String) throws { try exclusively { try $0.setMetaValue(name, value) } }
    func finishDataset(runID: Int64, dataset: String, outcome: DatasetOutcome) throws {
        try exclusively { try $0.finishDataset(runID: runID, dataset: dataset, outcome: outcome) }
    }
    func finishRun(runID: Int64, status: String, exitCode: Int32) throws { try exclusively { try $0.finishRun(runID: runID, status: status, exitCode: exitCode) } }

    // The reader and the reject store it refines, under the same lock.
    var backend: String { base.backend }
    var rowOrder: String { base.rowOrder }
    func stringAggregate(_ expression: String, separator: String) -> String { base.stringAggregate(expression, separator: separator) }
    func scalarInt(_ sql: String, _ bindings: [CellValue]) throws -> Int64? { try exclusively { try $0.scalarInt(sql, bindings) } }
    func scalarText(_ sql: String, _ bindings: [CellValue]) throws -> String? { try exclusively { try $0.scalarText(sql, bindings) } }
    func forEachRow(_ sql: String, _ bindings: [CellValue], _ body: (any WarehouseRow) throws -> Void) throws {
        try exclusively { try $0.forEachRow(sql, bindings, body) }
    }
    func execute(_ sql: String, _ bindings: [CellValue]) throws { try exclusively { try $0.execute(sql, bindings) } }
    func tableExists(_ name: String) throws -> Bool { try exclusively { try $0.tableExists(name) } }
    func columns(of table: String) throws -> [String] { try exclusively { try $0.columns(of: table) } }
    func rejects(dataset: String?, includeResolved: Bool) throws -> [StoredReject] {
        try exclusively { try $0.rejects(dataset: dataset, includeResolved: includeResolved) }
    }
    func applyReplay(_ replay: RejectReplay) throws -> PageCounts { try exclusively { try $0.applyReplay(replay) } }
}
