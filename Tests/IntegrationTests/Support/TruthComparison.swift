import DataflowCore
import Foundation
import Testing

/// What the warehouse should hold for one dataset, derived from the sandbox's truth.
struct ExpectedDataset {
    var rows: [String: (hash: String, deleted: Bool)] = [:]
    var rejectedRecords: Set<String> = []
    var truthCount = 0
}

/// What the warehouse holds for one dataset.
struct WarehouseDataset {
    var rows: [String: (hash: String, deleted: Bool)] = [:]
    var duplicateKeys = 0
    var openRejects: Set<String> = []
}

enum TruthComparison {
    static let sandboxName = ["market_licenses": "licenses", "service_cases": "cases"]

    static func expected(_ project: CountyProject, dataset: String) throws -> ExpectedDataset {
        let config = try project.config()
        guard let ds = config.dataset(named: dataset) else { throw Sandbox.StartError(description: "no dataset \(dataset)") }
        let mapper = RecordMapper(dataset: ds, dictionaries: config.dictionaries)
        var expected = ExpectedDataset()
        let sandboxDataset = sandboxName[dataset] ?? (dataset.hasPrefix("licenses_") ? "licenses" : dataset.hasPrefix("cases_") ? "cases" : dataset)
        for record in try project.sandbox.truth(sandboxDataset) {
            expected.truthCount += 1
            switch mapper.map(record) {
            case .row(let row): expected.rows[row.key] = (row.hash, row.deleted)
            case .rejected: expected.rejectedRecords.insert(record.serialized())
            }
        }
        return expected
    }

    static func actual(_ project: CountyProject, dataset: String, in warehouse: WarehouseReader? = nil) throws -> WarehouseDataset {
        let db = try warehouse ?? project.reader()
        var actual = WarehouseDataset()
        try db.forEachRow("SELECT _key, _hash, _deleted FROM \(dataset)", []) { row in
            let key = row.text(0) ?? ""
            if actual.rows[key] != nil { actual.duplicateKeys += 1 }
            actual.rows[key] = (row.text(1) ?? "", row.int(2) != 0)
        }
        try db.forEachRow("SELECT record FROM _dataflow_rejects WHERE dataset = ? AND resolved_at IS NULL", [.text(dataset)]) { row in
            actual.openRejects.insert(row.text(0) ?? "")
        }
        return actual
    }

    /// Checks the warehouse equals the truth: same keys, same content hashes, same tombstones, every
    /// invalid record in quarantine and none of them in the table.
    /// `warehouse`: a warehouse opened in process (default: the project's, as the binary wrote it).
    static func expectEqual(_ project: CountyProject, dataset: String, in warehouse: WarehouseReader? = nil,
                            sourceLocation: SourceLocation = #_sourceLocation) throws {
        let expected = try expected(project, dataset: dataset)
        let actual = try actual(project, dataset: dataset, in: warehouse)
        #expect(actual.duplicateKeys == 0, sourceLocation: sourceLocation)
        #expect(actual.rows.count == expected.rows.count, "\(dataset): \(actual.rows.count) rows, truth has \(expected.rows.count)", sourceLocation: sourceLocation)
        var mismatches: [String] = []
        for (key, want) in expected.rows {
            guard let got = actual.rows[key] else { mismatches.append("missing \(key)"); continue }
            if got.hash != want.hash || got.deleted != want.deleted { mismatches.append("differs \(key) deleted=\(got.deleted)/\(want.deleted)") }
        }
        #expect(mismatches.isEmpty, "\(dataset): \(mismatches.count) mismatches, first: \(mismatches.prefix(5))", sourceLocation: sourceLocation)
        let missingRejects = expected.rejectedRecords.subtracting(actual.openRejects)
        #expect(missingRejects.isEmpty, "\(dataset): \(missingRejects.count) invalid records not in _dataflow_rejects", sourceLocation: sourceLocation)
        #expect(expected.rows.count + expected.rejectedRecords.count == expected.truthCount, sourceLocation: sourceLocation)
    }
}
