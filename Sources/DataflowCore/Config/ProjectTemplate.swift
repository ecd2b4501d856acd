import Foundation

/// The files `dataflow init` writes: a minimal, valid county project to start from.
public enum ProjectTemplate {
    /// Why a project could not be created.
    public struct InitError: Error, CustomStringConvertible {
        public var description: String
    }

    /// Writes the template into `root` (created if needed); refuses to overwrite an existing project.
    public static func write(to root: String, countyCode: String, countyName: String) throws -> [String] {
        let fm = FileManager.default
        guard countyCode.count == 6, countyCode.allSatisfy({ $0.isASCII && $0.isNumber }) else {
            throw InitError(description: "--county-code must be a 6-digit GB/T 2260 division code, found '\(countyCode)'")
        }
        if fm.fileExists(atPath: root + "/dataflow.yml") {
            throw InitError(description: "\(root)/dataflow.yml already exists; init never overwrites a project")
        }
        let files: [(String, String)] = [
            ("dataflow.yml", dataflowYML(code: countyCode, name: countyName)),
            ("Mappings/dictionaries/matters.yml", matters),
            ("Mappings/dictionaries/functions.yml", functions),
            ("Mappings/datasets/market_licenses.yml", licences),
        ]
        var written: [String] = []
        for (path, text) in files {
            let full = root + "/" + path
            try fm.createDirectory(atPath: (full as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard !fm.fileExists(atPath: full) else { continue }
            try AtomicFile.write(Data(text.utf8), to: full)
            written.append(path)
        }
        return written
    }

    static func dataflowYML(code: String, name: String) -> String {
        """
        # County project for \(name) (\(code)). Reference: docs/configuration.md
        version: 1
        county: { code: "\(code)", name: \(name) }
        warehouse: sqlite:warehouse/county.db
        mappings: Mappings
        sources:
          province:
            # The sandbox platform (`dataflow-sandbox --port 0`) until the real gateway's credentials arrive.
            base_url: http://127.0.0.1:${SANDBOX_PORT:-8810}
            auth:
              type: zj-irs
              app_key: ${ZJ_APP_KEY:-sandbox-app}
              app_secret: ${ZJ_APP_SECRET:-sandbox-secret}
            envelope:
              success: { path: code, equals: ["00"] }
              message: msg
              errors: { "14": resign, "11": refresh-token, "18": quota }
            rate_limit: 5/s
            timeout: 30s
            retries: 5

        """
    }

    static let matters = """
    # The county's matter catalogue (事项清单): national basic code, type, department, functions, aliases.
    matters:
      - code: "000105001000"
        name: 企业设立登记
        type: 行政许可
        department: 市场监管局
        functions: [SCJG-01]
        aliases: []

    """

    static let functions = """
    # Department functions (职能) from the 三定方案.
    functions:
      - { code: SCJG-01, department: 市场监管局, name: 市场主体登记注册 }

    """

    static let licences = """
    dataset: market_licenses
    title: 企业营业执照信息
    source: province
    provider: 省市场监管局
    update_cycle: daily
    share_type: conditional
    request:
      path: /gateway/api/001003001/dataSharing/licenses.htm
      params: { areaCode: "${county.code}" }
      records: datas.list
      pagination: { type: page, page_param: pageNum, size_param: pageSize, size: 500, total: datas.total }
    incremental: { cursor: UPDATE_TIME, param: startTime, format: "yyyy-MM-dd HH:mm:ss", timezone: Asia/Shanghai, lookback: 10m, sorted: true }
    key: [uscc]
    deleted: { field: DEL_FLAG, equals: "1" }
    matters: { field: SXBM }
    fields:
      uscc:        { from: TYSHXYDM, type: text, check: uscc, required: true }
      name:        { from: QYMC, type: text, transform: [trim] }
      legal_rep:   { from: FDDBR, type: text, pii: true }
      established: { from: CLRQ, type: date, format: yyyyMMdd }
      capital:     { from: ZCZB, type: decimal }

    """
}
