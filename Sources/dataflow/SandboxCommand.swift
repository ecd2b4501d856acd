import ArgumentParser
import Foundation

/// `dataflow sandbox` — runs the bundled sandbox platform (`dataflow-sandbox`, installed beside `dataflow`).
struct SandboxCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sandbox",
        abstract: "Run the sandbox platform: a simulated provincial gateway on loopback (docs/sandbox.md).",
        discussion: """
        Everything after `sandbox` goes to dataflow-sandbox unchanged. Develop a dataset mapping
        against it before the real gateway's credentials arrive.

        Examples:
          dataflow sandbox --port 8810 --rows 5000
          dataflow sandbox --port 0 --port-file /tmp/sandbox.port --rows 100000 --fault-rate 0.05
          dataflow sandbox --port 8810 --latency 150ms     # answer like a far-away gateway
        """
    )

    @Argument(parsing: .allUnrecognized, help: "Options for dataflow-sandbox (listed by `dataflow-sandbox --help` and docs/sandbox.md).")
    var arguments: [String] = []

    static func sandboxExecutable() -> String? {
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        let besideMe = me.deletingLastPathComponent().appendingPathComponent("dataflow-sandbox").path
        if FileManager.default.isExecutableFile(atPath: besideMe) { return besideMe }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            let candidate = "\(dir)/dataflow-sandbox"
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
        }
        return nil
    }

    func run() throws {
        guard let path = Self.sandboxExecutable() else {
            Console.error("dataflow-sandbox was not found beside dataflow or on PATH (make install puts both in the same folder)")
            throw ExitCode(ExitCodes.badConfig)
        }
        // Replace this process, so signals and the exit status are the sandbox's own.
        let argv = ([path] + arguments).map { strdup($0) } + [nil]
        execv(path, argv)
        Console.error("cannot run \(path): \(String(cString: strerror(errno)))")
        throw ExitCode(ExitCodes.datasetsFailed)
    }
}
