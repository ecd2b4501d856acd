import ArgumentParser
import DataflowCore
import Foundation

/// `dataflow status` — recent runs and per-dataset state.
struct StatusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "status",
        abstract: "Show the last runs and, per dataset, what each did.",
        discussion: """
        Each run shows its datasets' outcome, counts (fetched, inserted, updated, unchanged, deleted, \
        rejected), pages, requests, duration and error, then the run's duration and totals; then each \
        dataset's rows, watermark, last success and last outcome. A run that never finished (killed or \
        crashed) shows as 'interrupted'; the next sync resumes it. The JSON schema is in \
        docs/operations.md.

        Examples:
          dataflow status
          dataflow status --limit 1 --format json
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "table or json.")
    var format: ReportFormat = .table

    @Option(parsing: .unconditional, help: "How many runs to show.")
    var limit: Int = 5

    func validate() throws {
        guard limit > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        let project = try global.loadProject()
        do {
            let lockHeld = try WarehouseFactory.standard.syncLockHeld(project.warehouse)
            let reader = try WarehouseFactory.standard.open(project.warehouse, purpose: .read)
            let report = try StatusReport.load(db: reader, warehouse: project.warehouse.description, limit: limit, lockHeld: lockHeld,
                                           redactor: Redactor(project: project))
            try reader.confirmReadWhole()
            Console.out(format == .json ? try report.json() : report.table())
        } catch {
            Console.error(Redactor(project: project).printable("\(error)"))
            throw ExitCode(ExitCodes.datasetsFailed)
        }
    }
}

enum ReportFormat: String, ExpressibleByArgument, CaseIterable {
    case table, json
}
