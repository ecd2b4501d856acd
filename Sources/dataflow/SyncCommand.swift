import ArgumentParser
import DataflowCore
import Foundation

/// `dataflow sync` — the nightly job.
struct SyncCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sync",
        abstract: "Pull new and changed records from the gateways into the warehouse.",
        discussion: """
        Each page is committed with the dataset's new cursor in one transaction, so an interrupted \
        run (even kill -9) resumes where it stopped and never duplicates or loses a row. Requests ask \
        for records changed since the watermark minus the dataset's lookback; records already in the \
        warehouse with the same content are no-ops.

        Datasets are walked in parallel: at most --jobs at once (default 8), and never more requests \
        to one source at once than its `concurrency:` (default 1), within its `rate_limit:` shared by \
        all of them; a page walk whose gateway reports a total fetches its pages on the slots its \
        source's other datasets leave free. One writer commits every page with its state, in order, \
        so each guarantee above holds per dataset (docs/sync.md, "Concurrency"). For a slow gateway raise its `concurrency:`; lower \
        --jobs to spare a small machine.

        On a terminal, a progress bar per dataset in flight shows pages, records and rate; never when stderr is \
        not a terminal. --log-format json writes one JSON event per line on stderr (run_start, \
        dataset_start, retry, dataset_end, run_end, error), each with ts, level and event. \
        --metrics-file writes Prometheus text format atomically after the run, for node_exporter's \
        textfile collector (docs/operations.md).

        Examples:
          dataflow sync                          # every dataset
          dataflow sync market_licenses          # one dataset
          dataflow sync --quiet --log-format json >>/var/log/dataflow.log 2>&1   # cron
          dataflow sync --quiet --metrics-file /var/lib/node_exporter/dataflow.prom
          dataflow sync --retry-rejects service_cases   # after a mapping fix: replay open rejects first
          dataflow sync --reconcile market_licenses     # full key-set pass: tombstone keys gone upstream
          dataflow sync --allow-mass-delete market_licenses   # let one pass tombstone more than max_tombstones
          dataflow sync --rekey service_cases           # after changing key: load the dataset afresh under it
          dataflow sync --jobs 1                        # one dataset at a time

        --retry-rejects replays each dataset's open rejects through the current mapping before the \
        normal walk: records that now map are upserted (change log included) and their rejects marked \
        resolved (kept for audit); the rest stay open with updated reasons (see `dataflow rejects`).

        A pass tombstones keys that went missing (full snapshots, --reconcile) only when it is \
        complete — it ended as the gateway says walks end, its distinct keys reach the gateway's total \
        at the start and at the end, no page repeated, every answer came from the source's own \
        origin — and only up to max_tombstones (default 10 % of the live rows). A pass over that \
        limit tombstones nothing and fails the dataset; --allow-mass-delete DATASET lets it through \
        once (docs/sync.md).

        A dataset whose key: changed since its rows were stored is not synced (every record would be \
        stored again beside its old row); --rekey DATASET loads it afresh under the new key: its rows \
        are replaced, with a D in the change feed for each old key and an I for each new one.

        The warehouse is `warehouse:` in dataflow.yml: an SQLite file (a file lock guards the run) or \
        a PostgreSQL schema (`warehouse: postgres://user@host:5432/db`, `schema: county_330782`; an \
        advisory lock guards the run). See docs/warehouse.md.

        Exit codes: 0 all ok, 1 some datasets failed (the others still synced), 2 bad configuration, \
        3 another run holds the lock.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("After the run, write Prometheus metrics here (atomically).", valueName: "path"))
    var metricsFile: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Datasets walked at once, across all sources (1…64; each source also keeps to its `concurrency:`).", valueName: "n"))
    var jobs: Int = SyncEngine.defaultJobs


    @Argument(help: "Datasets to sync (default: all; one named twice is synced once).")
    var datasets: [String] = []

    /// An error in the log's format: a JSON event with --log-format json, else a `dataflow:` line.
    /// Text from outside (a gateway, a library) must already be `redactor.printable`: its line
    /// breaks are then escapes, and the lines split here are dataflow's own.
    private func fail(_ message: String, event: String, exitCode: Int32, redactor: Redactor = Redactor()) -> ExitCode {
        if global.logFormat == .json {
            Console.errorEvent(event, message, exitCode: exitCode, redactor: redactor)
        } else {
            for line in message.split(separator: "\n") { Console.error(String(line)) }
        }
        return ExitCode(exitCode)
    }

    @Flag(help: "First replay open rejects through the current mapping.")
    var retryRejects = false

    @Flag(help: "Read the whole key set of incremental datasets and tombstone keys gone upstream (after a complete pass only).")
    var reconcile = false

    @Option(name: .customLong("allow-mass-delete"),
            help: ArgumentHelp("Let DATASET tombstone more than its max_tombstones in this run (repeatable).", valueName: "dataset"))
    var allowMassDelete: [String] = []

    @Option(name: .customLong("rekey"),
            help: ArgumentHelp("Load DATASET afresh under its (changed) key: its rows are replaced (repeatable).", valueName: "dataset"))
    var rekey: [String] = []

    func run() throws {
        // Checked here, not in `validate()`: a usage error is an event like any other in the
        // JSON log (ArgumentParser would print it as text).
        guard (1...64).contains(jobs) else { throw fail("--jobs must be within 1…64, got \(jobs)", event: "usage_error", exitCode: ExitCodes.badConfig) }
        let project: ProjectConfig
        do {
            project = try ProjectLoader(environment: ProcessInfo.processInfo.environment).load(root: global.project)
        } catch {
            throw fail("\(error)\nconfiguration is not valid; nothing was changed", event: "config_error", exitCode: ExitCodes.badConfig)
        }
        if let metricsFile {
            // Before anything is synced: the metrics file is written whole at the end, over what is there.
            do {
                try project.warehouse.refuseAsOutput(metricsFile, option: "--metrics-file", writing: "metrics file",
                                              nothing: "nothing was synced")
            } catch {
                throw fail("\(error)", event: "config_error", exitCode: ExitCodes.badConfig)
            }
        }
        // One redactor for the run: the engine's authenticators teach it their tokens, the log uses it.
        let redactor = Redactor(project: project)
        LogBootstrap.install(format: global.logFormat, quiet: global.quiet, redactor: redactor)
        let warehouse: Warehouse
        do {
            warehouse = try WarehouseFactory.standard.open(project.warehouse, purpose: .sync)
        } catch let held as WarehouseLock.Held {
            throw fail(held.description, event: "lock_held", exitCode: ExitCodes.locked)
        } catch {
            throw fail("cannot open the warehouse \(project.warehouse): \(redactor.printable("\(error)"))", event: "error",
                       exitCode: ExitCodes.datasetsFailed, redactor: redactor)
        }
        let observer = EventLog(format: global.logFormat, quiet: global.quiet, verbose: global.verbose, redactor: redactor)
        let summary: RunSummary
        let started = Date()
        do {
            let engine = SyncEngine(project: project, warehouse: warehouse, factory: .standard, observer: observer, redactor: redactor)
            engine.jobs = jobs
            _ = try engine.select(datasets)
            if !allowMassDelete.isEmpty { _ = try engine.select(allowMassDelete) }
            if !rekey.isEmpty {
                // A dataset to reload that this run does not walk would be left as it is without a word.
                let walked = Set(try engine.select(datasets).map(\.name))
                for name in try engine.select(rekey).map(\.name) where !walked.contains(name) {
                    throw ConfigError("--rekey \(name) names a dataset this run does not sync (add it to the datasets, or leave them all out)", at: nil)
                }
            }
            let options = (retryRejects ? ["--retry-rejects"] : []) + (reconcile ? ["--reconcile"] : [])
                + allowMassDelete.flatMap { ["--allow-mass-delete", $0] } + rekey.flatMap { ["--rekey", $0] } + datasets
            summary = try engine.run(datasets: datasets, options: options.joined(separator: " "),
                                     retryRejects: retryRejects, reconcile: reconcile, allowMassDelete: allowMassDelete, rekey: rekey)
        } catch let error as ConfigError {
            throw fail(error.description, event: "config_error", exitCode: ExitCodes.badConfig, redactor: redactor)
        } catch {
            throw fail("sync failed: \(redactor.printable("\(error)"))", event: "error", exitCode: ExitCodes.datasetsFailed, redactor: redactor)
        }
        if let metricsFile {
            do {
                let coverage = try CoverageCalculator(project: project, db: warehouse).report()
                let text = try PrometheusMetrics(summary: summary, startedAt: started, finishedAt: Date(), db: warehouse, coverage: coverage,
                                                 redactor: redactor).render()
                try AtomicFile.write(Data(text.utf8), to: metricsFile,
                                     finalCheck: project.warehouse.finalOutputCheck(metricsFile, option: "--metrics-file", writing: "metrics file",
                                                                                    nothing: "the metrics were not written"))
            } catch {
                withExtendedLifetime(warehouse) {}
                throw fail("cannot write metrics: \(redactor.printable("\(error)"))", event: "error", exitCode: ExitCodes.datasetsFailed, redactor: redactor)
            }
        }
        withExtendedLifetime(warehouse) {}
        if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
    }
}
