import ArgumentParser
import DataflowCore
import Foundation

/// Options every command takes.
struct GlobalOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The county project folder (holds dataflow.yml and Mappings/).", valueName: "dir"))
    var project: String = "."

    @Flag(name: .shortAndLong, help: "Print only errors.")
    var quiet = false

    @Flag(name: .shortAndLong, help: "Print every page and retry.")
    var verbose = false

    @Option(name: .long, help: ArgumentHelp("Log format on stderr: text or json (one event per line, for cron).", valueName: "format"))
    var logFormat: LogFormat = .text

    /// - Parameter allowRequestOnly: load dataset files that hold only a request (for `draft`).
    func loadProject(allowRequestOnly: Bool = false) throws -> ProjectConfig {
        do {
            var loader = ProjectLoader(environment: ProcessInfo.processInfo.environment)
            loader.allowRequestOnlyDatasets = allowRequestOnly
            let loaded = try loader.load(root: project)
            LogBootstrap.install(format: logFormat, quiet: quiet, redactor: Redactor(project: loaded))
            if !quiet { for warning in loaded.warnings { Console.error("warning: \(warning)") } }
            return loaded
        } catch {
            Console.error("\(error)")
            Console.error("configuration is not valid; nothing was changed")
            throw ExitCode(ExitCodes.badConfig)
        }
    }
}
