import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The one-run-at-a-time lock: an exclusive `flock` on `<warehouse>.lock`, released by the kernel
/// when the process ends (also on kill -9), so a stale lock can never block cron.
public final class WarehouseLock {
    /// Another process holds the lock.
    public struct Held: Error, CustomStringConvertible {
        public var lockPath: String
        public var holder: String

        public init(lockPath: String, holder: String) {
            self.lockPath = lockPath
            self.holder = holder
        }

        public var description: String {
            "another dataflow run holds the lock on \(lockPath)\(holder.isEmpty ? "" : " (\(holder))"); this run exits without changing anything"
        }
    }

    private let fd: Int32
    public let path: String

    /// Takes the lock without waiting, or throws `Held`. `create: false` only tests an existing lock
    /// file (read-only, for `status`).
    public init(path: String, create: Bool = true) throws {
        self.path = path
        let fd = create ? open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600) : open(path, O_RDONLY | O_CLOEXEC)
        guard fd >= 0 else { throw FileAccessError(path: path, action: "open the run lock", errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let n = pread(fd, &buffer, buffer.count, 0)
            close(fd)
            let holder = n > 0 ? String(decoding: buffer.prefix(n), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines) : ""
            throw Held(lockPath: path, holder: holder)
        }
        self.fd = fd
        let note = "pid \(getpid()), started \(Timestamp.now())\n"
        _ = ftruncate(fd, 0)
        _ = note.withCString { pwrite(fd, $0, strlen($0), 0) }
    }

    deinit {
        _ = ftruncate(fd, 0)
        flock(fd, LOCK_UN)
        close(fd)
    }
}
