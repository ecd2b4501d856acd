import Foundation
import Testing
@testable import DataflowCore

/// A throwaway project folder for config tests; removed on deinit.
final class TestProject {
    let root: String

    init(config: String = TestProject.defaultConfig, datasets: [String: String] = [:], matters: String? = nil, functions: String? = nil) throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("dataflow-test-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: root + "/Mappings/datasets", withIntermediateDirectories: true)
        try FileManager.default.createDirectory(atPath: root + "/Mappings/dictionaries", withIntermediateDirectories: true)
        try config.write(toFile: root + "/dataflow.yml", atomically: true, encoding: .utf8)
        try (matters ?? TestProject.defaultMatters).write(toFile: root + "/Mappings/dictionaries/matters.yml", atomically: true, encoding: .utf8)
        try (functions ?? TestProject.defaultFunctions).write(toFile: root + "/Mappings/dictionaries/functions.yml", atomically: true, encoding: .utf8)
        for (name, text) in datasets {
            try text.write(toFile: root + "/Mappings/datasets/\(name)", atomically: true, encoding: .utf8)
        }
    }

    deinit { try? FileManager.default.removeItem(atPath: root) }

    /// The error of the example licence dataset with `original` replaced by `replacement`; the
    /// replacement must really change the file.
    static func licencesError(replacing original: String, with replacement: String,
                              sourceLocation: SourceLocation = #_sourceLocation) throws -> ConfigError {
        let broken = licences.replacingOccurrences(of: original, with: replacement)
        #expect(broken != licences, "'\(original)' is not in the example", sourceLocation: sourceLocation)
        let p = try TestProject(datasets: ["licences.yml": broken])
        let error = try #require(throws: ConfigError.self, sourceLocation: sourceLocation) { try p.load() }
        #expect(error.position != nil, "\(error)", sourceLocation: sourceLocation)
        return error
    }

    func load(environment: [String: String] = [:]) throws -> ProjectConfig {
        try ProjectLoader(environment: environment).load(root: root)
    }

    static let defaultConfig = """
    version: 1
    county: { code: "330782", name: 义乌市 }
    warehouse: sqlite:warehouse/county.db
    sources:
      province:
        base_url: http://127.0.0.1:9
        auth: { type: zj-irs, app_key: ${APP_KEY:-key}, app_secret: ${APP_SECRET:-secret} }
        envelope:
          success: { path: code, equals: ["00"] }
          message: msg
          errors: { "14": resign, "11": refresh-token, "18": quota }
    """

    static let defaultMatters = """
    matters:
      - code: "000105001000"
        name: 企业设立登记
        type: 行政许可
        department: 市场监管局
        functions: [SCJG-01]
        aliases: ["1133078202000000864302320094001"]
    """

    static let defaultFunctions = """
    functions:
      - { code: SCJG-01, department: 市场监管局, name: 市场主体登记注册 }
    """

    static let licences = """
    dataset: market_licenses
    title: 企业营业执照信息
    source: province
    request:
      path: /licenses.htm
      params: { areaCode: "${county.code}" }
      records: datas.list
      pagination: { type: page, size: 100, total: datas.total }
    incremental: { cursor: UPDATE_TIME, param: startTime, lookback: 10m, sorted: true }
    key: [uscc]
    deleted: { field: DEL_FLAG, equals: "1" }
    matters: { field: SXBM }
    fields:
      uscc:        { from: TYSHXYDM, type: text, check: uscc, required: true }
      name:        { from: QYMC, type: text, transform: [trim] }
      legal_rep:   { from: FDDBR, type: text, pii: true }
      established: { from: CLRQ, type: date, format: yyyyMMdd }
      capital:     { from: ZCZB, type: decimal }
      staff:       { from: RS, type: int }
      updated_at:  { from: UPDATE_TIME, type: datetime }
    """
}
