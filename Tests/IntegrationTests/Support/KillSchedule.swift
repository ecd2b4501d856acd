import DataflowCore
import Foundation
import Testing
import LoopbackGateway

/// When the kill -9 tests kill a sync: a seeded schedule (the seed is printed; set
/// `DATAFLOW_KILL_SEED` to replay one), counted from the moment the run has really begun writing
/// (its row in `_dataflow_runs`), so a loaded machine's slow start-up never turns a kill into a
/// kill before the run.
struct KillSchedule {
    let seed: UInt64
    private var generator: SeededGenerator

    init(test: String = #function) {
        let given = ProcessInfo.processInfo.environment["DATAFLOW_KILL_SEED"].flatMap { UInt64($0) }
        seed = given ?? UInt64.random(in: 1...UInt64(Int64.max))
        generator = SeededGenerator(seed: seed)
        print("\(test): kill schedule seed \(seed) (replay with DATAFLOW_KILL_SEED=\(seed))")
    }

    /// Seconds to let the run write before killing it.
    mutating func delay(in range: ClosedRange<Double>) -> Double { Double.random(in: range, using: &generator) }

    /// Waits (up to 60 s, in 20 ms steps) until `process` has begun a run beyond `runsBefore`, or
    /// has ended; returns whether the run began while the process still runs.
    static func waitForRun(_ process: Process, after runsBefore: Int64, in project: CountyProject) -> Bool {
        let deadline = Date().addingTimeInterval(60)
        while process.isRunning && Date() < deadline {
            if lastRun(in: project) > runsBefore { return process.isRunning }
            Thread.sleep(forTimeInterval: 0.02)
        }
        return false
    }

    /// The latest run id in the project's warehouse (0 before the first, or while it cannot be read).
    static func lastRun(in project: CountyProject) -> Int64 {
        // Never create the SQLite file by looking: the sync must find it missing.
        if project.backend == .sqlite && !FileManager.default.fileExists(atPath: project.warehousePath) { return 0 }
        guard let db = try? project.reader(), db.backend != "sqlite" || (try? db.tableExists("_dataflow_runs")) == true else { return 0 }
        return ((try? db.scalarInt("SELECT coalesce(max(run_id), 0) FROM _dataflow_runs", [])) ?? nil) ?? 0
    }
}
