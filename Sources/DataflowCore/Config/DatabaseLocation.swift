/// Where a database lives: the warehouse (`warehouse:` in dataflow.yml) or an exchange database
/// (前置库, a source with `type: sql`). `WarehouseFactory` opens either kind from it.
///
/// ```yaml
/// warehouse: sqlite:warehouse/county.db        # or postgres://dataflow:${PG_PASSWORD}@db:5432/county + schema:
/// sources:
///   exchange:
///     type: sql
///     url: sqlite:/srv/exchange/province.db     # or postgres://reader:${EXCHANGE_PW}@10.1.2.3:5432/qzk
/// ```
public enum DatabaseLocation: Sendable, CustomStringConvertible, Equatable {
    /// An SQLite file (the embedded default).
    case sqlite(path: String)
    /// A PostgreSQL server and schema (DataflowPostgres target).
    case postgres(PostgresLocation)
    /// A backend registered with `WarehouseFactory.register` under its own scheme (`scheme:address`).
    case registered(scheme: String, address: String)

    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let location): return location.description
        case .registered(let scheme, let address): return "\(scheme):\(address)"
        }
    }
}
