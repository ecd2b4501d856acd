import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A file or folder dataflow needs that this user may not create, read or change, said plainly.
public struct FileAccessError: Error, CustomStringConvertible {
    public var path: String
    public var action: String
    public var errno: Int32

    public init(path: String, action: String, errno: Int32) {
        self.path = path
        self.action = action
        self.errno = errno
    }

    public var description: String {
        let reason = String(cString: strerror(errno)).lowercased()
        return "cannot \(action) at \(path): \(reason) (check the owner and permissions of the file and its folder)"
    }
}
