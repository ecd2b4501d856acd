import Foundation
import Logging
#if canImport(Glibc)
import Glibc
#endif

/// The embedded SQLite warehouse (`warehouse: sqlite:PATH`): a file in a private folder, WAL mode so
/// reports read while a sync writes, and `<file>.lock` (a `flock`) for one run at a time.
///
/// Files are private whatever the umask (docs/security.md, "Files"): a folder it creates 0700, the
/// database 0600 (SQLite gives `-wal` and `-shm` the database's mode). A sync that finds looser
/// file modes tightens them and logs it; an existing folder is never changed (it may be `/tmp` or
/// the project), only warned about when others may enter it.
public struct SQLiteBackend: WarehouseBackend {
    public init() {}

    public func serves(_ location: DatabaseLocation) -> Bool {
        if case .sqlite = location { return true }
        return false
    }

    static func path(_ location: DatabaseLocation) throws -> String {
        guard case .sqlite(let path) = location else { throw WarehouseFactory.NoBackend(location: location.description) }
        return path
    }

    public func open(_ location: DatabaseLocation, purpose: SQLWarehouse.Purpose) throws -> Warehouse {
        let path = try Self.path(location)
        switch purpose {
        case .sync, .write:
            try WarehouseFiles.preparePrivateFolder(databasePath: path)
            try WarehouseFiles.refuseSymbolicLinks(databasePath: path)
            // The lock first: a run that finds another one holding it changes nothing, not even a file mode.
            let lock = purpose == .sync ? try WarehouseLock(path: path + ".lock") : nil
            try WarehouseFiles.preparePrivateFiles(databasePath: path)
            let db = try SQLiteDatabase(path: path)
            try db.exec(SQLiteDatabase.warehouseSettings)
            return try SQLWarehouse(dialect: db, purpose: purpose, keepAlive: lock, location: location.description)
        case .read:
            let db = try WarehouseFiles.openForReading(path)
            return try SQLWarehouse(dialect: db, purpose: .read, location: location.description)
        }
    }

    /// An existing SQLite warehouse's database, for reading (no lock, no migration; it must not need one).
    public static func openForReading(path: String) throws -> SQLiteDatabase {
        let db = try WarehouseFiles.openForReading(path)
        _ = try SQLWarehouse(dialect: db, purpose: .read, location: "sqlite:\(path)")
        return db
    }

    public func openExchange(_ location: DatabaseLocation) throws -> WarehouseReader {
        let path = try Self.path(location)
        guard FileManager.default.fileExists(atPath: path) else {
            throw ExchangeError(dataset: "exchange", message: "no exchange database at \(path)")
        }
        return try SQLiteDatabase(path: path, readOnly: true)
    }

    public func syncLockHeld(_ location: DatabaseLocation) throws -> Bool {
        let path = try Self.path(location)
        guard FileManager.default.fileExists(atPath: path + ".lock") else { return false }
        guard let lock = try? WarehouseLock(path: path + ".lock", create: false) else { return true }
        withExtendedLifetime(lock) {}
        return false
    }
}

/// The SQLite warehouse's files: created private, tightened when found loose, opened read-only
/// for reports. The folder is created private but never changed once it exists.
enum WarehouseFiles {
    static let logger = Logger(label: "dataflow.warehouse")

    /// The files a SQLite warehouse keeps beside its database, and the database itself.
    static func files(databasePath path: String) -> [String] {
        [path, path + "-wal", path + "-shm", path + ".lock"]
    }

