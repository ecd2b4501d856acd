import ArgumentParser
import DataflowCore
import DataflowWarehouses
import Foundation

/// `dataflow export` — a dataset table, or its change feed, as RFC 4180 CSV or NDJSON.
struct ExportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "export",
        abstract: "Stream a dataset table or its change feed to CSV (RFC 4180) or NDJSON, masking personal data.",
        discussion: """
        Fields marked pii are masked by kind (330782***********9, 138****0001, 张*) unless --reveal-pii is given; every export is \
        recorded in the warehouse table _dataflow_exports (when, user, dataset, rows, columns, masked). A masked export \
        refuses what would tell clear values: _hash of a dataset with personal fields, and --where on a personal column \
        (or on _key when a key column is personal).

        --where COLUMN=VALUE keeps rows whose column equals the value (bound as a parameter, never \
        pasted into SQL); repeat it: several values for one column mean any of them, different \
        columns all of them. --changes-since SEQ streams the change feed after SEQ instead of the \
        table: _seq, _op (I/U/D), _key, _changed_at, _change_run_id, then the row as it is now (the \
        history is what the syncs observed). The last _seq written is printed on stderr (unless \
        --quiet); pass it as the next --changes-since. docs/export.md has the details.

        CSV cells that a spreadsheet would evaluate (beginning with = + - @ TAB or CR) get a \
        leading ' so Excel/WPS shows them as text; negative numbers (-12.5) are left as they are. \
        --raw-cells writes every cell unchanged (for programs, not spreadsheets).

        Examples:
          dataflow export market_licenses > licences.csv
          dataflow export service_cases -o cases.csv --encoding utf8-bom  # Excel/WPS
          dataflow export market_licenses --columns uscc,name --include-deleted
          dataflow export market_licenses --format ndjson --where division=330782
          dataflow export service_cases --where status=办结 --where status=退件
          dataflow export market_licenses --changes-since 0 --format ndjson
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: "The dataset to export.")
    var dataset: String

    @Option(name: .shortAndLong, help: ArgumentHelp("Write to this file instead of stdout (atomically: a new FILE.partial-<random>, then renamed).", valueName: "file"))
    var output: String?

    @Option(help: "csv or ndjson (one JSON object per line).")
    var format: TableExporter.Format = .csv

    @Option(help: ArgumentHelp("Comma-separated columns (default: mapped columns and _matter).", valueName: "a,b,c"))
    var columns: String?

    @Option(name: .customLong("where"), help: ArgumentHelp("Only rows where COLUMN equals VALUE (repeatable).", valueName: "column=value"))
    var filters: [String] = []

    @Option(parsing: .unconditional, help: ArgumentHelp("Stream the change feed after this sequence number instead of the table.", valueName: "seq"))
    var changesSince: Int64?

    @Flag(help: "Include tombstoned (deleted) rows, with a _deleted column.")
    var includeDeleted = false

    @Flag(help: "Do not mask fields marked pii.")
    var revealPII = false

    @Option(help: "utf8, utf8-bom (Excel/WPS) or gb18030 (CSV only).")
    var encoding: CSVWriter.Encoding = .utf8

    @Flag(help: "Write CSV cells raw: no ' before cells beginning with = + - @ TAB or CR (CSV only).")
    var rawCells = false

    /// An output file named for another format than the one written would open as garbage (or
    /// not at all): a CSV in `b.xlsx`, NDJSON in `b.csv`. Other names are left to the user.
    static func checkExtension(of output: String, format: TableExporter.Format) throws {
        let ext = (output as NSString).pathExtension.lowercased()
        if ["xlsx", "xls", "xlsm", "ods", "et"].contains(ext) {
            throw ValidationError("-o \(output): export writes CSV or NDJSON, not a spreadsheet file; write \((output as NSString).deletingPathExtension).csv (Excel and WPS open it; add --encoding utf8-bom for Chinese in Excel)")
        }
        if format == .csv, ["json", "ndjson", "jsonl"].contains(ext) {
            throw ValidationError("-o \(output) names a JSON file but --format is csv; add --format ndjson")
        }
        if format == .ndjson, ["csv", "tsv"].contains(ext) {
            throw ValidationError("-o \(output) names a CSV file but --format is ndjson; leave --format out for CSV")
        }
    }

    func validate() throws {
        if let changesSince, changesSince < 0 { throw ValidationError("--changes-since must be 0 or more (got \(changesSince))") }
        if format == .ndjson && encoding != .utf8 { throw ValidationError("--encoding \(encoding.rawValue) applies to CSV only; NDJSON is always UTF-8") }
        if format == .ndjson && rawCells { throw ValidationError("--raw-cells applies to CSV only; NDJSON values are JSON strings, never formulas") }
        if let output { try Self.checkExtension(of: output, format: format) }
        for f in filters { _ = try parse(f) }
        if let names = columnNames {
            if names.isEmpty { throw ValidationError("--columns names no column (give a comma-separated list, or leave it out for all)") }
            if let repeated = names.first(where: { name in names.filter { $0 == name }.count > 1 }) {
                throw ValidationError("--columns names \(repeated) twice")
            }
        }
    }

    /// `--columns` as names, empty entries dropped (nil without the option).
    private var columnNames: [String]? {
        columns.map { $0.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty } }
    }

    private func parse(_ filter: String) throws -> TableExporter.Filter {
        do { return try TableExporter.Filter.parse(filter) } catch let e as TableExporter.UsageError { throw ValidationError(e.message) }
    }

    func run() throws {
        let project = try global.loadProject()
        guard let ds = project.dataset(named: dataset) else {
            Console.error(project.unknownDatasetMessage(dataset))
            throw ExitCode(ExitCodes.badConfig)
        }
        var options = TableExporter.Options()
        options.format = format
        options.columns = columnNames
        options.includeDeleted = includeDeleted
        options.revealPII = revealPII
        options.rawCells = rawCells
        options.encoding = encoding
        options.filters = try filters.map(parse)
        options.changesSince = changesSince
        options.target = output ?? "stdout"
        var file: AtomicFile.Writer?
        if let output {
            // Never onto the warehouse itself: the rename would replace the database with the export.
            do {
                try project.warehouse.refuseAsOutput(output)
            } catch let error as TableExporter.UsageError {
                Console.error(error.message)
                throw ExitCode(ExitCodes.badConfig)
            }
            // 0600 whatever the umask: an export holds the county's records (docs/security.md, "Files").
            do {
                file = try AtomicFile.Writer(path: output, mode: 0o600, finalCheck: project.warehouse.finalOutputCheck(output))
            } catch let error as AtomicFile.WriteError where error.isUsage {
                Console.error("-o: \(error); nothing was exported")
                throw ExitCode(ExitCodes.badConfig)
            } catch let error as AtomicFile.WriteError {
                Console.error("\(error) (the folder must exist and be writable by this user); nothing was exported")
                throw ExitCode(ExitCodes.datasetsFailed)
            }
        }
        let fd = file?.descriptor ?? STDOUT_FILENO
        do {
            let reader = try WarehouseFactory.standard.open(project.warehouse, purpose: .read)
            let result = try TableExporter(db: reader, dataset: ds).run(to: fd, options: options)
            if let logError = result.logError { Console.error("warning: \(logError)") }
            if let output, let file {
                try file.commit()
                if !global.quiet { Console.info("exported \(result.rows) \(changesSince == nil ? "rows" : "changes") of \(dataset) to \(output)\n") }
            }
            if let since = changesSince, !global.quiet {
                Console.info("last change seq: \(result.lastSeq ?? since) (next: --changes-since \(result.lastSeq ?? since))\n")
            }
        } catch let error as TableExporter.UsageError {
            file?.discard()
            Console.error(error.message)
            throw ExitCode(ExitCodes.badConfig)
        } catch {
            file?.discard()
            Console.error("export failed: \(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
    }
}
