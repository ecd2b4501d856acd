import Foundation

/// Computes a `CoverageReport` from warehouse metadata and the dictionaries — never by scanning
/// dataset tables (row counts and per-matter counts are kept in metadata by every page commit).
public struct CoverageCalculator {
    public let project: ProjectConfig
    public let db: WarehouseReader
    public var now: Date = Date()
    /// Stored errors pass it again on the way out (rows written before redaction existed).
    let redactor: Redactor

    public init(project: ProjectConfig, db: WarehouseReader) {
        self.project = project
        self.db = db
        redactor = Redactor(project: project)
    }

    public func report(department: String? = nil, dataset onlyDataset: String? = nil) throws -> CoverageReport {
        var datasets: [CoverageReport.Dataset] = []
        var coveredMatters: Set<String> = []
        for d in project.datasets where onlyDataset == nil || d.name == onlyDataset {
            let entry = try datasetEntry(d)
            if entry.freshness == "fresh" && entry.rows > 0 { coveredMatters.formUnion(entry.matters) }
            datasets.append(entry)
        }
        let dict = project.dictionaries
        let matters = dict.matters.filter { department == nil || $0.department == department }
        let functions = dict.functions.filter { department == nil || $0.department == department }
        let coveredFunctions = Set(dict.matters.filter { coveredMatters.contains($0.code) }.flatMap(\.functions))

        var departments: [CoverageReport.Department] = []
        let names = Array(Set(matters.map(\.department) + functions.map(\.department))).sorted()
        for name in names {
            let ms = matters.filter { $0.department == name }
            let fs = functions.filter { $0.department == name }
            departments.append(.init(department: name,
                                     matters: .init(total: ms.count, covered: ms.filter { coveredMatters.contains($0.code) }.count),
                                     functions: .init(total: fs.count, covered: fs.filter { coveredFunctions.contains($0.code) }.count)))
        }
        var types: [CoverageReport.TypeCoverage] = []
        for type in MatterType.allCases {
            let ms = matters.filter { $0.type == type }
            guard !ms.isEmpty else { continue }
            types.append(.init(type: type.rawValue, matters: .init(total: ms.count, covered: ms.filter { coveredMatters.contains($0.code) }.count)))
        }
        var gaps = matters.filter { !coveredMatters.contains($0.code) }
            .map { CoverageReport.Gap(code: $0.code, name: $0.name, type: $0.type.rawValue, department: $0.department) }
        // With an imported provincial catalogue: where each gap could come from, and the 需求清单.
        let catalogue = CatalogueStore(db: db)
        var demand: DemandList?
        if try catalogue.exists(), (try db.scalarInt("SELECT count(*) FROM _dataflow_catalogue_imports", []) ?? 0) > 0 {
            let finder = GapSources(resources: try catalogue.resources(), dictionaries: dict, datasets: project.datasets)
            let byCode = Dictionary(dict.matters.map { ($0.code, $0) }, uniquingKeysWith: { a, _ in a })
            gaps = gaps.map { gap in
                var g = gap
                g.sources = byCode[gap.code].map(finder.sources(for:)) ?? []
                return g
            }
            demand = DemandList.build(gaps: gaps, finder: finder)
        }
        var report = CoverageReport(
            generatedAt: Timestamp.format(now), county: project.county.name, countyCode: project.county.code,
            dictionariesVersion: dict.version,
            matters: .init(total: matters.count, covered: matters.filter { coveredMatters.contains($0.code) }.count),
            functions: .init(total: functions.count, covered: functions.filter { coveredFunctions.contains($0.code) }.count),
            departments: departments, matterTypes: types, datasets: datasets, gaps: gaps)
        report.demand = demand
        return report
    }

    private func datasetEntry(_ d: DatasetConfig) throws -> CoverageReport.Dataset {
        let name = CellValue.text(d.name)
        var rows = 0, deleted = 0
        var watermark: String?
        try db.forEachRow("SELECT rows, deleted_rows, watermark_text FROM _dataflow_state WHERE dataset = ?", [name]) { state in
            rows = Int(state.int(0)); deleted = Int(state.int(1)); watermark = state.text(2)
        }
        let lastSuccess = try db.scalarText("SELECT max(finished_at) FROM _dataflow_run_datasets WHERE dataset = ? AND status = 'ok'", [name])
        let lastError = try db.scalarText("""
            SELECT error FROM _dataflow_run_datasets WHERE dataset = ? AND status <> 'running' ORDER BY run_id DESC LIMIT 1
            """, [name]).map(redactor.redactingStoredError)
        let openRejects = Int(try db.scalarInt("SELECT count(*) FROM _dataflow_rejects WHERE dataset = ? AND resolved_at IS NULL", [name]) ?? 0)
        var freshness = "never"
        if let lastSuccess, let date = Timestamp.parse(lastSuccess) {
            freshness = now.timeIntervalSince(date) <= d.updateCycle.freshnessWindow ? "fresh" : "stale"
        }
        var matters: [String] = []
        switch d.matters {
        case .fixed(let codes)?: matters = codes
        case .field?:
            try db.forEachRow("SELECT matter FROM _dataflow_dataset_matters WHERE dataset = ? AND rows > 0", [name]) { st in
                if let m = st.text(0) { matters.append(m) }
            }
            matters.sort()   // in Swift: the same order whatever the database's collation
        case nil: break
        }
        var unresolved: [String] = []
        try db.forEachRow("SELECT code FROM _dataflow_unresolved_matters WHERE dataset = ?", [name]) { u in
            if let c = u.text(0) { unresolved.append(c) }
        }
        unresolved.sort()
        var drift: [String] = []
        try db.forEachRow("SELECT field FROM _dataflow_schema WHERE dataset = ? AND mapped = 0", [name]) { s in
            if let f = s.text(0) { drift.append(f) }
        }
        drift.sort()
        return CoverageReport.Dataset(
            dataset: d.name, catalogue: CatalogueEntry(d), title: d.title, provider: d.provider, source: d.source, updateCycle: d.updateCycle.rawValue,
            shareType: d.shareType.rawValue, fields: d.fields.map { .init(name: $0.column, type: $0.type.rawValue, pii: $0.pii) },
            rows: rows, deletedRows: deleted, openRejects: openRejects, lastSuccess: lastSuccess, freshness: freshness,
            lastError: lastError, watermark: watermark, matters: matters, unresolvedMatterCodes: unresolved, unmappedSourceFields: drift)
    }
}
