import ArgumentParser
import DataflowCore
import Foundation

/// `dataflow export` — a dataset table as RFC 4180 CSV.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Stream a dataset table to CSV (RFC 4180, UTF-8), masking personal data.",
        discussion: """
        Fields marked pii are masked (330782********1234) unless --reveal-pii is given; every export is
        recorded in the warehouse table _dataflow_exports.

        Examples:
          dataflow export market_licenses > licences.csv
          dataflow export service_cases -o cases.csv --encoding utf8-bom     # for Excel / WPS
          dataflow export market_licenses --columns uscc,name --include-deleted
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The dataset to export.")
    var dataset: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout.", valueName: "file"))
    var output: String?

    @Option(help: ArgumentHelp("Comma-separated columns (default: mapped columns and _matter).", valueName: "a,b,c"))
    var columns: String?

    @Flag(help: "Include tombstoned (deleted) rows, with a _deleted column.")
    var includeDeleted = false

    @Flag(help: "Do not mask fields marked pii.")
    var revealPII = false

    @Option(help: "utf8, utf8-bom (Excel/WPS) or gb18030.")
    var encoding: ExportEncoding = .utf8

    func run() throws {
        let project = try global.loadProject()
        guard let ds = project.dataset(named: dataset) else {
            Console.error("unknown dataset '\(dataset)'\(MappingReader.suggestion(dataset, project.datasets.map(\.name))) (datasets: \(project.datasets.map(\.name).joined(separator: ", ")))")
            throw ExitCode(ExitCodes.badConfig)
        }
        var options = TableExporter.Options()
        options.columns = columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) } }
        options.includeDeleted = includeDeleted
        options.revealPII = revealPII
        options.encoding = CSVWriter.Encoding(rawValue: encoding.rawValue) ?? .utf8
        options.target = output ?? "stdout"
        var fd = STDOUT_FILENO
        let partial = output.map { $0 + ".partial" }
        if let partial {
            fd = open(partial, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0o644)
            guard fd >= 0 else {
                Console.error("cannot write \(partial): \(String(cString: strerror(errno)))")
                throw ExitCode(ExitCodes.badConfig)
            }
        }
        do {
            let warehouse = try SQLiteWarehouse(readingFrom: global.warehousePath(project))
            let rows = try TableExporter(db: warehouse.db, dataset: ds).export(to: fd, options: options)
            if let output, let partial {
                close(fd)
                try FileManager.default.moveItemReplacing(from: partial, to: output)
                if !global.quiet { Console.stderr("exported \(rows) rows of \(dataset) to \(output)\n") }
            }
        } catch let error as TableExporter.UsageError {
            if let partial { close(fd); unlink(partial) }
            Console.error(error.message)
            throw ExitCode(ExitCodes.badConfig)
        } catch {
            if let partial { close(fd); unlink(partial) }
            Console.error("export failed: \(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
    }
}

enum ExportEncoding: String, ExpressibleByArgument, CaseIterable {
    case utf8
    case utf8Bom = "utf8-bom"
    case gb18030
}

extension FileManager {
    /// Renames `from` over `to` atomically (rename(2)).
    func moveItemReplacing(from: String, to: String) throws {
        if rename(from, to) != 0 { throw CocoaError(.fileWriteUnknown, userInfo: [NSFilePathErrorKey: to]) }
    }
}
