import Foundation

/// The imported catalogue in the warehouse (`_dataflow_catalogue`, `_dataflow_catalogue_imports`),
/// on either backend through `WarehouseReader`. An import replaces the catalogue in one
/// transaction and reports what was added, changed and withdrawn; withdrawn resources are kept.
///
/// ```swift
/// let report = try CatalogueStore(db: reader).replace(with: resources, file: "省资源目录.xlsx")
/// report.added.count
/// let current = try CatalogueStore(db: reader).resources()
/// ```
public struct CatalogueStore {
    /// What an import changed.
    public struct ImportReport: Sendable {
        public var importID: Int
        public var resources = 0
        public var added: [CatalogueResource] = []
        /// Changed resources with the fields that changed.
        public var changed: [(CatalogueResource, [String])] = []
        public var withdrawn: [CatalogueResource] = []
        public var unchanged = 0
    }

    public let db: WarehouseReader

    public init(db: WarehouseReader) { self.db = db }

    static let columns = "code, name, provider, provider_code, category, summary, items, share_type, share_condition, share_method, open_attribute, update_cycle, published, matters, extra"

    /// Whether the warehouse has the catalogue tables (a warehouse from before the migration has not).
    public func exists() throws -> Bool { try db.tableExists("_dataflow_catalogue") }

    /// The current (not withdrawn) resources, by code; empty when nothing was imported.
    public func resources(includingWithdrawn: Bool = false) throws -> [CatalogueResource] {
        guard try exists() else { return [] }
        var out: [CatalogueResource] = []
        let filter = includingWithdrawn ? "" : " WHERE withdrawn_import IS NULL"
        try db.forEachRow("SELECT \(Self.columns) FROM _dataflow_catalogue\(filter) ORDER BY code", []) { row in
            out.append(Self.resource(row))
        }
        return out
    }

    static func resource(_ row: any WarehouseRow) -> CatalogueResource {
        var r = CatalogueResource(code: row.text(0) ?? "", name: row.text(1) ?? "")
        r.provider = row.text(2) ?? ""
        r.providerCode = row.text(3) ?? ""
        r.category = row.text(4) ?? ""
        r.summary = row.text(5) ?? ""
        if case .array(let items)? = try? JSONParser.parse(Array((row.text(6) ?? "[]").utf8)) {
            r.items = items.map { .init(name: $0["name"]?.text ?? "", type: $0["type"]?.text) }
        }
        r.shareType = ShareType(rawValue: row.text(7) ?? "") ?? .conditional
        r.shareCondition = row.text(8) ?? ""
        r.shareMethod = row.text(9) ?? ""
        r.openAttribute = row.text(10) ?? ""
        r.updateCycle = row.text(11) ?? ""
        r.published = row.text(12) ?? ""
        r.matters = (row.text(13) ?? "").split(separator: ";").map(String.init)
        if case .object(let o)? = try? JSONParser.parse(Array((row.text(14) ?? "{}").utf8)) {
            r.extra = o.members.map { ($0.key, $0.value.text ?? "") }
        }
        return r
    }

    static func bindings(_ r: CatalogueResource) -> [CellValue] {
        let items = "[" + r.items.map { "{\"name\":\(JSONValue.quoted($0.name)),\"type\":\($0.type.map(JSONValue.quoted) ?? "null")}" }.joined(separator: ",") + "]"
        let extra = JSONValue.object(JSONObject(r.extra.map { ($0.0, JSONValue.string($0.1)) })).serialized()
        return [r.code, r.name, r.provider, r.providerCode, r.category, r.summary, items, r.shareType.rawValue, r.shareCondition,
                r.shareMethod, r.openAttribute, r.updateCycle, r.published, r.matters.joined(separator: ";"), extra].map(CellValue.text)
    }

    /// Replaces the catalogue with `resources` in one transaction, keeping withdrawn ones.
    public func replace(with resources: [CatalogueResource], file: String, at: Date = Date()) throws -> ImportReport {
        var previous: [String: (CatalogueResource, Bool)] = [:]
        try db.forEachRow("SELECT \(Self.columns), withdrawn_import FROM _dataflow_catalogue", []) { row in
            let r = Self.resource(row)
            previous[r.code] = (r, !row.isNull(15))
        }
        let id = Int(try db.scalarInt("SELECT coalesce(max(id), 0) + 1 FROM _dataflow_catalogue_imports", []) ?? 1)
        var report = ImportReport(importID: id, resources: resources.count)
        try db.execute("BEGIN", [])
        do {
            let seen = Set(resources.map(\.code))
            for r in resources {
                let old = previous[r.code]
                if let (o, withdrawn) = old, !withdrawn {
                    let diff = r.differences(from: o)
                    if diff.isEmpty { report.unchanged += 1 } else { report.changed.append((r, diff)) }
                } else {
                    report.added.append(r)
                }
                let placeholders = Array(repeating: "?", count: 15).joined(separator: ", ")
                try db.execute("""
                    INSERT INTO _dataflow_catalogue (\(Self.columns), first_import, last_import, withdrawn_import) VALUES (\(placeholders), ?, ?, NULL)
                    ON CONFLICT (code) DO UPDATE SET name = excluded.name, provider = excluded.provider, provider_code = excluded.provider_code,
                        category = excluded.category, summary = excluded.summary, items = excluded.items, share_type = excluded.share_type,
                        share_condition = excluded.share_condition, share_method = excluded.share_method, open_attribute = excluded.open_attribute,
                        update_cycle = excluded.update_cycle, published = excluded.published, matters = excluded.matters, extra = excluded.extra,
                        last_import = excluded.last_import, withdrawn_import = NULL
                    """, Self.bindings(r) + [.integer(Int64(id)), .integer(Int64(id))])
            }
            for (code, (r, withdrawn)) in previous.sorted(by: { $0.key < $1.key }) where !withdrawn && !seen.contains(code) {
                report.withdrawn.append(r)
                try db.execute("UPDATE _dataflow_catalogue SET withdrawn_import = ? WHERE code = ?", [.integer(Int64(id)), .text(code)])
            }
            try db.execute("""
                INSERT INTO _dataflow_catalogue_imports (id, at, file, resources, added, changed, withdrawn, unchanged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, [.integer(Int64(id)), .text(Timestamp.format(at)), .text(file), .integer(Int64(resources.count)),
                      .integer(Int64(report.added.count)), .integer(Int64(report.changed.count)), .integer(Int64(report.withdrawn.count)),
                      .integer(Int64(report.unchanged))])
            try db.execute("COMMIT", [])
        } catch {
            try? db.execute("ROLLBACK", [])
            throw error
        }
        return report
    }
}