    /// Creates the folder 0700 (missing parents too) when it does not exist. An existing folder
    /// keeps its mode: it may be shared (`/tmp`, sticky 1777) or the project itself, and a chmod
    /// would take other users' access away. One warning when others may enter it.
    static func preparePrivateFolder(databasePath path: String) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let folder = dir.isEmpty ? "." : dir
        var st = stat()
        guard stat(folder, &st) == 0 else {
            guard errno == ENOENT else { throw FileAccessError(path: folder, action: "use the warehouse folder", errno: errno) }
            try PrivateFolder.make(folder, what: "the warehouse folder")
            return
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw FileAccessError(path: folder, action: "use the warehouse folder", errno: ENOTDIR) }
        guard st.st_mode & 0o077 != 0 else { return }
        logger.warning("the warehouse folder is open to other users (left as it is; the warehouse's files are kept 0600): give the warehouse a folder of its own, mode 700",
                       metadata: ["path": "\(folder)", "mode": "\(String(st.st_mode & 0o7777, radix: 8))"])
    }

    /// Refuses a symbolic link at the database's, `-wal`'s, `-shm`'s or lock's name before any of
    /// them is opened: in a folder others may write to, a planted link would lend its target our
    /// lock file, our chmod or our data.
    static func refuseSymbolicLinks(databasePath path: String) throws {
        for file in files(databasePath: path) {
            var st = stat()
            guard lstat(file, &st) == 0, st.st_mode & S_IFMT == S_IFLNK else { continue }
            throw SymbolicLinkError(path: file)
        }
    }

    /// A symbolic link where a warehouse file should be.
    struct SymbolicLinkError: Error, CustomStringConvertible {
        var path: String
        var description: String {
            "\(path) is a symbolic link; a warehouse file must be a plain file (a link planted in a shared folder would receive the lock, a chmod or the data): point warehouse: at the real file, or remove the link"
        }
    }

    /// Creates the database file (0600) if missing, and tightens it, its `-wal`, `-shm` and lock.
    static func preparePrivateFiles(databasePath path: String) throws {
        if !FileManager.default.fileExists(atPath: path) {
            let fd = Glibc.open(path, O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
            if fd < 0 && errno != EEXIST { throw FileAccessError(path: path, action: "create the warehouse", errno: errno) }
            if fd >= 0 { close(fd) }
        }
        for file in files(databasePath: path) {
            try tighten(file, to: 0o600)
        }
    }

    /// Sets `mode` on the file `path` when it is looser (or other), with a log line; whatever the
    /// umask. Never through a symbolic link (lstat, not stat), so a link's target is never changed.
    /// A path, not a descriptor: closing a descriptor of the database or its `-shm` would drop the
    /// POSIX locks any SQLite connection of this process holds on it.
    static func tighten(_ path: String, to mode: mode_t) throws {
        var st = stat()
        guard lstat(path, &st) == 0 else { return }
        switch st.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFLNK: throw SymbolicLinkError(path: path)
        default: throw FileAccessError(path: path, action: "use anything but a plain file as a warehouse file", errno: EINVAL)
        }
        let current = st.st_mode & 0o7777
        guard current != mode else { return }
        guard chmod(path, mode) == 0 else { throw FileAccessError(path: path, action: "make the warehouse private (chmod)", errno: errno) }
        logger.notice("tightened file mode", metadata: ["path": "\(path)", "from": "\(String(current, radix: 8))", "to": "\(String(mode, radix: 8))"])
    }

    /// Opens an existing warehouse for reports: read-write when this user may write it (so the
    /// export log can be kept), read-only when not; never creates or migrates anything.
    static func openForReading(_ path: String) throws -> SQLiteDatabase {
        var st = stat()
        if stat(path, &st) != 0 {
            if errno == ENOENT { throw SQLiteError(code: 14, message: "no warehouse at \(path) yet (run `dataflow sync` first)", sql: nil) }
            throw FileAccessError(path: path, action: "read the warehouse", errno: errno)
        }
        guard access(path, R_OK) == 0 else { throw FileAccessError(path: path, action: "read the warehouse", errno: errno) }
        let dir = (path as NSString).deletingLastPathComponent
        let writable = access(path, W_OK) == 0 && access(dir.isEmpty ? "." : dir, W_OK) == 0
        if writable { return try SQLiteDatabase(path: path) }
        // Read-only for this user: a WAL database needs its -shm to be readable and, if it is
        // missing, creatable; when it is not, read the file as it stands (no locks: a sync writing
        // at this moment is not seen whole, and its checkpoints may change the file under the reader;
        // so a non-empty -wal refuses the read below, and `confirmReadWhole` fails a changed file).
        let shm = path + "-shm"
        if access(shm, R_OK) == 0 || FileManager.default.fileExists(atPath: shm) == false && access(dir.isEmpty ? "." : dir, W_OK) == 0 {
            if let db = try? SQLiteDatabase(path: path, readOnly: true), (try? db.scalarInt("SELECT count(*) FROM sqlite_master")) != nil { return db }
        }
        // Pages in the WAL this user cannot read: a run is writing, or one was killed, maybe in the
        // middle of copying pages into the database file, which alone may then not be one state.
        var wal = stat()
        if stat(path + "-wal", &wal) == 0, wal.st_size > 0 { throw WarehouseRunUnfinished(path: path) }
        return try SQLiteDatabase(path: path, immutable: true)
    }

}

/// What a warehouse server says besides its answers (PostgreSQL's notices and warnings: a server
/// shutting down, a trigger's `RAISE WARNING`): a warning in dataflow's log — a JSON event with
/// `--log-format json` — never raw text on stderr, which libpq writes them to by default.
public enum WarehouseNotice {
    public static func report(_ message: String) {
        let text = message.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !text.isEmpty else { return }
        WarehouseFiles.logger.warning("\(Redactor.escapingControls(text))")
    }
}
