import ArgumentParser
import DataflowCore

/// `dataflow validate` — check the project without touching any gateway or the warehouse.
struct ValidateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "validate",
        abstract: "Check dataflow.yml and Mappings/ and report every problem with file:line:column.",
        discussion: """
        Checks every key (unknown ones get a did-you-mean), types, checks, transforms, code tables
        (Mappings/codes), matter codes and the functions they name, key columns, duplicate keys,
        and that table and column names are safe SQL names (not _-prefixed, not SQL keywords).

        Examples:
          dataflow validate
          dataflow validate --project /srv/county
        Exit code 2 when anything is wrong; each problem is printed as FILE:LINE:COLUMN: message.
        Warnings (exit code 0) point at mappings that load but may not mean what they say, such as
        a date field whose `N/A` silently becomes NULL (docs/mapping.md).
        """
    )

    @OptionGroup var global: GlobalOptions

    func run() throws {
        let project = try global.loadProject()
        if !global.quiet { for warning in MappingLint.warnings(project) { Console.error("warning: \(warning)") } }
        if !global.quiet {
            let d = project.dictionaries
            Console.out("ok: \(project.sources.count) sources, \(project.datasets.count) datasets, \(d.matters.count) matters, \(d.functions.count) functions (dictionaries \(d.version)), \(d.codes.tables.count) code tables; warehouse \(project.warehouse)\n")
        }
    }
}
