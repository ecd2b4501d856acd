import ArgumentParser

/// The `dataflow` command line.
struct DataflowCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "dataflow",
        abstract: "Pull county data back from provincial gateways into a local warehouse (数据回流).",
        discussion: """
        A county project is a folder with dataflow.yml and Mappings/. Typical night:
          dataflow sync --quiet --log-format json     # from cron
          dataflow catalog                            # what we have back, what is missing
          dataflow export market_licenses -o licences.csv

        Exit codes: 0 ok · 1 some datasets failed · 2 bad configuration or usage ·
        3 another run holds the lock · 4 catalog coverage below --fail-under.
        """,
        version: "0.1.0",
        subcommands: [InitCommand.self, ValidateCommand.self, DraftCommand.self, CheckCommand.self, SyncCommand.self, StatusCommand.self, CatalogCommand.self,
                      ExportCommand.self, RejectsCommand.self, SandboxCommand.self, WarehouseCommand.self]
    )
}
