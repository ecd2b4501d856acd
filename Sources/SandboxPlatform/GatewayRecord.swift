/// A record the gateway serves: ordered by `(updateTime, key)` and rendered as one JSON object.
protocol GatewayRecord: Sendable {
    /// The dataset's primary key value (may be empty for deliberately invalid records).
    var key: String { get }
    /// `UPDATE_TIME` in seconds (see `CivilTime`).
    var updateTime: Int64 { get }
    /// Whether the record carries a deletion flag that is set (never true for datasets without one).
    var isDeleted: Bool { get }
    /// Appends this record as one JSON object with string values, as gateways send them.
    func writeJSON(to out: inout JSONOutput)
}

/// Generates a dataset's records: record `id` is a pure function of `(seed, id)` and its change.
protocol RecordGenerator: Sendable {
    associatedtype Record: GatewayRecord
    /// How many base records exist; ids at or above it are inserted records, always valid.
    var baseCount: Int { get }
    /// Whether records can be deleted (carry `DEL_FLAG`).
    var supportsDeletion: Bool { get }
    /// Only the key of record `id`, cheaper than the whole record; keys never change.
    func key(id: Int32) -> String
    /// A number ordered exactly as `key(id:)` strings are (so the order never builds strings).
    func sortKey(id: Int32) -> UInt64
    /// Record `id` as generated at `updateTime` (unchanged base record, or a fresh insert).
    func record(id: Int32, updateTime: Int64) -> Record
    /// Record `id` after `change` (updates are pure functions of the mutation number).
    func record(id: Int32, change: RecordChange) -> Record
}
