/// The county whose data this project returns.
public struct County: Sendable {
    public var code: String
    public var name: String
}

/// A whole, validated county project: `dataflow.yml` plus `Mappings/`. Immutable once loaded.
public struct ProjectConfig: Sendable {
    public var root: String
    public var county: County
    public var warehouse: DatabaseLocation
    public var mappingsPath: String
    public var sources: [SourceConfig]
    public var datasets: [DatasetConfig]
    public var dictionaries: Dictionaries
    /// Problems that do not stop a run (credentials over plain http://), with their positions.
    public var warnings: [ConfigError] = []

    public func source(named name: String) -> SourceConfig? { sources.first { $0.name == name } }
    public func dataset(named name: String) -> DatasetConfig? { datasets.first { $0.name == name } }

    /// What every command says about a dataset name the project does not have, with a
    /// did-you-mean and the list: `unknown dataset 'market_licence' (did you mean 'market_licenses'?) (datasets: …)`.
    public func unknownDatasetMessage(_ name: String) -> String {
        let all = datasets.map(\.name)
        return "unknown dataset '\(name)'\(MappingReader.suggestion(name, all)) (datasets: \(all.joined(separator: ", ")))"
    }
}
