import ArgumentParser
import DataflowCore
import DataflowWarehouses
import Foundation

/// `dataflow draft` — write a dataset's mapping from a sample of its gateway.
struct DraftCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "draft",
        abstract: "Draft a dataset's mapping (types, formats, checks, pii, key, cursor) from a sample of the gateway.",
        discussion: """
        Start with a dataset file that holds only dataset, source and request (or a preset and resource). \
        draft fetches a sample (up to 3 pages or 2,000 records; --sample N reads N records), infers each \
        field's type and format, the checks the sample supports (uscc, citizen-id, division, phone, sex, \
        code tables, enums), personal data, the key (one field, or two or three unique together), the cursor and its request parameter, the deleted flag \
        and the matter field, and writes the rest of the file. Every line carries its evidence as a comment; \
        lines marked CHECK need a human. The draft is loaded back before it is written, so it passes \
        validate. A file that already has fields: is never overwritten unless --force. Nothing is written \
        to the warehouse.

        Column names come from Mappings/glossary.yml (TYSHXYDM → uscc, XM → name, 统一社会信用代码 → uscc …); \
        extend it with your province's abbreviations.

        Examples:
          dataflow draft market_licenses
          dataflow draft market_licenses --dry-run
          dataflow draft market_licenses --sample 5000 --force
          dataflow draft service_cases --from-catalogue 330000-DSJ-0001
        """
    )

    @OptionGroup var global: GlobalOptions

    @Argument(help: ArgumentHelp("The dataset to draft (its dataset: name).", valueName: "dataset"))
    var dataset: String

    @Option(parsing: .unconditional, help: ArgumentHelp("Records to sample (default: up to 3 pages or 2,000 records).", valueName: "n"))
    var sample: Int?

    @Flag(help: "Replace an existing mapping (fields:, key:, incremental: …).")
    var force = false

    @Flag(help: "Print the draft instead of writing the file.")
    var dryRun = false

    @Option(help: ArgumentHelp("Take title, provider, update cycle and share type from this catalogue resource (资源代码, after catalog import); without a sample, its 信息项 become the fields.", valueName: "resource-code"))
    var fromCatalogue: String?

    func validate() throws {
        if let sample, !(1...1_000_000).contains(sample) { throw ValidationError("--sample must be between 1 and 1,000,000") }
    }

    func run() throws {
        let project = try global.loadProject(allowRequestOnly: true)
        let drafter = DatasetDrafter(project: project, environment: ProcessInfo.processInfo.environment)
        var resource: CatalogueResource?
        if let code = fromCatalogue {
            var resources: [CatalogueResource] = []
            do {
                let reader = try WarehouseFactory.standard.open(project.warehouse, purpose: .read)
                resources = try CatalogueStore(db: reader).resources()
                try reader.confirmReadWhole()
            } catch let error as any LocklessReadRefused {
                Console.error("\(error)")
                throw ExitCode(ExitCodes.datasetsFailed)
            } catch {
                resources = []   // no warehouse or no catalogue yet: said below
            }
            guard let found = resources.first(where: { $0.code == code }) else {
                Console.error("no resource \(code) in the imported catalogue\(MappingReader.suggestion(code, resources.map(\.code))) (import it first: dataflow catalog import FILE)")
                throw ExitCode(ExitCodes.badConfig)
            }
            resource = found
        }
        let result: DatasetDrafter.Result
        do {
            // A dry run writes nothing, so it may draft a file that already has fields (the error
            // for such a file suggests it; it was refused all the same).
            result = try drafter.draft(dataset, options: .init(sample: sample, force: force || dryRun, catalogue: resource))
        } catch let error as DatasetDrafter.DraftError {
            Console.error(error.description)
            throw ExitCode(ExitCodes.badConfig)
        } catch let error as ConfigError {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.badConfig)
        } catch {
            Console.error(drafter.redactor.printable("\(dataset): \(error)"))
            throw ExitCode(ExitCodes.datasetsFailed)
        }
        if dryRun {
            Console.out(result.text)
        } else {
            do {
                try AtomicFile.write(Data(result.text.utf8), to: result.path)
            } catch {
                Console.error("cannot write \(result.path): \(error)")
                throw ExitCode(ExitCodes.datasetsFailed)
            }
        }
        if !global.quiet {
            let rate = String(format: "%.2f", 100 * Double(result.quarantined) / Double(max(1, result.sampled)))
            var summary = "\(result.dataset): drafted from \(result.sampled) records (\(result.pages) page(s), \(result.requests) request(s))"
            summary += dryRun ? "; not written (--dry-run)\n" : "; wrote \(result.path)\n"
            summary += "  sample: \(result.mapped) map, \(result.quarantined) would be quarantined (\(rate) %)\n"
            for (reason, count) in result.reasons.prefix(5) { summary += "    \(reason): \(count)\n" }
            if result.checks.isEmpty {
                summary += "  nothing marked CHECK; next: dataflow validate && dataflow check \(result.dataset)\n"
            } else {
                summary += "  \(result.checks.count) line(s) need a human (marked CHECK):\n"
                for line in result.checks { summary += "    \(line.dropFirst(2))\n" }
            }
            Console.info(summary)
        }
    }
}
