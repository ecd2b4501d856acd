import DataflowCore
import Foundation

/// The PostgreSQL warehouse (`warehouse: postgres://…` with `schema:`): the same tables, page
/// transactions, change feed, rejects and state as on SQLite, in one schema per county; one run at
/// a time by a session-level advisory lock.
///
/// ```swift
/// let warehouse = try PostgresBackend().open(.postgres(location), purpose: .sync)   // takes the advisory lock
/// ```
public struct PostgresBackend: WarehouseBackend {
    public init() {}

    public func serves(_ location: DatabaseLocation) -> Bool {
        if case .postgres = location { return true }
        return false
    }

    static func location(_ location: DatabaseLocation) throws -> PostgresLocation {
        guard case .postgres(let l) = location else { throw WarehouseFactory.NoBackend(location: location.description) }
        return l
    }

    public func open(_ location: DatabaseLocation, purpose: SQLWarehouse.Purpose) throws -> Warehouse {
        try openWarehouse(Self.location(location), purpose: purpose).warehouse
    }

    /// Connects, (for a sync) creates the schema and takes the one-run-at-a-time advisory lock, then
    /// opens the shared warehouse over the connection (which a sync migrates).
    public func openWarehouse(_ location: PostgresLocation, purpose: SQLWarehouse.Purpose) throws -> (warehouse: SQLWarehouse, connection: PostgresConnection) {
        let pid = ProcessInfo.processInfo.processIdentifier
        let application = purpose == .sync ? "dataflow sync pid \(pid), started \(Timestamp.now())" : "dataflow pid \(pid)"
        let connection = try PostgresConnection(location: location, applicationName: String(application.prefix(63)))
        let schema = Identifier.quoted(location.schema)
        if purpose != .read, try connection.scalarInt("SELECT count(*) FROM pg_namespace WHERE nspname = ?", [.text(location.schema)]) == 0 {
            try connection.execute("CREATE SCHEMA IF NOT EXISTS \(schema)")
        }
        try connection.execute("SET search_path TO \(schema)")
        if purpose == .sync { try PostgresAdvisoryLock.take(on: connection, location: location) }
        return (try SQLWarehouse(dialect: connection, purpose: purpose, location: location.description), connection)
    }

    public func openExchange(_ location: DatabaseLocation) throws -> WarehouseReader {
        let location = try Self.location(location)
        let pg = try PostgresConnection(location: location, applicationName: "dataflow exchange reader")
        try pg.execute("SET search_path TO \(Identifier.quoted(location.schema)); SET default_transaction_read_only = on")
        return pg
    }

    public func syncLockHeld(_ location: DatabaseLocation) throws -> Bool {
        let location = try Self.location(location)
        let pg = try PostgresConnection(location: location, applicationName: "dataflow status")
        return try PostgresAdvisoryLock.holder(on: pg, location: location) != nil
    }
}
