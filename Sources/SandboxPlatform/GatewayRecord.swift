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

/// Generates a dataset's records: record `id` is a pure function of `(seed, id)` and its stamp.
protocol RecordGenerator: Sendable {
    associatedtype Record: GatewayRecord
    /// How many base records exist; ids at or above it are inserted records, always valid.
    var baseCount: Int { get }
    /// Only the key of record `id`, cheaper than the whole record (builds the base order).
    func key(id: Int32) -> String
    /// Record `id` stamped with `updateTime`.
    func record(id: Int32, updateTime: Int64) -> Record
    /// Record `id` after the mutation numbered `mutation` (a pure function of seed, id and mutation).
    func updated(_ record: Record, id: Int32, mutation: UInt64, at time: Int64) -> Record
    /// `record` marked deleted at `time`, or nil when the dataset has no deletion flag.
    func deleted(_ record: Record, at time: Int64) -> Record?
}
