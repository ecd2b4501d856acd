import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a whole file atomically: a temporary file in the same folder with exactly the mode
/// asked for (whatever the umask), fsync, then rename(2), so a reader (node_exporter's textfile
/// collector, a web server, an analyst's Excel) never sees half a file. The one way every command
/// writes a file: whole (`write`) or streamed (`Writer`).
///
/// The temporary file is `FILE.partial-` and 16 random hex digits, created exclusively
/// (`O_CREAT|O_EXCL|O_NOFOLLOW`, 0600): in a folder others may write to, nobody can have a file or
/// a symbolic link waiting at its name, so the write never lands in someone else's file.
///
/// The folder is opened once, when the writer starts, and the temporary file is created and
/// renamed inside that open folder (`openat`, `renameat`): a symbolic link on the way to it that
/// is changed meanwhile cannot move the file elsewhere. `finalCheck` judges the folder and name
/// the rename will replace, just before it (the warehouse refuses its own files this way,
/// `DatabaseLocation.finalOutputCheck`).
///
/// The writer holds an exclusive `flock` on its temporary file until the file is renamed or
/// removed. A process killed mid-write (kill -9, a power cut) leaves its `FILE.partial-…` behind
/// without a holder, and an export's holds the county's records: the next writer of FILE removes
/// every such leftover of this user's that nobody holds, and leaves one another writer is still
/// writing (`removeLeftovers(in:of:)`, through the same open folder).
///
/// ```swift
/// try AtomicFile.write(Data("dataflow_up 1\n".utf8), to: "/var/lib/node_exporter/dataflow.prom")
///
/// let file = try AtomicFile.Writer(path: "licences.csv", mode: 0o600)   // FILE.partial-<random>
/// write(file.descriptor, bytes, count)                                     // stream into it
/// try file.commit()                                                        // fsync + rename
/// ```
public enum AtomicFile {
    /// A failed write, naming the file.
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        /// The path itself cannot be written as a file (empty, a folder, a pipe or a device): a
        /// usage error, not a failure of the file system.
        public var isUsage = false
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Refuses, before anything is written, a path that cannot be written as a whole file: empty,
    /// naming a folder, or naming a named pipe, a device or a socket (`Writer` checks again where
    /// it writes, just before its rename). Throws a `WriteError` with `isUsage` set.
    public static func refuseAsTarget(_ path: String) throws {
        let (folderPath, name) = try Writer.split(path)
        let folder = Glibc.open(folderPath, Writer.openPath | O_DIRECTORY | O_CLOEXEC)
        guard folder >= 0 else { return }   // said by the writer, with the folder's own error
        defer { close(folder) }
        try Writer.refuseNonRegular(in: folder, name: name, path: path)
    }

    /// Judges the open folder (a descriptor) and the name in it that a commit is about to
    /// replace; throwing stops the commit, and the temporary file is removed.
    public typealias FinalCheck = (_ folder: Int32, _ name: String) throws -> Void

    /// A file being written under `PATH.partial-<random>`; `commit()` puts it in place,
    /// `discard()` (or an error before `commit()`) leaves nothing behind.
    public final class Writer {
        public let path: String
        /// The temporary file's name: `path`, `.partial-` and 16 random hex digits.
        public let partial: String
        /// The descriptor to write to (close-on-exec).
        public let descriptor: Int32
        /// The folder, opened once: the temporary file is created and renamed in it.
        private let folder: Int32
        /// The last path component of `path` and of `partial`.
        private let name: String, partialName: String
        private let finalCheck: FinalCheck?
        private var open = true

