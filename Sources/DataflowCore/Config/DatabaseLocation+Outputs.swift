import Foundation
#if canImport(Glibc)
import Glibc
#endif

extension DatabaseLocation {
    /// Refuses a file a command would write whole (`export -o`, `catalog -o`, `sync
    /// --metrics-file`) when it is this SQLite warehouse or one of its companion files (`-wal`,
    /// `-shm`, `-journal`, `.lock`): the write would replace the database. Compared by device and
    /// inode when both exist (so a symlink or hard link is caught), and by resolved path otherwise.
    /// First, for any warehouse, a target that cannot be written as a whole file (empty, a folder,
    /// a pipe, a device: `AtomicFile.refuseAsTarget`).
    ///
    /// ```swift
    /// try project.warehouse.refuseAsOutput("warehouse/county.db")   // throws TableExporter.UsageError
    /// ```
    public func refuseAsOutput(_ target: String, option: String = "-o", writing what: String = "export",
                               nothing: String = "nothing was exported") throws {
        do { try AtomicFile.refuseAsTarget(target) } catch let error as AtomicFile.WriteError {
            throw TableExporter.UsageError(message: "\(option) \(error); \(nothing)")
        }
        guard case .sqlite(let database) = self else { return }
        let resolvedTarget = Self.resolvedPath(target)
        var targetStat = stat()
        let targetExists = stat(target, &targetStat) == 0
        for (suffix, role) in Self.companions {
            let file = database + suffix
            var fileStat = stat()
            let sameInode = targetExists && stat(file, &fileStat) == 0 && fileStat.st_dev == targetStat.st_dev && fileStat.st_ino == targetStat.st_ino
            guard sameInode || Self.resolvedPath(file) == resolvedTarget else { continue }
            throw Self.refusal(option: option, target: target, role: role, file: file, writing: what, nothing: nothing)
        }
    }

    /// The same rule where the write happens (`AtomicFile`'s final check, just before its
    /// rename): the folder the writer opened, and the name it will replace there. `refuseAsOutput`
    /// judges the path before anything is written; a symbolic link on that path changed later
    /// (to point into the warehouse's folder) would otherwise let the rename replace the database.
    /// Refused: a name in that folder that is one of the warehouse's files now (same device and
    /// inode: another spelling on a case-insensitive file system, a hard link), and the
    /// warehouse's own names when the folder is the one its files are in (by the configured
    /// path or the real one behind a symbolic link), whether they exist yet or not. A rename over
    /// a symbolic link replaces the link, never the file it names. Nil for PostgreSQL.
    public func finalOutputCheck(_ target: String, option: String = "-o", writing what: String = "export",
                                 nothing: String = "nothing was exported") -> AtomicFile.FinalCheck? {
        guard case .sqlite(let database) = self else { return nil }
        return { folder, name in
            func refuse(_ suffix: String, _ role: String) -> Error {
                Self.refusal(option: option, target: target, role: role, file: database + suffix, writing: what, nothing: nothing)
            }
            var opened = stat(), named = stat()
            guard fstat(folder, &opened) == 0 else {
                throw AtomicFile.WriteError(path: target, reason: "cannot check the folder it goes to (\(String(cString: strerror(errno)).lowercased()))")
            }
            let nameExists = fstatat(folder, name, &named, AT_SYMLINK_NOFOLLOW) == 0
            // The configured path's folder (the run lock is beside it) and, behind a symbolic link,
            // the real database's (its `-wal` and `-shm` are beside that).
            let real = realpath(database, nil).map { resolved in defer { free(resolved) }; return String(cString: resolved) }
            let homes = [database] + (real.map { [$0] } ?? [])
            for (suffix, role) in Self.companions {
                var file = stat()
                if nameExists, stat(database + suffix, &file) == 0, file.st_dev == named.st_dev, file.st_ino == named.st_ino {
                    throw refuse(suffix, role)
                }
                for home in homes where Array(name.utf8) == Array(((home as NSString).lastPathComponent + suffix).utf8) {
                    let homeFolder = (home as NSString).deletingLastPathComponent
                    var held = stat()
                    if stat(homeFolder.isEmpty ? "." : homeFolder, &held) == 0, held.st_dev == opened.st_dev, held.st_ino == opened.st_ino {
                        throw refuse(suffix, role)
                    }
                }
            }
        }
    }

    /// The warehouse's file and its companions, by suffix, with what each is.
    private static let companions = [("", "database"), ("-wal", "write-ahead log"), ("-shm", "shared-memory file"), ("-journal", "rollback journal"),
                                     (".lock", "run lock")]

    private static func refusal(option: String, target: String, role: String, file: String, writing what: String, nothing: String) -> TableExporter.UsageError {
        TableExporter.UsageError(message: "\(option) \(target) is the warehouse's \(role) (\(file)): the \(what) would replace it."
            + " Choose another file; \(nothing)")
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
