import Foundation
import Testing
@testable import DataflowCore

/// The quarantine in the SQLite warehouse: a source type change never overwrites a good row, and a
/// replay through a fixed mapping loads the record and resolves (but keeps) its reject.
@Suite("Quarantine in the warehouse")
struct QuarantineWarehouseTests {
    final class Warehouse {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("wh-\(UUID().uuidString)")
        let warehouse: SQLWarehouse
        let db: SQLiteDatabase
        init(_ f: MappingFixture) throws {
            try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
            db = try SQLiteDatabase(path: dir.appendingPathComponent("county.db").path)
            warehouse = try SQLWarehouse(dialect: db, purpose: .sync)
            try warehouse.loadDictionaries(f.config.dictionaries)
            try warehouse.prepare(dataset: f.config.datasets[0])
        }
        deinit { try? FileManager.default.removeItem(at: dir) }

        func sync(_ f: MappingFixture, _ records: [JSONValue]) throws -> (Int64, PageCounts) {
            let ds = f.config.datasets[0]
            let run = try warehouse.beginRun(datasets: [ds.name], options: "")
            try warehouse.beginDataset(runID: run, dataset: ds.name)
            var rows: [MappedRow] = [], rejects: [RejectedRecord] = []
            for r in records {
                switch f.mapper.map(r) {
                case .row(let row): rows.append(row)
                case .rejected(let rej): rejects.append(rej)
                }
            }
            let counts = try warehouse.apply(PageBatch(runID: run, dataset: ds, rows: rows, rejects: rejects, unmappedFields: [],
                                                       watermark: nil, fetched: records.count, requests: 1))
            return (run, counts)
        }
    }

    func record(_ id: String, _ name: JSONValue, _ n: String) -> JSONValue {
        .object(JSONObject([("ID", .string(id)), ("NAME", name), ("N", .string(n))]))
    }

    @Test func aTypeChangeQuarantinesAndNeverCorruptsTheRow() throws {
        let f = try MappingFixture(fields: "  name: { from: NAME }\n  n: { from: N, type: int }")
        let w = try Warehouse(f)
        _ = try w.sync(f, [record("1", .string("义乌"), "5")])
        let (_, counts) = try w.sync(f, [record("1", .object(JSONObject([("zh", .string("义乌"))])), "6")])
        #expect(counts.rejected == 1 && counts.updated == 0)
        let db = w.db
        #expect(try db.scalarText("SELECT name FROM things WHERE id = '1'") == "义乌")
        #expect(try db.scalarInt("SELECT n FROM things WHERE id = '1'") == 5)
        let reasons = try db.scalarText("SELECT reasons FROM _dataflow_rejects WHERE key = '1'") ?? ""
        #expect(reasons.contains("\"rule\":\"type:text\""))
        let rejects = try w.warehouse.rejects(dataset: "things", includeResolved: false)
        #expect(rejects.count == 1)
        #expect(rejects.first?.record == record("1", .object(JSONObject([("zh", .string("义乌"))])), "6").serialized())
    }

    @Test func replayThroughAFixedMappingResolvesAndKeepsTheRejects() throws {
        let strictMapping = try MappingFixture(fields: "  name: { from: NAME }\n  n: { from: N, type: int }")
        let w = try Warehouse(strictMapping)
        let (firstRun, counts) = try w.sync(strictMapping, [record("1", .string("a"), "1"), record("2", .string("b"), "二"),
                                                            record("3", .string("c"), "x3")])
        #expect(counts.inserted == 1 && counts.rejected == 2)

        // The fix: strip non-digits, then "二" still fails but "x3" loads.
        let fixed = try MappingFixture(fields: "  name: { from: NAME }\n  n: { from: N, type: int, transform: [{ replace: { pattern: \"[^0-9]\", with: \"\" } }], required: true }")
        let run = try w.warehouse.beginRun(datasets: ["things"], options: "--retry-rejects")
        let outcome = try RejectReplayer(dataset: fixed.config.datasets[0], dictionaries: fixed.config.dictionaries)
            .replay(store: w.warehouse, runID: run)
        #expect(outcome.replayed == 2 && outcome.resolved == 1 && outcome.stillRejected == 1)
        #expect(outcome.counts.inserted == 1)
        let db = w.db
        #expect(try db.scalarInt("SELECT n FROM things WHERE id = '3'") == 3)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_changes WHERE key = '3' AND op = 'I' AND run_id = ?", [.integer(run)]) == 1)
        #expect(try db.scalarInt("SELECT resolved_run_id FROM _dataflow_rejects WHERE key = '3'") == run)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects") == 2, "resolved rejects are kept")
        // Key 2 ("二" → "" → null, and n is now required) still fails, for the current mapping's reason.
        let open = try w.warehouse.rejects(dataset: "things", includeResolved: false)
        #expect(open.map(\.key) == ["2"])
        #expect(open.first?.reasons.contains("\"rule\":\"required\"") == true)
        #expect(try db.scalarInt("SELECT last_run_id FROM _dataflow_rejects WHERE key = '2'") == run)
        #expect(try db.scalarInt("SELECT first_run_id FROM _dataflow_rejects WHERE key = '2'") == firstRun)
        #expect(try w.warehouse.state(of: "things").rows == 2)
    }

    @Test func aCleanRecordOfTheKeyResolvesItsEarlierRejects() throws {
        let f = try MappingFixture(fields: "  name: { from: NAME }\n  n: { from: N, type: int }")
        let w = try Warehouse(f)
        _ = try w.sync(f, [record("1", .string("a"), "1")])
        _ = try w.sync(f, [record("1", .string("a"), "one")])
        #expect(try w.warehouse.rejects(dataset: "things", includeResolved: false).count == 1)
        // The source goes back to the loaded version: unchanged row, but the reject is stale now.
        _ = try w.sync(f, [record("1", .string("a"), "1")])
        #expect(try w.warehouse.rejects(dataset: "things", includeResolved: false).isEmpty)
        #expect(try w.warehouse.rejects(dataset: "things", includeResolved: true).count == 1)
    }
}
