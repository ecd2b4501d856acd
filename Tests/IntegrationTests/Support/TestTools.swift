import Foundation
import Testing

/// External tools the report acceptance tests use: headless Chromium and a throwaway Python
/// virtualenv with rdflib, prometheus-client and jsonschema. `make test` installs both (scripts/test-deps.sh);
/// a test that cannot find one FAILS with what to run — it never skips.
enum TestTools {
    struct Missing: Error, CustomStringConvertible { var description: String }

    /// Chromium: $DATAFLOW_TEST_CHROMIUM, else `chromium` or `chromium-browser` on PATH.
    static func chromium() throws -> String {
        if let explicit = ProcessInfo.processInfo.environment["DATAFLOW_TEST_CHROMIUM"], !explicit.isEmpty { return explicit }
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        for dir in path.split(separator: ":") {
            for name in ["chromium", "chromium-browser"] {
                let candidate = "\(dir)/\(name)"
                if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            }
        }
        if ProcessInfo.processInfo.environment["DATAFLOW_TEST_DEPS"] == "1" {
            throw Missing(description: "make test-deps ran, yet no chromium or chromium-browser is on PATH (\(path)): the install failed")
        }
        throw Missing(description: "headless Chromium not found on PATH (run `make test-deps`, or set DATAFLOW_TEST_CHROMIUM)")
    }

    /// The venv's python at .build/test-venv, created here when missing (pip install from PyPI).
    static func python() throws -> String {
        let venv = Binaries.repositoryRoot.appendingPathComponent(".build/test-venv")
        let python = venv.appendingPathComponent("bin/python").path
        let probe = "import rdflib, prometheus_client, jsonschema"
        if FileManager.default.isExecutableFile(atPath: python),
           (try? Command.run(python, ["-c", probe], in: FileManager.default.temporaryDirectory).status) == 0 {
            return python
        }
        // Several test processes may get here at once: one builds the venv under a file lock.
        let lockPath = Binaries.repositoryRoot.appendingPathComponent(".build/test-venv.lock").path
        let fd = open(lockPath, O_CREAT | O_RDWR | O_CLOEXEC, 0o644)
        guard fd >= 0 else { throw Missing(description: "cannot open \(lockPath)") }
        defer { close(fd) }
        flock(fd, LOCK_EX)
        defer { flock(fd, LOCK_UN) }
        let tmp = FileManager.default.temporaryDirectory
        if (try? Command.run(python, ["-c", probe], in: tmp).status) != 0 {
            let made = try Command.run("/usr/bin/env", ["python3", "-m", "venv", venv.path], in: tmp)
            guard made.status == 0 else { throw Missing(description: "python3 -m venv failed: \(made.stderr)") }
            let pip = try Command.run(venv.appendingPathComponent("bin/pip").path,
                                      ["install", "--quiet", "--disable-pip-version-check", "rdflib", "prometheus-client", "jsonschema"], in: tmp)
            guard pip.status == 0 else { throw Missing(description: "pip install rdflib prometheus-client jsonschema failed: \(pip.stderr)") }
        }
        return python
    }
}

/// Golden files under Fixtures/golden/. `UPDATE_GOLDEN=1 swift test`
/// rewrites them from the current output (review the diff before committing).
enum Golden {
    static let directory = Binaries.repositoryRoot.appendingPathComponent("Fixtures/golden")

    static func check(_ actual: String, _ name: String, sourceLocation: SourceLocation = #_sourceLocation) throws {
        let url = directory.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["UPDATE_GOLDEN"] == "1" {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            try actual.write(to: url, atomically: true, encoding: .utf8)
            return
        }
        guard let expected = try? String(contentsOf: url, encoding: .utf8) else {
            Issue.record("golden file \(url.path) is missing (regenerate with UPDATE_GOLDEN=1)", sourceLocation: sourceLocation)
            return
        }
        if actual != expected {
            let a = actual.components(separatedBy: "\n"), e = expected.components(separatedBy: "\n")
            let line = zip(a, e).enumerated().first { $0.element.0 != $0.element.1 }?.offset ?? min(a.count, e.count)
            Issue.record("""
                \(name) differs from its golden file at line \(line + 1):
                  expected: \(line < e.count ? e[line] : "<end of file>")
                  actual:   \(line < a.count ? a[line] : "<end of file>")
                (if the change is intended, regenerate with UPDATE_GOLDEN=1 and review the diff)
                """, sourceLocation: sourceLocation)
        }
    }
}
