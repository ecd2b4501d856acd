import ArgumentParser
import DataflowCore
import DataflowWarehouses
import Foundation

/// `dataflow catalog` — coverage: what the county has back and what is missing.
struct CatalogCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Report catalogue coverage by matter, function and department, freshness and the gap list.",
        discussion: """
        A matter is covered when at least one fresh, non-empty dataset holds records of it; a dataset is \
        fresh when its last successful sync is within its update_cycle (daily: 36 h, weekly: 8 days…). \
        Everything is computed from warehouse metadata, never by scanning dataset tables.

        Formats: table (terminal; coloured on a TTY unless NO_COLOR is set), json (stable schema, \
        docs/catalog.md), csv (one table: --csv-table datasets|gaps|departments|types), markdown, \
        html (one self-contained, printable page), dcat (W3C DCAT 3 JSON-LD).

        Examples:
          dataflow catalog
          dataflow catalog --format json > coverage.json
          dataflow catalog --format html -o coverage.html
          dataflow catalog --format csv --csv-table gaps -o gaps.csv
          dataflow catalog --format csv --csv-table demand --encoding utf8-bom -o 需求清单.csv
          dataflow catalog --format csv --encoding utf8-bom -o catalogue.csv
          dataflow catalog --format dcat > catalog.jsonld
          dataflow catalog --department 市场监管局
          dataflow catalog --fail-under 60     # exit 4 below 60 % coverage
          dataflow catalog import 省资源目录.xlsx  # the provincial resource catalogue (see catalog import --help)
        """,
        subcommands: [CatalogImportCommand.self]
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: "table, json, csv, markdown, html or dcat.")
    var format: CatalogFormat = .table

    @Option(help: "With --format csv: datasets, gaps, departments, types or demand (the 需求清单, after catalog import).")
    var csvTable: CoverageCSVRenderer.Table?

    @Option(help: "With --format csv: utf8, utf8-bom (Excel/WPS) or gb18030.")
    var encoding: CSVWriter.Encoding = .utf8

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?

    @Option(parsing: .unconditional, help: ArgumentHelp("Exit 4 when matter coverage (percent) is below this.", valueName: "pct"))
    var failUnder: Double?

    @Option(help: "Only this department's matters and functions.")
    var department: String?

    @Option(help: "Only this dataset.")
    var dataset: String?

    func validate() throws {
        if encoding != .utf8 && format != .csv { throw ValidationError("--encoding applies to --format csv only") }
        if let csvTable, format != .csv { throw ValidationError("--csv-table \(csvTable.rawValue) applies to --format csv only") }
        if let failUnder, !(0...100).contains(failUnder) { throw ValidationError("--fail-under must be between 0 and 100") }
    }

    func run() throws {
        let project = try global.loadProject()
        if let dataset, project.dataset(named: dataset) == nil {
            Console.error(project.unknownDatasetMessage(dataset))
            throw ExitCode(ExitCodes.badConfig)
        }
        if let department {
            let known = Set(project.dictionaries.matters.map(\.department) + project.dictionaries.functions.map(\.department)).sorted()
            if !known.contains(department) {
                Console.error("unknown department '\(department)' (departments in the dictionaries: \(known.joined(separator: ", ")))")
                throw ExitCode(ExitCodes.badConfig)
            }
        }
        if let output {
            do {
                try project.warehouse.refuseAsOutput(output, writing: "catalogue", nothing: "nothing was written")
            } catch {
                Console.error("\(error)")
                throw ExitCode(ExitCodes.badConfig)
            }
        }
        let report: CoverageReport
        do {
            let reader = try WarehouseFactory.standard.open(project.warehouse, purpose: .read)
            report = try CoverageCalculator(project: project, db: reader).report(department: department, dataset: dataset)
            try reader.confirmReadWhole()
            let bytes: Data
            if format == .csv, csvTable == .demand, report.demand == nil {
                Console.error("no provincial catalogue imported yet: the 需求清单 is built from it (dataflow catalog import FILE)")
                throw ExitCode(ExitCodes.badConfig)
            }
            if format == .csv {
                let csv = CoverageCSVRenderer.render(report, table: csvTable ?? .datasets)
                bytes = try CoverageCSVRenderer.encode(csv, encoding: encoding)
            } else {
                let toTerminal = output == nil && isatty(STDOUT_FILENO) == 1
                let colour = TerminalColour(enabled: TerminalColour.shouldUse(isTerminal: toTerminal, environment: ProcessInfo.processInfo.environment))
                bytes = Data(try format.render(report, colour: colour).utf8)
            }
            if let output {
                try AtomicFile.write(bytes, to: output,
                                     finalCheck: project.warehouse.finalOutputCheck(output, writing: "catalogue", nothing: "nothing was written"))
            } else {
                FileHandle.standardOutput.write(bytes)
            }
        } catch let exit as ExitCode {
            throw exit   // said already (no catalogue imported for the 需求清单: exit 2)
        } catch let error as AtomicFile.WriteError where error.isUsage {
            Console.error("-o: \(error); nothing was written")
            throw ExitCode(ExitCodes.badConfig)
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

// The core's own enums are the options (no mirror enums, no fallbacks): their raw values are the
// spellings on the command line, and argument-parser lists them in --help and in its errors.
extension CatalogFormat: ExpressibleByArgument {}
extension CoverageCSVRenderer.Table: ExpressibleByArgument {}
extension CSVWriter.Encoding: ExpressibleByArgument {}
extension TableExporter.Format: ExpressibleByArgument {}
