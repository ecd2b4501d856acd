import ArgumentParser
import DataflowCore

/// `dataflow catalog` — coverage: what the county has back and what is missing.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Report catalogue coverage by matter, function and department, freshness and the gap list.",
        discussion: """
        A matter is covered when at least one fresh, non-empty dataset holds records of it; a dataset is
        fresh when its last successful sync is within its update_cycle (daily: 36 h, weekly: 8 days…).

        Examples:
          dataflow catalog
          dataflow catalog --format json > coverage.json
          dataflow catalog --fail-under 60        # exit 4 when matter coverage is below 60 %
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "table or json.")
    var format: ReportFormat = .table

    @Option(help: ArgumentHelp("Exit 4 when matter coverage (percent) is below this.", valueName: "pct"))
    var failUnder: Double?

    @Option(help: "Only this department's matters and functions.")
    var department: String?

    @Option(help: "Only this dataset.")
    var dataset: String?

    func validate() throws {
        if let failUnder, !(0...100).contains(failUnder) { throw ValidationError("--fail-under must be between 0 and 100") }
    }

    func run() throws {
        let project = try global.loadProject()
        if let dataset, project.dataset(named: dataset) == nil {
            Console.error("unknown dataset '\(dataset)' (datasets: \(project.datasets.map(\.name).joined(separator: ", ")))")
            throw ExitCode(ExitCodes.badConfig)
        }
        let report: CoverageReport
        do {
            let warehouse = try SQLiteWarehouse(readingFrom: global.warehousePath(project))
            report = try CoverageCalculator(project: project, db: warehouse.db).report(department: department, dataset: dataset)
            Console.out(format == .json ? try CoverageRenderer.json(report) : CoverageRenderer.table(report))
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
        if let failUnder, report.matters.percent < failUnder {
            Console.error("matter coverage \(report.matters.percent)% is below --fail-under \(failUnder)%")
            throw ExitCode(ExitCodes.belowThreshold)
        }
    }
}
