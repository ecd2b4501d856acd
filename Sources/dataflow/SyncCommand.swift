import ArgumentParser
import DataflowCore
import Foundation

/// `dataflow sync` — the nightly job.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull new and changed records from the gateways into the warehouse.",
        discussion: """
        Each page is committed with the dataset's new cursor in one transaction, so an interrupted
        run (even kill -9) resumes where it stopped and never duplicates or loses a row. Requests ask
        for records changed since the watermark minus the dataset's lookback; records already in the
        warehouse with the same content are no-ops.

        Examples:
          dataflow sync                          # every dataset
          dataflow sync market_licenses          # one dataset
          dataflow sync --quiet --log-format json >>/var/log/dataflow.log 2>&1   # cron
          dataflow sync --retry-rejects service_cases   # after a mapping fix

        --retry-rejects replays each dataset's open rejects through the current
        mapping before the normal walk: records that now map are upserted (change
        log included) and their rejects marked resolved (kept for audit); the rest
        stay open with updated reasons (see `dataflow rejects`).

        Exit codes: 0 all ok, 1 some datasets failed (the others still synced), 2 bad configuration,
        3 another run holds the lock.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Datasets to sync (default: all).")
    var datasets: [String] = []

    @Flag(help: "First replay open rejects through the current mapping.")
    var retryRejects = false

    func run() throws {
        let project = try global.loadProject()
        let path = global.warehousePath(project)
        let lock: WarehouseLock
        do {
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            lock = try WarehouseLock(path: path + ".lock")
        } catch let held as WarehouseLock.Held {
            Console.error(held.description)
            throw ExitCode(ExitCodes.locked)
        }
        let observer = EventLog(format: global.logFormat, quiet: global.quiet, verbose: global.verbose)
        let summary: RunSummary
        do {
            let warehouse = try SQLiteWarehouse(path: path)
            let engine = SyncEngine(project: project, warehouse: warehouse, observer: observer)
            _ = try engine.select(datasets)
            summary = try engine.run(datasets: datasets, options: ((retryRejects ? ["--retry-rejects"] : []) + datasets).joined(separator: " "),
                                     retryRejects: retryRejects)
        } catch let error as ConfigError {
            Console.error(error.description)
            throw ExitCode(ExitCodes.badConfig)
        } catch {
            Console.error("sync failed: \(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
        withExtendedLifetime(lock) {}
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}
