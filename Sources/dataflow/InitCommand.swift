import ArgumentParser
import DataflowCore

/// `dataflow init` — start a county project folder.
struct InitCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init",
        abstract: "Create a county project (dataflow.yml, Mappings/) to start from.",
        discussion: """
        The new project points at the sandbox platform and validates as it is; replace the
        dictionaries and dataset files with the county's own. It also gets the glossary `draft`
        names columns with, the catalogue's column labels, the GB/T 2260 snapshot and the example
        code tables (Mappings/glossary.yml, catalogue.yml, codes/). Existing files are never
        overwritten.

        Examples:
          dataflow init /srv/county --county-code 330782 --county-name 义乌市
          cd /srv/county && dataflow validate
        """
    )

    @Argument(help: "The folder to create (default: the current folder).")
    var directory: String = "."

    @Option(help: "The county's 6-digit GB/T 2260 division code.")
    var countyCode: String

    @Option(help: "The county's name.")
    var countyName: String

    func run() throws {
        do {
            let written = try ProjectTemplate.write(to: directory, countyCode: countyCode, countyName: countyName)
            Console.out(written.map { "created \(directory)/\($0)\n" }.joined())
            Console.out("next: cd \(directory) && dataflow validate\n")
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.badConfig)
        }
    }
}
