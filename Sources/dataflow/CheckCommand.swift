import ArgumentParser
import DataflowCore
import Foundation

/// `dataflow check` — sign in, fetch one page, show raw and mapped records and what comes next.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Test a source's auth and fetch one page of a dataset, without writing anything.",
        discussion: """
        For each dataset (all of them, every dataset of SOURCE, or just DATASET): signs in, fetches the first page, and shows the request (URL without signature values), its timing, the first raw records, the same records mapped to rows (or why they would be quarantined), and what the paginator would request next. Fields marked pii are masked unless --reveal-pii; a clear check is logged in _dataflow_exports first (the only write). Nothing else is written to the warehouse. Exit code 1 when any check failed, 2 for an unknown name. Secrets are never printed.

        Examples:
          dataflow check
          dataflow check province
          dataflow check market_licenses --records 5
          dataflow check market_licenses --format json
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("A source or a dataset; all datasets when omitted.", valueName: "source|dataset"))
    var target: String?

    @Option(help: "table or json.")
    var format: ReportFormat = .table

    @Option(parsing: .unconditional, help: "How many records of the page to show.")
    var records: Int = 3

    @Flag(help: "Show pii fields unmasked.")
    var revealPII = false

    func validate() throws {
        guard (1...100).contains(records) else { throw ValidationError("--records must be between 1 and 100") }
    }

    func run() throws {
        let project = try global.loadProject()
        let check = ConnectionCheck(project: project, sample: records, revealPII: revealPII)
        let results: [ConnectionCheck.Result]
        do {
            let datasets = try check.datasets(for: target)
            if revealPII { try logClearView(of: datasets, in: project) }
            results = try check.run(target: target)
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.badConfig)
        }
        Console.out(format == .json ? CheckRendering.json(results) : CheckRendering.table(results))
        if results.contains(where: { !$0.ok }) { throw ExitCode(ExitCodes.datasetsFailed) }
    }

    /// A clear check is logged before any request, one entry per dataset; unloggable, it does not run.
    private func logClearView(of datasets: [DatasetConfig], in project: ProjectConfig) throws {
        do {
            let log = try WarehouseFactory.standard.open(project.warehouse, purpose: .write)
            for dataset in datasets {
                var entry = ExportLog.Entry(command: "check", dataset: dataset.name, masked: false, target: "stdout")
                entry.rows = records
                entry.format = format.rawValue
                entry.filters = target.map { ["target=\($0)"] } ?? []
                try ExportLog.record(entry, in: log)
            }
        } catch {
            Console.error("--reveal-pii: the view cannot be logged in _dataflow_exports (\(error)), so nothing is checked")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
    }
}

/// Renders check results for the terminal or as JSON.
enum CheckRendering {
    /// Gateway text is already redacted; here its control characters are escaped (a newline or
    /// an ANSI escape from a gateway must not forge a line or repaint the terminal).
    static func table(_ results: [ConnectionCheck.Result]) -> String {
        let p = Redactor.escapingControls
        var out = ""
        for r in results {
            out += "\(r.dataset) (source \(r.source), auth \(r.auth)): \(r.ok ? "ok" : "FAILED")\n"
            if let error = r.error { out += "  error: \(p(error))\n\n"; continue }
            out += "  request: GET \(p(r.url))\n"
            out += String(format: "  timing: %.3f s, %d request(s)\n", r.seconds, r.requests)
            out += "  page: \(r.recordsOnPage) records" + (r.total.map { " of \($0)" } ?? "") + "\n"
            for (i, raw) in r.raw.enumerated() {
                out += "  raw[\(i)]: \(p(raw))\n"
            }
            for (i, row) in r.mapped.enumerated() {
                out += "  row[\(i)]: " + row.map { "\($0.column)=\($0.value.map(p) ?? "NULL")" }.joined(separator: ", ") + "\n"
            }
            for reason in r.rejected { out += "  quarantined: \(p(reason))\n" }
            if r.recordsOnPage > 0 {
                out += String(format: "  quarantine rate: %d of %d records on this page (%.2f %%)\n", r.quarantinedOnPage, r.recordsOnPage,
                              100 * Double(r.quarantinedOnPage) / Double(r.recordsOnPage))
            }
            out += "  next: \(p(r.next))\n\n"
        }
        return out
    }

    static func json(_ results: [ConnectionCheck.Result]) -> String {
        func q(_ s: String?) -> String { s.map(JSONValue.quoted) ?? "null" }
        let items = results.map { r -> String in
            let rows = r.mapped.map { row in "{" + row.map { "\(q($0.column)):\(q($0.value))" }.joined(separator: ",") + "}" }
            return "{\"dataset\":\(q(r.dataset)),\"source\":\(q(r.source)),\"auth\":\(q(r.auth)),\"ok\":\(r.ok),\"error\":\(q(r.error)),"
                + "\"url\":\(q(r.url)),\"requests\":\(r.requests),\"seconds\":\(String(format: "%.3f", r.seconds)),"
                + "\"records_on_page\":\(r.recordsOnPage),\"quarantined_on_page\":\(r.quarantinedOnPage),\"total\":\(r.total.map(String.init) ?? "null"),"
                + "\"raw\":[\(r.raw.joined(separator: ","))],\"rows\":[\(rows.joined(separator: ","))],"
                + "\"rejected\":[\(r.rejected.map(q).joined(separator: ","))],\"next\":\(q(r.next))}"
        }
        return "[" + items.joined(separator: ",\n") + "]\n"
    }
}
