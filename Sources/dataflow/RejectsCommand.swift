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

        Personal data (fields marked pii, and the source fields they are mapped from
        in the stored record) is masked unless --reveal-pii; a clear view is logged
        in _dataflow_exports first, and refused when it cannot be logged.

        Examples:
          dataflow rejects                            # every open reject
          dataflow rejects service_cases --format json
          dataflow rejects --all --format csv > r.csv # resolved ones too
          dataflow rejects service_cases --reveal-pii # clear values (logged)
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

    @Flag(help: "Show personal data in clear (the view is logged in _dataflow_exports).")
    var revealPII = false

    func run() throws {
        let project = try global.loadProject()
        if let dataset, project.dataset(named: dataset) == nil {
            Console.error(project.unknownDatasetMessage(dataset))
            throw ExitCode(ExitCodes.badConfig)
        }
        do {
            let warehouse = try WarehouseFactory.standard.open(project.warehouse, purpose: .read)
            var masking: [String: PIIMasking] = [:]
            for dataset in project.datasets {
                var m = PIIMasking(dataset: dataset)
                // Rejects of before a `sync --rekey` keep the key they had: personal ones are masked too.
                try m.readFormerKey(dataset: dataset.name, from: warehouse)
                masking[dataset.name] = m
            }
            let listing = try RejectListing(store: warehouse, dataset: dataset, includeResolved: all, masking: revealPII ? nil : masking)
            try warehouse.confirmReadWhole()
            if revealPII {
                var entry = ExportLog.Entry(command: "rejects", dataset: dataset ?? "*", masked: false, target: "stdout")
                entry.rows = listing.rejects.count
                entry.format = format.rawValue
                entry.filters = all ? ["--all"] : []
                do {
                    try ExportLog.record(entry, in: warehouse)
                } catch {
                    throw ExportLog.LogError(message: "--reveal-pii: the view cannot be logged in _dataflow_exports (\(error)), so nothing is shown")
                }
            }
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
