import ArgumentParser
import DataflowCore
import Foundation

/// `dataflow rejects` — the quarantine: records that failed mapping or checks, with their reasons.
struct RejectsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rejects",
        abstract: "List quarantined records and why each was rejected.",
        discussion: """
        Every record that fails mapping or a check is stored whole in
        _dataflow_rejects with machine-readable reasons (field, rule, offending
        value, message). After fixing the mapping, `dataflow sync --retry-rejects`
        replays the open ones: those that now load are marked resolved (kept for
        audit), the rest stay open with updated reasons.

        Examples:
          dataflow rejects                            # every open reject
          dataflow rejects service_cases --format json
          dataflow rejects --all --format csv > r.csv # resolved ones too
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable { case table, json, csv }

    @OptionGroup var global: GlobalOptions

    @Argument(help: "Only this dataset's rejects (default: all datasets).")
    var dataset: String?

    @Option(help: "table, json or csv (one row per reason).")
    var format: Format = .table

    @Flag(help: "Include resolved rejects (kept for audit).")
    var all = false

    func run() throws {
        let project = try global.loadProject()
        if let dataset, project.dataset(named: dataset) == nil {
            let names = project.datasets.map(\.name)
            Console.error("unknown dataset '\(dataset)'\(MappingReader.suggestion(dataset, names)) (datasets: \(names.joined(separator: ", ")))")
            throw ExitCode(ExitCodes.badConfig)
        }
        do {
            let warehouse = try WarehouseAccess.openRejectStore(project)
            let listing = try RejectListing(store: warehouse, dataset: dataset, includeResolved: all)
            switch format {
            case .table: Console.out(listing.table())
            case .json: Console.out(listing.json())
            case .csv:
                let writer = try CSVWriter(fd: 1)
                try writer.writeRow(RejectListing.csvHeader)
                for row in listing.csvRows() { try writer.writeRow(row) }
                try writer.flush()
            }
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
    }
}
