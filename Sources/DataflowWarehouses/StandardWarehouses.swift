import DataflowCore
import DataflowPostgres

extension WarehouseFactory {
    /// Every backend this build has: SQLite (embedded) and PostgreSQL. The CLI, the bench and the
    /// tests open warehouses and exchange databases through it.
    ///
    /// ```swift
    /// let warehouse = try WarehouseFactory.standard.open(project.warehouse, purpose: .read)
    /// ```
    public static let standard = WarehouseFactory(backends: [SQLiteBackend(), PostgresBackend()])
}
