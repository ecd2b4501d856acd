import Foundation

/// "What do we have back, and what is missing?" — catalogue coverage of one county warehouse.
public struct CoverageReport: Sendable, Encodable {
    /// Coverage of a set of matters or functions.
    public struct Ratio: Sendable, Encodable {
        public var total: Int
        public var covered: Int
        public var percent: Double { total == 0 ? 0 : (Double(covered) * 1000 / Double(total)).rounded() / 10 }

        enum CodingKeys: String, CodingKey { case total, covered, percent }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(total, forKey: .total)
            try c.encode(covered, forKey: .covered)
            try c.encode(percent, forKey: .percent)
        }
    }

    /// One department's matters and functions.
    public struct Department: Sendable, Encodable {
        public var department: String
        public var matters: Ratio
        public var functions: Ratio
    }

    /// One matter type's coverage.
    public struct TypeCoverage: Sendable, Encodable {
        public var type: String
        public var matters: Ratio
    }

    /// One dataset's catalogue entry (资源目录 metadata) and health.
    public struct Dataset: Sendable, Encodable {
        public var dataset: String            // 资源代码
        public var catalogue: CatalogueEntry  // the same metadata in the national guide's words
        public var title: String              // 资源名称
        public var provider: String?          // 提供方
        public var source: String
        public var updateCycle: String        // 更新周期
        public var shareType: String          // 共享类型
        public var fields: [Field]            // 信息项
        public var rows: Int
        public var deletedRows: Int
        public var openRejects: Int
        public var lastSuccess: String?
        public var freshness: String          // fresh | stale | never
        public var lastError: String?
        public var watermark: String?
        public var matters: [String]
        public var unresolvedMatterCodes: [String]
        public var unmappedSourceFields: [String]
    }

    /// An information item (信息项): name and type.
    public struct Field: Sendable, Encodable {
        public var name: String
        public var type: String
        public var pii: Bool
    }

    /// A matter with no fresh, non-empty dataset: what to request from the province.
    public struct Gap: Sendable, Encodable {
        public var code: String
        public var name: String
        public var type: String
        public var department: String
        /// Catalogue resources that could carry this matter; present once a catalogue is imported.
        public var sources: [GapSource]? = nil
    }

    /// Bumped only when a key is removed or changes meaning (docs/catalog.md).
    public var schemaVersion = 1
    public var generatedAt: String
    public var county: String
    public var countyCode: String
    public var dictionariesVersion: String
    public var matters: Ratio
    public var functions: Ratio
    public var departments: [Department]
    public var matterTypes: [TypeCoverage]
    public var datasets: [Dataset]
    public var gaps: [Gap]
    /// The county's 需求清单, once a catalogue is imported (`catalog import`).
    public var demand: DemandList? = nil
}
