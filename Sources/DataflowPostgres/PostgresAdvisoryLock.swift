import DataflowCore

/// The one-run-at-a-time lock on PostgreSQL: a session-level `pg_try_advisory_lock` on a key
/// derived from the schema. The server drops it when the session ends, also when the client is
/// killed with -9 (the socket closes), so a stale lock never blocks cron.
enum PostgresAdvisoryLock {
    /// A stable non-negative 63-bit key: FNV-1a over `dataflow:<purpose>:<schema>`.
    static func key(for schema: String, purpose: String = "sync") -> Int64 {
        var hash: UInt64 = 0xcbf2_9ce4_8422_2325
        for byte in "dataflow:\(purpose):\(schema)".utf8 {
            hash ^= UInt64(byte)
            hash = hash &* 0x0000_0100_0000_01b3
        }
        return Int64(bitPattern: hash & 0x7FFF_FFFF_FFFF_FFFF)
    }

    /// Who holds the schema's sync lock (application name and server pid), or nil when nobody does.
    static func holder(on pg: PostgresConnection, location: PostgresLocation) throws -> String? {
        let key = key(for: location.schema)
        // Advisory locks on a bigint key show in pg_locks as classid = high 32 bits, objid = low 32 bits.
        return try pg.scalarText("""
            SELECT a.application_name || ' (server pid ' || a.pid || ')' FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
            WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1 AND l.classid::text::bigint = $1 AND l.objid::text::bigint = $2
              AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
            LIMIT 1
            """, [.integer(key >> 32), .integer(key & 0xFFFF_FFFF)])
    }

    /// Takes the lock without waiting, or throws `WarehouseLock.Held` naming the holder.
    static func take(on pg: PostgresConnection, location: PostgresLocation) throws {
        let key = key(for: location.schema)
        guard try pg.scalarText("SELECT pg_try_advisory_lock($1::bigint)::text", [.integer(key)]) == "true" else {
            let holder = try? holder(on: pg, location: location)
            throw WarehouseLock.Held(lockPath: "\(location) (advisory lock \(key))", holder: (holder ?? nil) ?? "")
        }
    }
}
