import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A folder only its owner may enter (0700) whatever the umask: the warehouse's folder and the
/// downloads folder hold personal data (docs/security.md "Files"). The one place dataflow makes
/// a folder private.
///
/// ```swift
/// try PrivateFolder.make("warehouse/downloads", what: "the download folder")
/// ```
public enum PrivateFolder {
    /// Creates `path` 0700 (missing parents too), or makes an existing folder of this user's 0700.
    /// A folder of another user's, or a shared one (the sticky bit, as `/tmp` has), is refused,
    /// not changed: a chmod would take its owner's or other users' access away, and private files
    /// do not belong there. Errors name `what` and the path.
    public static func make(_ path: String, what: String) throws {
        var st = stat()
        if stat(path, &st) != 0 {
            if let error = create(path) { throw FileAccessError(path: path, action: "create \(what)", errno: error) }
            guard stat(path, &st) == 0 else { throw FileAccessError(path: path, action: "create \(what)", errno: errno) }
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw FileAccessError(path: path, action: "use \(what)", errno: ENOTDIR) }
        guard st.st_mode & 0o777 != 0o700 else { return }
        if st.st_uid != geteuid() || st.st_mode & S_ISVTX != 0 {
            throw FileAccessError(path: path, action: "use \(what): it is \(st.st_uid != geteuid() ? "another user's folder (uid \(st.st_uid))" : "a shared folder (sticky bit)"), mode \(String(st.st_mode & 0o7777, radix: 8)), left as it is; give the warehouse a folder of its own", errno: EPERM)
        }
        // mkdir's mode passes through the umask, and an old folder may have any mode.
        guard chmod(path, 0o700) == 0 else { throw FileAccessError(path: path, action: "make \(what) private (chmod 0700)", errno: errno) }
    }

    /// mkdir -p with mode 0700; the errno of the first failure, nil on success.
    private static func create(_ path: String) -> Int32? {
        if mkdir(path, 0o700) == 0 || errno == EEXIST { return nil }
        guard errno == ENOENT else { return errno }
        let parent = (path as NSString).deletingLastPathComponent
        guard !parent.isEmpty, parent != path else { return ENOENT }
        if let error = create(parent) { return error }
        return mkdir(path, 0o700) == 0 || errno == EEXIST ? nil : errno
    }
}
