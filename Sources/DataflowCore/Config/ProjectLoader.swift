import Foundation

/// Loads and validates a county project folder into a `ProjectConfig`.
///
/// ```swift
/// let project = try ProjectLoader(environment: ProcessInfo.processInfo.environment).load(root: ".")
/// ```
public struct ProjectLoader: Sendable {
    public var interpolator: Interpolator
    /// Load request-only dataset files (no `key`/`fields` yet) with an empty mapping, as
    /// `dataflow draft` needs; every other command leaves this off, so they fail `validate`.
    public var allowRequestOnlyDatasets = false

    public init(environment: [String: String]) { interpolator = Interpolator(environment: environment) }

    /// Loads `root/dataflow.yml` and the mappings it names. Throws `ConfigError` or `ConfigErrors`.
    public func load(root: String) throws -> ProjectConfig {
        let rootURL = URL(fileURLWithPath: root).standardizedFileURL
        let configPath = rootURL.appendingPathComponent("dataflow.yml").path
        guard FileManager.default.fileExists(atPath: configPath) else {
            throw ConfigError("no dataflow.yml in \(rootURL.path) (use --project DIR, or `dataflow init` to start one)", file: "dataflow.yml")
        }
        let rootNode = try YAMLDocument.load(path: configPath, displayName: "dataflow.yml")
        var m = try MappingReader(rootNode, what: "dataflow.yml", interpolator: interpolator)

        if let version = try m.int("version"), version != 1 {
            throw ConfigError("unsupported version \(version) (expected 1)", at: m.keyPosition("version"))
        }
        guard var countyReader = try m.mapping("county", what: "'county'") else { throw m.missing("county") }
        let county = County(code: try countyReader.requiredString("code"), name: try countyReader.requiredString("name"))
        try countyReader.finish()
        guard county.code.count == 6, county.code.allSatisfy(\.isASCII), county.code.allSatisfy(\.isNumber) else {
            throw ConfigError("county code must be a 6-digit GB/T 2260 division code, found '\(county.code)'", at: countyReader.position)
        }

        let warehouseText = try m.string("warehouse") ?? "sqlite:warehouse/county.db"
        let warehouse: DatabaseLocation
        if warehouseText.hasPrefix("sqlite:") {
            let path = String(warehouseText.dropFirst("sqlite:".count))
            guard !path.isEmpty else { throw ConfigError("warehouse 'sqlite:' needs a path, e.g. sqlite:warehouse/county.db", at: m.keyPosition("warehouse")) }
            warehouse = .sqlite(path: path.hasPrefix("/") ? path : rootURL.appendingPathComponent(path).path)
        } else if warehouseText.hasPrefix("postgres://") || warehouseText.hasPrefix("postgresql://") {
            do {
                let position = m.keyPosition("warehouse") ?? m.position
                let raw = try m.rawString("warehouse") ?? warehouseText, schema = try m.string("schema")
                warehouse = .postgres(try PostgresLocation.parse(raw, schema: schema, what: "warehouse", resolve: { [interpolator] in
                    try interpolator.resolve($0, at: position)
                }))
            } catch let error as PostgresURLError {
                throw ConfigError(error.message, at: m.keyPosition("warehouse"))
            }
        } else {
            throw ConfigError("warehouse must be sqlite:PATH or postgres://user@host:port/database, found '\(PostgresLocation.redacted(warehouseText))'",
                              at: m.keyPosition("warehouse"))
        }
        if case .sqlite = warehouse, m.node("schema") != nil {
            throw ConfigError("'schema' applies only to a postgres:// warehouse", at: m.keyPosition("schema"))
        }

        let mappingsName = try m.string("mappings") ?? "Mappings"
        let mappingsPath = mappingsName.hasPrefix("/") ? mappingsName : rootURL.appendingPathComponent(mappingsName).path

        var sources: [SourceConfig] = []
        var sourceParser = SourceParser(interpolator: interpolator, root: rootURL.path)
        if let sourcesNode = m.node("sources") {
            guard case .mapping(let entries, _) = sourcesNode else {
                throw ConfigError("'sources' must be a mapping of source names", at: sourcesNode.position)
            }
            for entry in entries {
                sources.append(try sourceParser.parse(name: entry.key, node: entry.value))
            }
        }
        try m.finish()

        let dictionaries = try DictionaryLoader(interpolator: interpolator).load(mappingsPath: mappingsPath, displayPrefix: mappingsName)
        var loader = DatasetLoader(interpolator: interpolator, sources: sources, dictionaries: dictionaries)
        loader.allowRequestOnly = allowRequestOnlyDatasets
        let datasets = try loader
            .loadAll(mappingsPath: mappingsPath, displayPrefix: mappingsName)

        var project = ProjectConfig(root: rootURL.path, county: county, warehouse: warehouse, mappingsPath: mappingsPath,
                                    sources: sources, datasets: datasets, dictionaries: dictionaries)
        project.warnings = sourceParser.warnings
        return project
    }
}