        /// Creates a new `path + ".partial-<random>"` with exactly `mode`; the folder must exist.
        /// `finalCheck` runs at `commit()`, just before the rename.
        public init(path: String, mode: mode_t, finalCheck: FinalCheck? = nil) throws {
            self.path = path
            self.finalCheck = finalCheck
            let (folderPath, name) = try Self.split(path)
            self.name = name
            // `O_PATH`: a folder this user may write to and search but not list still works.
            folder = Glibc.open(folderPath, Self.openPath | O_DIRECTORY | O_CLOEXEC)
            guard folder >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno)).lowercased()) }
            do {
                try Self.refuseNonRegular(in: folder, name: name, path: path)
            } catch {
                close(folder)
                throw error
            }
            Self.removeLeftovers(in: folder, of: name)
            do {
                (partialName, descriptor) = try Self.createExclusively(in: folder, besides: name, path: path, mode: mode)
            } catch {
                close(folder)
                throw error
            }
            partial = path + String(decoding: partialName.utf8.dropFirst(name.utf8.count), as: UTF8.self)
        }

        /// Linux's `O_PATH` (Glibc's Swift module does not export it): a descriptor that names the
        /// folder for the `*at` calls without the right to list it.
        static let openPath: Int32 = 0o10000000

        /// Refuses a `name` in `folder` that is there and is not a regular file (nor a symbolic
        /// link, which the rename replaces without following): a folder, a FIFO, a device or a
        /// socket. The rename would put a regular file in its place — a reader waiting on a named
        /// pipe got nothing, and `-o /dev/null` run as root would have replaced the device.
        static func refuseNonRegular(in folder: Int32, name: String, path: String) throws {
            var named = stat()
            guard fstatat(folder, name, &named, AT_SYMLINK_NOFOLLOW) == 0 else { return }
            let kind: String
            switch named.st_mode & S_IFMT {
            case S_IFREG, S_IFLNK: return
            case S_IFDIR: throw WriteError(path: path, reason: "that names a folder, not a file (give a file name)", isUsage: true)
            case S_IFIFO: kind = "a named pipe (FIFO)"
            case S_IFCHR, S_IFBLK: kind = "a device"
            case S_IFSOCK: kind = "a socket"
            default: kind = "not a regular file"
            }
            throw WriteError(path: path, reason: "it is \(kind), and the file is written whole and renamed into place, which would replace it; write to standard output and redirect that instead",
                             isUsage: true)
        }

        /// The folder and the file name of `path`, split at its last `/`; an empty path, or one
        /// that names a folder (ending in `/`, `.` or `..`), is refused.
        static func split(_ path: String) throws -> (folder: String, name: String) {
            guard !path.isEmpty else { throw WriteError(path: "''", reason: "the file name is empty", isUsage: true) }
            let slash = path.lastIndex(of: "/")
            let name = slash.map { String(path[path.index(after: $0)...]) } ?? path
            guard !name.isEmpty, name != ".", name != ".." else {
                throw WriteError(path: path, reason: "that names a folder, not a file (give a file name)", isUsage: true)
            }
            guard let slash else { return (".", name) }
            let folder = String(path[..<slash])
            return (folder.isEmpty ? "/" : folder, name)
        }

        /// Removes the `name.partial-<16 hex digits>` files a killed writer left in `folder` (the
        /// writer's open folder): regular files of this user that no writer holds (`flock`), never
        /// followed through a symbolic link, and only while the name is still the file that was
        /// checked. The folder is listed and every name opened and removed through the descriptor,
        /// so a symbolic link on the way to it that is changed meanwhile cannot point this at
        /// another folder. Best effort: a folder this user cannot list (a drop box), or a file that
        /// cannot be opened, is left as it is.
        static func removeLeftovers(in folder: Int32, of name: String) {
            let prefix = Array((name + ".partial-").utf8)
            // An `O_PATH` descriptor cannot be listed; the same folder opened again through it can.
            let listing = openat(folder, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)
            guard listing >= 0 else { return }
            guard let dir = fdopendir(listing) else { close(listing); return }
            var names: [[CChar]] = []
            while let entry = readdir(dir) {
                // Read where it lies, up to its NUL: the entry may be shorter than `d_name`'s 256 bytes.
                let entryName = withUnsafeMutablePointer(to: &entry.pointee.d_name) { field in
                    field.withMemoryRebound(to: CChar.self, capacity: 256) { Array(UnsafeBufferPointer(start: $0, count: strlen($0))) }
                }
                if isLeftoverName(entryName.lazy.map { UInt8(bitPattern: $0) }, prefix: prefix) { names.append(entryName + [0]) }
            }
            closedir(dir)
            for candidate in names {
                let fd = openat(folder, candidate, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC)
                guard fd >= 0 else { continue }
                defer { close(fd) }
                var held = stat(), named = stat()
                guard fstat(fd, &held) == 0, held.st_mode & S_IFMT == S_IFREG, held.st_uid == geteuid(),
                      flock(fd, LOCK_EX | LOCK_NB) == 0,
                      fstatat(folder, candidate, &named, AT_SYMLINK_NOFOLLOW) == 0,
                      named.st_dev == held.st_dev, named.st_ino == held.st_ino
                else { continue }
                unlinkat(folder, candidate, 0)
            }
        }

        /// `prefix` followed by exactly 16 lower-case hex digits, as `createExclusively` names them.
        static func isLeftoverName(_ name: String, prefix: String) -> Bool {
            // Compared as bytes: `hasPrefix` would take a differently composed name for the same.
            isLeftoverName(name.utf8, prefix: Array(prefix.utf8))
        }

        static func isLeftoverName<Name: Collection<UInt8>>(_ name: Name, prefix: [UInt8]) -> Bool {
            guard name.starts(with: prefix) else { return false }
            let suffix = name.dropFirst(prefix.count)
            return suffix.count == 16 && suffix.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) }
        }

        /// A new file under an unpredictable name next to `name` in `folder`, never through a
        /// symbolic link and never one that already exists (a few tries, should a name be taken),
        /// then given `mode`.
        private static func createExclusively(in folder: Int32, besides name: String, path: String, mode: mode_t) throws -> (String, Int32) {
            for _ in 0..<8 {
                let name = name + ".partial-" + String(format: "%016llx", UInt64.random(in: .min ... .max))
                let fd = openat(folder, name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                if fd < 0 {
                    if errno == EEXIST { continue }
                    break
                }
                // Held until the file is renamed or removed: a writer killed before then leaves a
                // file nobody holds, which the next writer of the path removes.
                _ = flock(fd, LOCK_EX | LOCK_NB)
                // open(2) applies the umask; the mode asked for is the mode the file gets.
                guard fchmod(fd, mode) == 0 else {
                    let reason = String(cString: strerror(errno)).lowercased()
                    close(fd); unlinkat(folder, name, 0)
                    throw WriteError(path: path, reason: reason)
                }
                return (name, fd)
            }
            throw WriteError(path: path, reason: String(cString: strerror(errno)).lowercased())
        }

        /// Writes all of `data` (retrying short writes and EINTR).
        public func write(_ data: Data) throws {
            var offset = 0
            while offset < data.count {
                let n = data[offset...].withUnsafeBytes { Glibc.write(descriptor, $0.baseAddress, $0.count) }
                if n < 0 {
                    if errno == EINTR { continue }
                    throw WriteError(path: path, reason: String(cString: strerror(errno)).lowercased())
                }
                offset += n
            }
        }

        /// fsync, the final check, then rename over `path` in the folder opened at the start. The
        /// descriptor (and its lock) is closed after the rename, so the temporary name never exists
        /// without its holder.
        public func commit() throws {
            guard open else { return }
            open = false
            defer { close(descriptor); close(folder) }
            fsync(descriptor)
            do {
                try Self.refuseNonRegular(in: folder, name: name, path: path)
                try finalCheck?(folder, name)
            } catch {
                unlinkat(folder, partialName, 0)
                throw error
            }
            guard renameat(folder, partialName, folder, name) == 0 else {
                let reason = String(cString: strerror(errno)).lowercased()
                unlinkat(folder, partialName, 0)
                throw WriteError(path: path, reason: reason)
            }
        }

        /// Removes the partial file, then closes it.
        public func discard() {
            guard open else { return }
            open = false
            unlinkat(folder, partialName, 0)
            close(descriptor)
            close(folder)
        }

        deinit { discard() }
    }

    /// Writes `data` to `path` with exactly `mode`, whatever the umask (reports and metrics hold
    /// counts, names and redacted errors — no personal data — and are read by other users: a web
    /// server, node_exporter; see docs/security.md "Files").
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644, finalCheck: FinalCheck? = nil) throws {
        let file = try Writer(path: path, mode: mode, finalCheck: finalCheck)
        do {
            try file.write(data)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }
}
