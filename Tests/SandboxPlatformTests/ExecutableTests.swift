import Foundation
import Testing

/// The built `dataflow-sandbox` next to the test bundle's package, if `swift build` produced it.
private let sandboxExecutable: URL? = {
    let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    let candidates = [".build/debug/dataflow-sandbox", ".build/release/dataflow-sandbox"].map { packageRoot.appendingPathComponent($0) }
    return candidates.first { FileManager.default.isExecutableFile(atPath: $0.path) }
}()

@Suite("dataflow-sandbox executable", .enabled(if: sandboxExecutable != nil, "build the dataflow-sandbox product first"))
struct ExecutableTests {
    private func run(_ arguments: [String]) throws -> (process: Process, stdout: Pipe, stderr: Pipe) {
        let process = Process()
        process.executableURL = sandboxExecutable
        process.arguments = arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        try process.run()
        return (process, stdout, stderr)
    }

    @Test func printsTheListeningLineWritesThePortFileAndStopsOnSIGTERM() throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-port-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let (process, stdout, _) = try run(["--port", "0", "--rows", "50", "--case-rows", "20", "--seed", "9", "--port-file", portFile.path])
        defer {
            // Never leave a server behind, even when an expectation above threw.
            if process.isRunning {
                process.terminate()
                process.waitUntilExit()
            }
        }
        var line = Data()
        while !line.contains(UInt8(ascii: "\n")) {
            let chunk = stdout.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            line.append(chunk)
        }
        let text = String(decoding: line, as: UTF8.self)
        let match = try #require(text.firstMatch(of: /dataflow-sandbox: listening on http:\/\/127\.0\.0\.1:(\d+) \(rows=50 case-rows=20 seed=9\)\n/))
        let port = try #require(Int(match.1))
        #expect(try String(contentsOf: portFile, encoding: .utf8) == "\(port)\n")
        let stats = try TestHTTPConnection(port: port).send("GET", "/_control/stats", closing: true)
        #expect(stats.status == 200)
        process.terminate()
        process.waitUntilExit()
        #expect(process.terminationReason == .exit)
        #expect(process.terminationStatus == 0)
    }

    /// A test runner may start the sandbox with SIGTERM ignored and blocked (both survive exec);
    /// the sandbox installs its own handler and unblocks it, so a stop request always stops it.
    @Test func stopsOnSIGTERMWhateverDispositionItInherits() throws {
        let portFile = FileManager.default.temporaryDirectory.appendingPathComponent("sandbox-port-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: portFile) }
        let script = """
            import os, signal, subprocess, sys, time
            signal.signal(signal.SIGTERM, signal.SIG_IGN)
            signal.pthread_sigmask(signal.SIG_BLOCK, [signal.SIGTERM])
            p = subprocess.Popen(sys.argv[1:], stdout=subprocess.DEVNULL)
            while not (os.path.exists(sys.argv[-1]) and os.path.getsize(sys.argv[-1]) > 0):
                time.sleep(0.01)
            p.send_signal(signal.SIGTERM)
            try:
                print(p.wait(timeout=60))
            except subprocess.TimeoutExpired:
                p.kill()
                print("still running 60 s after SIGTERM")
            """
        let launcher = Process()
        launcher.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        launcher.arguments = ["python3", "-c", script, try #require(sandboxExecutable).path, "--port", "0", "--rows", "20", "--port-file", portFile.path]
        let out = Pipe()
        launcher.standardOutput = out
        try launcher.run()
        let printed = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        launcher.waitUntilExit()
        #expect(printed == "0\n", "the sandbox's exit status after SIGTERM: \(printed)")
    }

    @Test func helpExitsZeroAndBadFlagsExitTwo() throws {
        let help = try run(["--help"])
        help.process.waitUntilExit()
        #expect(help.process.terminationStatus == 0)
        let helpText = String(decoding: help.stdout.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(helpText.contains("--max-page-size"))

        for arguments in [["--rows", "many"], ["--host", "0.0.0.0"], ["--bogus"], ["--fault-rate", "3"]] {
            let bad = try run(arguments)
            bad.process.waitUntilExit()
            #expect(bad.process.terminationStatus == 2, "\(arguments)")
            let message = String(decoding: bad.stderr.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            #expect(message.hasPrefix("dataflow-sandbox: "))
        }
    }
}
