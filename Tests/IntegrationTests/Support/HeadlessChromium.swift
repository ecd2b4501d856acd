import DataflowCore
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

/// Decodes a PNG with Python's standard library (zlib) and counts pixels by colour, so a test can
/// tell a painted page from a blank one.
struct PNGProbe {
    var width: Int
    var height: Int
    var histogram: [String: Int]

    func count(r: Int, g: Int, b: Int) -> Int { histogram[String(format: "%02x%02x%02x", r, g, b)] ?? 0 }

    static func analyse(_ png: URL) throws -> PNGProbe {
        let script = """
        import json, struct, sys, zlib
        data = open(sys.argv[1], 'rb').read()
        assert data[:8] == b'\\x89PNG\\r\\n\\x1a\\n', 'not a PNG'
        pos, idat, w = 8, b'', 0
        while pos < len(data):
            n, kind = struct.unpack('>I4s', data[pos:pos+8]); body = data[pos+8:pos+8+n]; pos += 12 + n
            if kind == b'IHDR': w, h, depth, ctype = struct.unpack('>IIBB', body[:10])
            elif kind == b'IDAT': idat += body
        assert depth == 8 and ctype in (2, 6), 'unexpected PNG type %d/%d' % (depth, ctype)
        bpp = 3 if ctype == 2 else 4
        raw, stride = zlib.decompress(idat), w * bpp
        prev, hist, i = bytearray(stride), {}, 0
        for y in range(h):
            f = raw[i]; line = bytearray(raw[i+1:i+1+stride]); i += 1 + stride
            for x in range(stride):
                a = line[x-bpp] if x >= bpp else 0; b = prev[x]; c = prev[x-bpp] if x >= bpp else 0
                if f == 1: line[x] = (line[x] + a) & 255
                elif f == 2: line[x] = (line[x] + b) & 255
                elif f == 3: line[x] = (line[x] + (a + b) // 2) & 255
                elif f == 4:
                    p = a + b - c; pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                    line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
            for x in range(0, stride, bpp):
                k = line[x:x+3].hex(); hist[k] = hist.get(k, 0) + 1
            prev = line
        print(json.dumps({'width': w, 'height': h, 'histogram': {k: v for k, v in hist.items() if v >= 50}}))
        """
        let result = try Command.run("/usr/bin/env", ["python3", "-c", script, png.path], in: png.deletingLastPathComponent())
        guard result.status == 0 else { throw TestTools.Missing(description: "cannot decode \(png.path): \(result.stderr)") }
        let parsed = try JSONParser.parse(Array(result.stdout.utf8))
        var histogram: [String: Int] = [:]
        if case .object(let o)? = parsed["histogram"] {
            for (k, v) in o.members { histogram[k] = Int(v.text ?? "") ?? 0 }
        }
        return PNGProbe(width: Int(parsed["width"]?.text ?? "") ?? 0, height: Int(parsed["height"]?.text ?? "") ?? 0, histogram: histogram)
    }
}
