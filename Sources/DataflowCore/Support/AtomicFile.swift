import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes a whole file atomically: a temporary file in the same folder, fsync, then rename(2), so
/// a reader (node_exporter's textfile collector, a web server) never sees half a file.
///
/// ```swift
/// try AtomicFile.write(Data("dataflow_up 1\n".utf8), to: "/var/lib/node_exporter/dataflow.prom")
/// ```
public enum AtomicFile {
    /// A failed write, naming the file.
    public struct WriteError: Error, CustomStringConvertible {
        public var path: String
        public var reason: String
        public var description: String { "cannot write \(path): \(reason)" }
    }

    /// Writes `data` to `path` with exactly `mode`, whatever the umask (reports and metrics hold
    /// counts, names and redacted errors — no personal data — and are read by other users: a web
    /// server, node_exporter; see docs/security.md "Files").
    public static func write(_ data: Data, to path: String, mode: mode_t = 0o644) throws {
        let dir = (path as NSString).deletingLastPathComponent
        let temp = (dir.isEmpty ? "." : dir) + "/." + (path as NSString).lastPathComponent + ".tmp-\(getpid())"
        let fd = open(temp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode)
        guard fd >= 0 else { throw WriteError(path: path, reason: String(cString: strerror(errno))) }
        // open(2) applies the umask; the mode asked for is the mode the file gets.
        guard fchmod(fd, mode) == 0 else {
            let reason = String(cString: strerror(errno))
            close(fd); unlink(temp)
            throw WriteError(path: path, reason: reason)
        }
        var offset = 0
        while offset < data.count {
            let n = data[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                let reason = String(cString: strerror(errno))
                close(fd); unlink(temp)
                throw WriteError(path: path, reason: reason)
            }
            offset += n
        }
        fsync(fd)
        close(fd)
        guard rename(temp, path) == 0 else {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw WriteError(path: path, reason: reason)
        }
    }
}
