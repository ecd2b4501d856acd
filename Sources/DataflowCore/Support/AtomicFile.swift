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
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// A file being written under `PATH.partial-<random>`; `commit()` puts it in place,
    /// `discard()` (or an error before `commit()`) leaves nothing behind.
    public final class Writer {
        public let path: String
        /// The temporary file's name: `path`, `.partial-` and 16 random hex digits.
        public let partial: String
        /// The descriptor to write to (close-on-exec).
        public let descriptor: Int32
        private var open = true

        /// Creates a new `path + ".partial-<random>"` with exactly `mode`; the folder must exist.
        public init(path: String, mode: mode_t) throws {
            self.path = path
            (partial, descriptor) = try Self.createExclusively(besides: path, mode: mode)
        }

        /// A new file under an unpredictable name next to `path`, never through a symbolic link and
        /// never one that already exists (a few tries, should a name be taken), then given `mode`.
        private static func createExclusively(besides path: String, mode: mode_t) throws -> (String, Int32) {
            for _ in 0..<8 {
                let name = path + ".partial-" + String(format: "%016llx", UInt64.random(in: .min ... .max))
                let fd = Glibc.open(name, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0o600)
                if fd < 0 {
                    if errno == EEXIST { continue }
                    break
                }
                // open(2) applies the umask; the mode asked for is the mode the file gets.
                guard fchmod(fd, mode) == 0 else {
                    let reason = String(cString: strerror(errno)).lowercased()
                    close(fd); unlink(name)
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

        /// fsync, then rename over `path`.
        public func commit() throws {
            guard open else { return }
            open = false
            fsync(descriptor)
            close(descriptor)
            guard rename(partial, path) == 0 else {
                let reason = String(cString: strerror(errno)).lowercased()
                unlink(partial)
                throw WriteError(path: path, reason: reason)
            }
        }

        /// Closes and removes the partial file.
        public func discard() {
            guard open else { return }
            open = false
            close(descriptor)
            unlink(partial)
        }

        deinit { discard() }
    }

    /// Writes `data` to `path` with exactly `mode`, whatever the umask (reports and metrics hold
    /// counts, names and redacted errors — no personal data — and are read by other users: a web
    /// server, node_exporter; see docs/security.md "Files").
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let file = try Writer(path: path, mode: mode)
        do {
            try file.write(data)
            try file.commit()
        } catch {
            file.discard()
            throw error
        }
    }
}
