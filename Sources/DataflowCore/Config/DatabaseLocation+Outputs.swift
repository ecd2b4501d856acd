import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseLocation {
    /// Refuses a file a command would write whole (`export -o`, `catalog -o`, `sync
    /// --metrics-file`) when it is this SQLite warehouse or one of its companion files (`-wal`,
    /// `-shm`, `.lock`): the write would replace the database. Compared by device and inode when
    /// both exist (so a symlink or hard link is caught), and by resolved path otherwise.
    ///
    /// ```swift
    /// try project.warehouse.refuseAsOutput("warehouse/county.db")   // throws TableExporter.UsageError
    /// ```
    public func refuseAsOutput(_ target: String, option: String = "-o", writing what: String = "export",
                               nothing: String = "nothing was exported") throws {
        guard case .sqlite(let database) = self else { return }
        let resolvedTarget = Self.resolvedPath(target)
        var targetStat = stat()
        let targetExists = stat(target, &targetStat) == 0
        let files = [(database, "database"), (database + "-wal", "write-ahead log"), (database + "-shm", "shared-memory file"),
                     (database + ".lock", "run lock")]
        for (file, role) in files {
            var fileStat = stat()
            let sameInode = targetExists && stat(file, &fileStat) == 0 && fileStat.st_dev == targetStat.st_dev && fileStat.st_ino == targetStat.st_ino
            guard sameInode || Self.resolvedPath(file) == resolvedTarget else { continue }
            throw TableExporter.UsageError(message: "\(option) \(target) is the warehouse's \(role) (\(file)): the \(what) would replace it."
                + " Choose another file; \(nothing)")
        }
    }

    /// `path` made absolute, with symlinks, `.` and `..` resolved as far as the path exists (a file
    /// not created yet resolves through its folder).
    static func resolvedPath(_ path: String) -> String {
        let absolute = path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
        var head = absolute, tail: [String] = []
        while head != "/" && !head.isEmpty {
            if let real = realpath(head, nil) {
                defer { free(real) }
                return ([String(cString: real)] + tail.reversed()).joined(separator: "/").replacingOccurrences(of: "//", with: "/")
            }
            tail.append((head as NSString).lastPathComponent)
            head = (head as NSString).deletingLastPathComponent
        }
        return (absolute as NSString).standardizingPath
    }
}
