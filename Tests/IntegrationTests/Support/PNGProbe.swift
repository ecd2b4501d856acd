import DataflowCore
import Foundation

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
