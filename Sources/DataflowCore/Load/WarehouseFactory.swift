/// One warehouse backend as the factory sees it: which locations it serves and how it opens them.
/// A backend is a `WarehouseDialect` plus this small opener (docs/architecture.md, "Where to add
/// things").
public protocol WarehouseBackend: Sendable {
    /// Whether `location` is this backend's.
    func serves(_ location: DatabaseLocation) -> Bool
    /// Opens the warehouse at `location`. For `.sync` the one-run-at-a-time lock is taken first
    /// (throws `WarehouseLock.Held` at once when another run holds it) and held while the
    /// warehouse lives; `.read` opens without migrating and without the lock.
    func open(_ location: DatabaseLocation, purpose: SQLWarehouse.Purpose) throws -> Warehouse
    /// Opens an exchange database (a `type: sql` source) for reading only.
    func openExchange(_ location: DatabaseLocation) throws -> WarehouseReader
    /// Whether a sync holds the warehouse's lock right now (without keeping it).
    func syncLockHeld(_ location: DatabaseLocation) throws -> Bool
}

/// Opens warehouses and exchange databases on whichever backend serves their location, so no
/// caller switches on the backend or downcasts. The CLI, the bench and the tests share
/// `WarehouseFactory.standard` (DataflowWarehouses target); a test adds a backend with `register`.
///
/// ```swift
/// let warehouse = try WarehouseFactory.standard.open(project.warehouse, purpose: .sync)
/// var factory = WarehouseFactory.standard
/// factory.register(InMemoryBackend())      // serves .registered(scheme: "memory", …)
/// ```
public struct WarehouseFactory: Sendable {
    public private(set) var backends: [any WarehouseBackend]

    public init(backends: [any WarehouseBackend]) {
        self.backends = backends
    }

    /// Adds a backend; it is asked before the ones already registered.
    public mutating func register(_ backend: any WarehouseBackend) {
        backends.insert(backend, at: 0)
    }

    /// No registered backend serves a location.
    public struct NoBackend: Error, CustomStringConvertible {
        public var location: String
        public init(location: String) { self.location = location }
        public var description: String { "no warehouse backend serves \(location) (this build has: sqlite:PATH, postgres://…)" }
    }

    func backend(for location: DatabaseLocation) throws -> any WarehouseBackend {
        guard let backend = backends.first(where: { $0.serves(location) }) else { throw NoBackend(location: location.description) }
        return backend
    }

    public func open(_ location: DatabaseLocation, purpose: SQLWarehouse.Purpose) throws -> Warehouse {
        try backend(for: location).open(location, purpose: purpose)
    }

    public func openExchange(_ location: DatabaseLocation) throws -> WarehouseReader {
        try backend(for: location).openExchange(location)
    }

    public func syncLockHeld(_ location: DatabaseLocation) throws -> Bool {
        try backend(for: location).syncLockHeld(location)
    }
}
