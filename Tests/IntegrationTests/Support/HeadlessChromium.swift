import Foundation

/// Runs headless Chromium on a local file (no CDP): `--dump-dom` for the rendered DOM and
/// `--screenshot` for a PNG, with `--enable-logging=stderr --v=0` so every console message and
/// uncaught exception appears on stderr as `…:CONSOLE…] "message"`, which we collect.
struct HeadlessChromium {
    /// What one Chromium run printed.
    struct Run {
        var output: String
        /// Console lines (any level) and uncaught errors; our pages have no script, so any is a fault.
        var consoleMessages: [String]
    }

    let executable: String
    let profile: URL

    init(root: URL) throws {
        executable = try TestTools.chromium()
        profile = root.appendingPathComponent("chromium-profile-\(UUID().uuidString)")
    }

    func dumpDOM(_ page: URL) throws -> Run {
        try run(["--dump-dom", page.absoluteString], in: page.deletingLastPathComponent())
    }

    /// A screenshot at half scale (a 1280×2400 CSS-pixel window gives a 640×1200 PNG), small
    /// enough for the pure-Python pixel count.
    func screenshot(_ page: URL, to png: URL, width: Int = 1280, height: Int = 2400) throws -> Run {
        try run(["--hide-scrollbars", "--force-device-scale-factor=0.5", "--window-size=\(width),\(height)",
                 "--screenshot=\(png.path)", page.absoluteString],
                in: page.deletingLastPathComponent())
    }

    /// Prints the page to PDF the way a user's "Print" would (A4 from the page's @page rule).
    func printToPDF(_ page: URL, to pdf: URL) throws -> Run {
        try run(["--no-pdf-header-footer", "--print-to-pdf=\(pdf.path)", page.absoluteString], in: page.deletingLastPathComponent())
    }

    private func run(_ arguments: [String], in dir: URL) throws -> Run {
        let args = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--no-first-run",
                    "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0"] + arguments
        let result = try Command.run(executable, args, in: dir)
        guard result.status == 0 else {
            throw TestTools.Missing(description: "chromium exited \(result.status): \(result.stderr.suffix(2000))")
        }
        let console = result.stderr.split(separator: "\n").map(String.init)
            .filter { $0.contains(":CONSOLE") || $0.contains("Uncaught") }
        return Run(output: result.stdout, consoleMessages: console)
    }
}
