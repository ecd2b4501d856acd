import DataflowCore
import Foundation

/// A county project and warehouse built the same way every time, for golden-file tests of the
/// catalogue: fixed dictionaries and datasets, metadata rows with fixed timestamps, and a fixed
/// `now`. Nothing here depends on the repository's Mappings/ (which other work may change).
final class FixedWarehouse {
    /// 2026-11-29T12:00:00Z: the report's clock.
    static let now = Date(timeIntervalSince1970: 1_795_953_600)

    let root: URL
    let project: ProjectConfig
    let warehouse: SQLWarehouse
    /// The same SQLite file, for filling it and for SQLite-only checks.
    let db: SQLiteDatabase

    var warehousePath: String { root.appendingPathComponent("warehouse/county.db").path }

    init() throws {
        root = FileManager.default.temporaryDirectory.appendingPathComponent("fixed-county-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/dictionaries"), withIntermediateDirectories: true)
        try Self.config.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        try Self.matters.write(to: root.appendingPathComponent("Mappings/dictionaries/matters.yml"), atomically: true, encoding: .utf8)
        try Self.functions.write(to: root.appendingPathComponent("Mappings/dictionaries/functions.yml"), atomically: true, encoding: .utf8)
        for (name, text) in Self.datasets {
            try text.write(to: root.appendingPathComponent("Mappings/datasets/\(name).yml"), atomically: true, encoding: .utf8)
        }
        project = try ProjectLoader(environment: [:]).load(root: root.path)
        try fm.createDirectory(at: root.appendingPathComponent("warehouse"), withIntermediateDirectories: true)
        db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        warehouse = try SQLWarehouse(dialect: db, purpose: .sync)
        try warehouse.loadDictionaries(project.dictionaries)
        for d in project.datasets { try warehouse.prepare(dataset: d) }
        try fill(db)
    }

    deinit { try? FileManager.default.removeItem(at: root) }

    /// The catalogue report at the fixed clock.
    func report(department: String? = nil, dataset: String? = nil) throws -> CoverageReport {
        var calculator = CoverageCalculator(project: project, db: warehouse)
        calculator.now = Self.now
        return try calculator.report(department: department, dataset: dataset)
    }

    private func fill(_ db: SQLiteDatabase) throws {
        try db.exec("""
            UPDATE _dataflow_state SET updated_at = '2026-11-29T02:00:10Z';
            UPDATE _dataflow_schema SET first_seen = '2026-11-01T02:00:00Z', last_seen = '2026-11-29T02:00:10Z';
            UPDATE _dataflow_state SET rows = 1200, deleted_rows = 12, watermark_text = '2026-11-29 09:58:00' WHERE dataset = 'market_licenses';
            UPDATE _dataflow_state SET rows = 1500, deleted_rows = 0, watermark_text = '2026-11-25 09:59:00' WHERE dataset = 'service_cases';
            UPDATE _dataflow_state SET rows = 40, deleted_rows = 1, watermark_text = '2026-11-25 08:00:00' WHERE dataset = 'job_centres';
            INSERT INTO _dataflow_runs (run_id, started_at, finished_at, status, exit_code, datasets) VALUES
              (1, '2026-11-25T02:00:00Z', '2026-11-25T02:03:00Z', 'failed', 1, 'market_licenses,service_cases,job_centres,relief_payments'),
              (2, '2026-11-29T02:00:00Z', '2026-11-29T02:02:00Z', 'failed', 1, 'market_licenses,service_cases,relief_payments');
            INSERT INTO _dataflow_run_datasets (run_id, dataset, status, started_at, finished_at, fetched, inserted, updated, unchanged, deleted, rejected, pages, requests, seconds, error) VALUES
              (1, 'market_licenses', 'ok', '2026-11-25T02:00:00Z', '2026-11-25T02:01:00Z', 1210, 1210, 0, 0, 0, 3, 3, 4, 60.0, NULL),
              (1, 'service_cases', 'ok', '2026-11-25T02:01:00Z', '2026-11-25T02:02:30Z', 1500, 1500, 0, 0, 0, 0, 3, 4, 90.0, NULL),
              (1, 'job_centres', 'ok', '2026-11-25T02:02:30Z', '2026-11-25T02:02:40Z', 41, 41, 0, 0, 1, 0, 1, 2, 10.0, NULL),
              (1, 'relief_payments', 'failed', '2026-11-25T02:02:40Z', '2026-11-25T02:03:00Z', 0, 0, 0, 0, 0, 0, 0, 1, 20.0, 'gateway error code 18: quota exceeded'),
              (2, 'market_licenses', 'ok', '2026-11-29T02:00:00Z', '2026-11-29T02:00:10Z', 24, 2, 10, 0, 12, 0, 1, 2, 10.0, NULL),
              (2, 'service_cases', 'failed', '2026-11-29T02:00:10Z', '2026-11-29T02:01:40Z', 0, 0, 0, 0, 0, 0, 0, 6, 90.0, 'HTTP 503 from /serviceCases.htm, after 5 retries'),
              (2, 'relief_payments', 'failed', '2026-11-29T02:01:40Z', '2026-11-29T02:02:00Z', 0, 0, 0, 0, 0, 0, 0, 1, 20.0, 'gateway error code 18: quota exceeded');
            INSERT INTO _dataflow_dataset_matters (dataset, matter, rows) VALUES
              ('market_licenses', '000105001000', 800), ('market_licenses', '000105002000', 400), ('market_licenses', '000105003000', 0),
              ('service_cases', '000105001000', 1000), ('service_cases', '001105001000', 500);
            INSERT INTO _dataflow_unresolved_matters (dataset, code, first_seen, last_seen) VALUES
              ('market_licenses', '000105999000', '2026-11-25T02:00:30Z', '2026-11-29T02:00:05Z');
            INSERT INTO _dataflow_schema (dataset, field, mapped, first_seen, last_seen) VALUES
              ('market_licenses', 'JYFW', 0, '2026-11-29T02:00:05Z', '2026-11-29T02:00:05Z');
            INSERT INTO job_centres (centre_id, name, services, _key, _hash, _deleted, _first_seen, _last_seen, _run_id, _matter, _matter_code) VALUES
              ('JC001', '稠城街道零工市场', '{"days":["一","三"],"desk":2}', 'JC001', 'h', 0, '2026-11-25T02:02:35Z', '2026-11-25T02:02:35Z', 1, '001105001000', NULL),
              ('JC002', '佛堂镇就业服务站', NULL, 'JC002', 'h', 0, '2026-11-25T02:02:35Z', '2026-11-25T02:02:35Z', 1, '001105001000', NULL),
              ('JC003', '旧数据', 'not json', 'JC003', 'h', 0, '2026-11-25T02:02:35Z', '2026-11-25T02:02:35Z', 1, '001105001000', NULL);
            INSERT INTO _dataflow_rejects (dataset, key, record, record_hash, reasons, first_run_id, last_run_id, first_seen, last_seen, resolved_at, resolved_run_id) VALUES
              ('market_licenses', '91330782MA0000001X', '{}', 'h1', '[]', 1, 2, '2026-11-25T02:00:30Z', '2026-11-29T02:00:05Z', NULL, NULL),
              ('market_licenses', '91330782MA0000002X', '{}', 'h2', '[]', 1, 1, '2026-11-25T02:00:30Z', '2026-11-25T02:00:30Z', NULL, NULL),
              ('market_licenses', '91330782MA0000003X', '{}', 'h3', '[]', 1, 1, '2026-11-25T02:00:30Z', '2026-11-25T02:00:30Z', '2026-11-29T02:00:05Z', 2);
            """)
    }

    static let config = """
    version: 1
    county: { code: "330782", name: 义乌市 }
    warehouse: sqlite:warehouse/county.db
    sources:
      province:
        base_url: http://127.0.0.1:9
        auth: { type: none }
        envelope:
          success: { path: code, equals: ["00"] }
          message: msg
    """

    static let functions = """
    functions:
      - { code: SCJG-01, department: 市场监管局, name: 市场主体登记注册 }
      - { code: SCJG-02, department: 市场监管局, name: 市场监督检查 }
      - { code: RS-01, department: 人力社保局, name: 就业服务 }
      - { code: MZ-01, department: 民政局, name: 社会救助 }
      - { code: WJ-01, department: 卫生健康局, name: 医疗机构管理 }
    """

    static let matters = """
    matters:
      - { code: "000105001000", name: 企业设立登记, type: 行政许可, department: 市场监管局, functions: [SCJG-01] }
      - { code: "000105002000", name: 企业变更登记, type: 行政许可, department: 市场监管局, functions: [SCJG-01] }
      - { code: "000105003000", name: 企业注销登记, type: 行政许可, department: 市场监管局, functions: [SCJG-01] }
      - { code: "000205001000", name: 市场主体监督检查, type: 行政检查, department: 市场监管局, functions: [SCJG-02] }
      - { code: "001105001000", name: 就业登记, type: 公共服务, department: 人力社保局, functions: [RS-01] }
      - { code: "001105002000", name: "失业登记 <含补发>", type: 公共服务, department: 人力社保局, functions: [RS-01] }
      - { code: "000605001000", name: 最低生活保障金给付, type: 行政给付, department: 民政局, functions: [MZ-01] }
      - { code: "000114001000", name: 医疗机构执业登记, type: 行政许可, department: 卫生健康局, functions: [WJ-01] }
    """

    static let datasets: [(String, String)] = [
        ("market_licenses", """
        dataset: market_licenses
        title: 企业营业执照信息
        source: province
        provider: 省市场监管局
        update_cycle: daily
        share_type: conditional
        request: { path: /licenses.htm, records: datas.list, pagination: { type: page, size: 500 } }
        incremental: { cursor: UPDATE_TIME, param: startTime, lookback: 10m, sorted: true }
        key: [uscc]
        deleted: { field: DEL_FLAG, equals: "1" }
        matters: { field: SXBM }
        fields:
          uscc:        { from: TYSHXYDM, type: text, check: uscc, required: true }
          name:        { from: QYMC, type: text }
          legal_rep:   { from: FDDBR, type: text, pii: true }
          established: { from: CLRQ, type: date, format: yyyyMMdd }
          capital:     { from: ZCZB, type: decimal }
          staff:       { from: RS, type: int }
          updated_at:  { from: UPDATE_TIME, type: datetime }
        """),
        ("service_cases", """
        dataset: service_cases
        title: 政务服务办件信息
        source: province
        provider: 省大数据局
        update_cycle: daily
        share_type: conditional
        request: { path: /serviceCases.htm, records: datas.list, pagination: { type: page, size: 500 } }
        incremental: { cursor: UPDATE_TIME, param: startTime, lookback: 10m, sorted: true }
        key: [case_id]
        matters: { field: SXBM }
        fields:
          case_id:      { from: CASE_ID, type: text, required: true }
          applicant_id: { from: SQRZJHM, type: text, check: citizen-id, pii: true }
          finished:     { from: SFBJ, type: bool }
          updated_at:   { from: UPDATE_TIME, type: datetime }
        """),
        ("job_centres", """
        dataset: job_centres
        title: "公共就业服务机构目录, 含\\"零工市场\\""
        source: province
        provider: 省人力社保厅 & 省大数据局
        update_cycle: weekly
        share_type: unconditional
        request: { path: /jobCentres.htm, records: datas.list, pagination: { type: none } }
        key: [centre_id]
        matters: ["001105001000"]
        fields:
          centre_id: { from: JGBM, type: text, required: true }
          name:      { from: JGMC, type: text }
          services:  { from: FWXM, type: json }
        """),
        ("relief_payments", """
        dataset: relief_payments
        title: 最低生活保障金发放信息
        source: province
        provider: 省民政厅
        update_cycle: monthly
        share_type: none
        request: { path: /relief.htm, records: datas.list, pagination: { type: none } }
        key: [payment_id]
        matters: ["000605001000"]
        fields:
          payment_id: { from: FFBH, type: text, required: true }
          recipient:  { from: XM, type: text, pii: true }
          amount:     { from: JE, type: decimal }
          paid_on:    { from: FFRQ, type: date, format: yyyyMMdd }
        """),
    ]
}
