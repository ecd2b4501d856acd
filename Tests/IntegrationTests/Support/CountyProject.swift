import DataflowCore
import DataflowWarehouses
import DataflowPostgres
import Foundation

/// A temporary county project pointed at a sandbox: the repository's Mappings/ with optional
/// edits, and a dataflow.yml for the sandbox's port. Removed on deinit.
final class CountyProject {
    let root: URL
    let sandbox: Sandbox
    var environment: [String: String]
    let backend: Backend
    /// The PostgreSQL schema holding this project's warehouse (postgres backend only).
    let schema: String?

    /// - Parameters:
    ///   - sourceExtra: extra YAML lines under the source (indented 4 spaces).
    ///   - edit: rewrites each dataset file's text (file name, text) → text.
    init(sandbox: Sandbox, backend: Backend = .sqlite, appSecret: String = "sandbox-secret", sourceExtra: String = "", retries: Int = 5,
         edit: (String, String) -> String = { $1 }) throws {
        self.sandbox = sandbox
        self.backend = backend
        let warehouseLines: String
        switch backend {
        case .sqlite:
            schema = nil
            warehouseLines = "warehouse: sqlite:warehouse/county.db"
        case .postgres:
            let name = TestPostgres.freshSchema()
            schema = name
            warehouseLines = "warehouse: \(try TestPostgres.url())\nschema: \(name)"
        }
        root = FileManager.default.temporaryDirectory.appendingPathComponent("county-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"),
                        to: root.appendingPathComponent("Mappings/dictionaries"))
        try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/codes"),
                        to: root.appendingPathComponent("Mappings/codes"))
        let datasets = Binaries.repositoryRoot.appendingPathComponent("Mappings/datasets")
        for file in try fm.contentsOfDirectory(atPath: datasets.path) where file.hasSuffix(".yml") {
            let text = try String(contentsOf: datasets.appendingPathComponent(file), encoding: .utf8)
            try edit(file, text).write(to: root.appendingPathComponent("Mappings/datasets/\(file)"), atomically: true, encoding: .utf8)
        }
        let config = """
        version: 1
        county: { code: "330782", name: 义乌市 }
        \(warehouseLines)
        sources:
          province:
            base_url: http://127.0.0.1:\(sandbox.port)
            auth:
              type: zj-irs
              app_key: sandbox-app
              app_secret: ${TEST_APP_SECRET}
            envelope:
              success: { path: code, equals: ["00"] }
              message: msg
              errors: { "14": resign, "11": refresh-token, "18": quota }
            timeout: 10s
            retries: \(retries)
            retry_backoff: 10ms
        \(sourceExtra)
        """
        try config.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        environment = ["TEST_APP_SECRET": appSecret, "NO_COLOR": "1"]
    }

    /// A project from `Fixtures/connectors`: its dataflow.yml (every gateway
    /// style as a source) and the named dataset files, pointed at `sandbox`.
    init(sandbox: Sandbox, connectorDatasets datasets: [String], secret: String = "sandbox-secret", backend: Backend = .sqlite) throws {
        self.sandbox = sandbox
        self.backend = backend
        schema = backend == .postgres ? TestPostgres.freshSchema() : nil
        root = FileManager.default.temporaryDirectory.appendingPathComponent("county-\(UUID().uuidString)")
        let fm = FileManager.default
        try fm.createDirectory(at: root.appendingPathComponent("Mappings/datasets"), withIntermediateDirectories: true)
        try fm.copyItem(at: Binaries.repositoryRoot.appendingPathComponent("Mappings/dictionaries"),
                        to: root.appendingPathComponent("Mappings/dictionaries"))
        let fixtures = CountyProject.connectorFixtures
        var config = try String(contentsOf: fixtures.appendingPathComponent("dataflow.yml"), encoding: .utf8)
        if let schema {
            config = config.replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db", with: "warehouse: \(try TestPostgres.url())\nschema: \(schema)")
        }
        try config.write(to: root.appendingPathComponent("dataflow.yml"), atomically: true, encoding: .utf8)
        for name in datasets {
            try fm.copyItem(at: fixtures.appendingPathComponent("datasets/\(name).yml"), to: root.appendingPathComponent("Mappings/datasets/\(name).yml"))
        }
        environment = ["SANDBOX_URL": sandbox.baseURL, "SANDBOX_SECRET": secret, "NO_COLOR": "1"]
    }

    static var connectorFixtures: URL { Binaries.repositoryRoot.appendingPathComponent("Fixtures/connectors") }

    deinit {
        try? FileManager.default.removeItem(at: root)
        if let schema { TestPostgres.dropSchema(schema) }
    }

    var warehousePath: String { root.appendingPathComponent("warehouse/county.db").path }

    /// Runs `dataflow ARGS --project ROOT`.
    func dataflow(_ arguments: String...) throws -> CommandResult {
        try Command.run(Binaries.dataflow, arguments + ["--project", root.path], environment: environment, in: root)
    }

    func startSync(_ extra: [String] = []) throws -> Process {
        let id = UUID().uuidString
        return try Command.start(Binaries.dataflow, ["sync", "--quiet", "--project", root.path] + extra, environment: environment,
                                 stdout: root.appendingPathComponent("sync-\(id).out"), stderr: root.appendingPathComponent("sync-\(id).err"))
    }

    func config() throws -> ProjectConfig { try ProjectLoader(environment: environment).load(root: root.path) }

    func database() throws -> SQLiteDatabase { try SQLiteDatabase(path: warehousePath) }

    /// The warehouse on either backend, through the backend-neutral reader.
    func reader() throws -> WarehouseReader {
        switch backend {
        case .sqlite: return try database()
        case .postgres:
            guard let schema else { throw Sandbox.StartError(description: "no schema") }
            return try WarehouseFactory.standard.open(.postgres(TestPostgres.location(schema: schema)), purpose: .read)
        }
    }
}
