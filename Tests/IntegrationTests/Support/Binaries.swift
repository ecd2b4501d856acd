import Foundation

/// Locates the built `dataflow` and `dataflow-sandbox` executables next to the test bundle.
enum Binaries {
    static let directory: URL = {
        let candidates = [
            URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent(),
            repositoryRoot.appendingPathComponent(".build/debug"),
        ]
        for dir in candidates where FileManager.default.isExecutableFile(atPath: dir.appendingPathComponent("dataflow-sandbox").path) {
            return dir
        }
        return candidates[1]
    }()

    static var dataflow: String { directory.appendingPathComponent("dataflow").path }
    static var sandbox: String { directory.appendingPathComponent("dataflow-sandbox").path }

    /// The repository (for Mappings/ and fixtures).
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
}

/// The outcome of running a command to completion.
struct CommandResult {
    var status: Int32
    var stdout: String
    var stderr: String
    var output: String { stdout + stderr }
}

/// Runs executables with output captured in temp files (no pipe can fill up and stall a child).
enum Command {
    static func start(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                      stdout: URL, stderr: URL) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        process.environment = env
        _ = FileManager.default.createFile(atPath: stdout.path, contents: nil)
        _ = FileManager.default.createFile(atPath: stderr.path, contents: nil)
        process.standardOutput = try FileHandle(forWritingTo: stdout)
        process.standardError = try FileHandle(forWritingTo: stderr)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        return process
    }

    static func run(_ executable: String, _ arguments: [String], environment: [String: String] = [:], in dir: URL) throws -> CommandResult {
        let id = UUID().uuidString
        let out = dir.appendingPathComponent("out-\(id).txt"), err = dir.appendingPathComponent("err-\(id).txt")
        let process = try start(executable, arguments, environment: environment, stdout: out, stderr: err)
        process.waitUntilExit()
        defer { try? FileManager.default.removeItem(at: out); try? FileManager.default.removeItem(at: err) }
        return CommandResult(status: process.terminationStatus,
                             stdout: (try? String(contentsOf: out, encoding: .utf8)) ?? "",
                             stderr: (try? String(contentsOf: err, encoding: .utf8)) ?? "")
    }
}
