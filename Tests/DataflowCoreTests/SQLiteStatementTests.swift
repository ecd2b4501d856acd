import Testing
@testable import DataflowCore
import LoopbackGateway

/// `SQLiteStatement.bindInPlace` hands SQLite text that lies in the statement's own buffer: every
/// value must still arrive exactly, whether its round fitted the buffer or not, and a value
/// bound in an earlier round must never show through in a later one.
@Suite("SQLite statements")
struct SQLiteStatementTests {
    @Test func textBoundInPlaceArrivesExactlyInEveryRound() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.exec("CREATE TABLE t (round INTEGER, a TEXT, b TEXT, c TEXT, d)")
        let insert = try db.prepare("INSERT INTO t VALUES (?, ?, ?, ?, ?)")
        var g = SeededGenerator(seed: 5)
        let pieces = ["", "a", "张三", "义乌市远宏电子商务有限公司", "e\u{301}", "\u{0}x", String(repeating: "长", count: 700)]
        var expected: [[String?]] = []
        // Rounds of growing and shrinking size: the first binds by copy and sizes the buffer, a larger
        // one overflows it again, a value beyond the buffer's limit is always bound by copy.
        for round in 0..<400 {
            let size = round == 200 ? SQLiteStatement.arenaLimit + 10 : Int.random(in: 0...(round < 100 ? 3 : 12), using: &g)
            func text() -> String? {
                if Int.random(in: 0..<8, using: &g) == 0 { return nil }
                if round == 200 { return String(repeating: "x", count: size) }
                return (0..<size).map { _ in pieces.randomElement(using: &g) ?? "" }.joined()
            }
            let row = [text(), text(), text()]
            try insert.clear()
            try insert.bindInPlace(.integer(Int64(round)), at: 1)
            for (i, value) in row.enumerated() { try insert.bindInPlace(value.map(CellValue.text) ?? .null, at: Int32(i + 2)) }
            try insert.bindInPlace(.integer(7), at: 5)
            try insert.execute()
            expected.append(row)
        }
        let read = try db.prepare("SELECT a, b, c, d FROM t ORDER BY round")
        var round = 0
        while try read.step() {
            #expect([read.text(0), read.text(1), read.text(2)] == expected[round], "round \(round)")
            #expect(read.text(3) == "7")
            round += 1
        }
        #expect(round == 400)
    }

    /// Several rows bound in one statement (the change feed's 50-row inserts) share the buffer.
    @Test func manyRowsInOneStatementKeepTheirOwnText() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.exec("CREATE TABLE c (run_id INTEGER, dataset TEXT, key TEXT, op TEXT, hash TEXT, at TEXT)")
        var rows: [[CellValue]] = []
        for i in 0..<237 {
            rows.append([.integer(Int64(i)), .text("market_licenses"), .text("91330782\(i)ABCDEF"), .text(["I", "U", "D"][i % 3]),
                         .text(String(repeating: "\(i % 10)", count: 32)), .text("2026-12-01T23:0\(i % 10):00Z")])
        }
        for _ in 0..<3 { try db.insertRows(into: "c", columns: DatasetApplier.changeColumns, rows: rows) }
        var seen: [[CellValue]] = []
        let read = try db.prepare("SELECT run_id, dataset, key, op, hash, at FROM c ORDER BY rowid")
        while try read.step() {
            seen.append([.integer(read.int(0))] + (1...5).map { CellValue.text(read.text($0) ?? "<null>") })
        }
        #expect(seen == rows + rows + rows)
    }

    /// The feed's statements name the page's run, dataset and time once (`?1`, `?2`, `?3`): every
    /// entry must still carry them, with its own key, op and hash, in order, for any page size
    /// (whole 50-row statements, single-row ones after them, or both).
    @Test func changeEntriesCarryThePagesRunDatasetAndTime() throws {
        let db = try SQLiteDatabase(path: ":memory:")
        try db.exec("""
            CREATE TABLE _dataflow_changes (seq INTEGER PRIMARY KEY AUTOINCREMENT, run_id INTEGER NOT NULL, dataset TEXT NOT NULL,
                key TEXT NOT NULL, op TEXT NOT NULL, hash TEXT NOT NULL, at TEXT NOT NULL)
            """)
        var g = SeededGenerator(seed: 12)
        var expected: [[String?]] = []
        for (page, size) in [0, 1, 49, 50, 51, 100, 137].enumerated() {
            let changes = (0..<size).map { i in
                ChangeEntry(key: i % 7 == 0 ? "张三\(i)" : "91330782\(page)-\(i)", op: ["I", "U", "D"][Int.random(in: 0..<3, using: &g)],
                            hash: String(repeating: "\(i % 10)", count: Int.random(in: 1...64, using: &g)))
            }
            let at = "2026-12-02T0\(page):00:00Z", dataset = page % 2 == 0 ? "market_licenses" : "服务事项"
            try db.insertChanges(runID: Int64(page + 1), dataset: dataset, at: at, changes)
            expected += changes.map { [String(page + 1), dataset, $0.key, $0.op, $0.hash, at] }
        }
        var seen: [[String?]] = []
        let read = try db.prepare("SELECT run_id, dataset, key, op, hash, at FROM _dataflow_changes ORDER BY seq")
        while try read.step() { seen.append((0..<6).map { read.text($0) }) }
        #expect(seen.count == 388)
        #expect(seen == expected)
    }
}
