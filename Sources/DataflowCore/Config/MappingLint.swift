/// Mappings that load but probably do not do what their author meant; `dataflow validate` prints
/// them as warnings (they never stop a sync).
///
/// ```swift
/// for warning in MappingLint.warnings(project) { print("warning: \(warning)") }
/// ```
public enum MappingLint {
    public static func warnings(_ project: ProjectConfig) -> [ConfigError] {
        project.datasets.flatMap { dataset in
            dataset.fields.compactMap { field in silentNullDate(field, key: dataset.key) }
        }
    }

    /// A date or datetime field that is neither required nor explicitly `null_if`-ed: a value in
    /// the default null list (`N/A`, `-`, `无`, `null`) loads as NULL instead of being quarantined.
    static func silentNullDate(_ field: FieldConfig, key: [String]) -> ConfigError? {
        guard field.type == .date || field.type == .datetime, !field.required, !field.nullIfExplicit, !key.contains(field.column) else { return nil }
        let words = field.nullIf.filter { !$0.isEmpty }.map { "'\($0)'" }.joined(separator: ", ")
        guard !words.isEmpty else { return nil }
        return ConfigError("""
            \(field.type.rawValue) field '\(field.column)' is neither required nor given its own null_if: a value of \(words) \
            loads as NULL instead of going to quarantine. Add `required: true` if it must have a date, `null_if: [""]` \
            to quarantine anything that is not a date, or write the null_if list you mean (docs/mapping.md)
            """, at: field.position)
    }
}
