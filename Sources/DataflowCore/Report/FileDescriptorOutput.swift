import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Writes whole buffers to a file descriptor, retrying short writes and EINTR.
enum FileDescriptorOutput {
    static func writeAll(_ fd: Int32, _ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.write(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                throw CSVWriter.WriteError(message: "write failed: \(String(cString: strerror(errno)))")
            }
            offset += n
        }
    }
}
