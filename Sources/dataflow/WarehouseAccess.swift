import DataflowCore
import DataflowPostgres
import Foundation

/// Opens the project's warehouse on whichever backend `warehouse:` names, so commands do not
/// care whether it is an SQLite file or a PostgreSQL schema.
enum WarehouseAccess {
    /// A warehouse that is neither of the two backends (cannot happen from dataflow.yml).
    struct UnknownBackend: Error, CustomStringConvertible {
        var description: String { "the warehouse is neither SQLite nor PostgreSQL" }
    }

    /// A warehouse opened for a sync, with the one-run-at-a-time lock held for as long as it lives.
    struct SyncHandle {
        let warehouse: Warehouse
        /// The flock (SQLite); on PostgreSQL the advisory lock lives in the warehouse's session.
        let lock: WarehouseLock?
    }

    /// Takes the lock first (throws `WarehouseLock.Held` at once when another run holds it), then opens.
    static func openForSync(_ project: ProjectConfig) throws -> SyncHandle {
        switch project.warehouse {
        case .sqlite(let path):
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let lock = try WarehouseLock(path: path + ".lock")
            return SyncHandle(warehouse: try SQLiteWarehouse(path: path), lock: lock)
        case .postgres(let location):
            return SyncHandle(warehouse: try PostgresWarehouse(location: location, purpose: .sync), lock: nil)
        }
    }

    /// The reader over an open warehouse (the same connection, so it sees the run just written).
    static func reader(of warehouse: Warehouse) throws -> WarehouseReader {
        if let sqlite = warehouse as? SQLiteWarehouse { return sqlite.db }
        if let postgres = warehouse as? PostgresWarehouse { return postgres.connection }
        throw UnknownBackend()
    }

    /// A backend-neutral reader for reports (`catalog`, `export`, `status`).
    static func openReader(_ project: ProjectConfig) throws -> WarehouseReader {
        switch project.warehouse {
        case .sqlite(let path): return try SQLiteWarehouse(readingFrom: path).db
        case .postgres(let location): return try PostgresWarehouse(location: location, purpose: .read).connection
        }
    }

    /// A connection that can write the view log (`_dataflow_exports`), creating an SQLite
    /// warehouse that does not exist yet (`check --reveal-pii` before the first sync).
    static func openLog(_ project: ProjectConfig) throws -> WarehouseReader {
        switch project.warehouse {
        case .sqlite(let path):
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            return try SQLiteWarehouse(path: path).db
        case .postgres(let location): return try PostgresWarehouse(location: location, purpose: .read).connection
        }
    }

    /// Whether a sync holds the project's warehouse lock right now (without taking it for long).
    static func syncLockHeld(_ project: ProjectConfig) throws -> Bool {
        switch project.warehouse {
        case .sqlite(let path):
            guard let lock = try? WarehouseLock(path: path + ".lock") else { return true }
            withExtendedLifetime(lock) {}
            return false
        case .postgres(let location):
            return try PostgresWarehouse(location: location, purpose: .read).syncLockHeld()
        }
    }

    /// The quarantine of the project's warehouse (`dataflow rejects`), on either backend.
    static func openRejectStore(_ project: ProjectConfig) throws -> RejectStore {
        switch project.warehouse {
        case .sqlite(let path): return try SQLiteWarehouse(readingFrom: path)
        case .postgres(let location): return try PostgresWarehouse(location: location, purpose: .read)
        }
    }

    /// An exchange database (`type: sql` source) on either backend, read only.
    static func openExchange(_ location: SQLSourceLocation) throws -> WarehouseReader {
        switch location {
        case .sqlite(let path):
            guard FileManager.default.fileExists(atPath: path) else {
                throw ExchangeError(dataset: "exchange", message: "no exchange database at \(path)")
            }
            return try SQLiteDatabase(path: path, readOnly: true)
        case .postgres(let location):
            let pg = try PostgresConnection(location: location, applicationName: "dataflow exchange reader")
            try pg.execute("SET search_path TO \(Identifier.quoted(location.schema)); SET default_transaction_read_only = on")
            return pg
        }
    }
}
