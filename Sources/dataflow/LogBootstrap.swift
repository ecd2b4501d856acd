import DataflowCore
import Foundation
import Logging

/// Sends the library's own log lines (the warehouse's `tightened file mode` notice, …) the same
/// way as the run's events: JSON lines with `--log-format json` — so a log shipper never meets a
/// plain-text line — text otherwise, nothing below errors with `--quiet`, every line redacted.
enum LogBootstrap {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var installed = false   // guarded by `lock`

    /// Installs the process's log handler once (swift-log allows one bootstrap per process).
    static func install(format: LogFormat, quiet: Bool, redactor: Redactor) {
        lock.withLock {
            guard !installed else { return }
            installed = true
            LoggingSystem.bootstrap { label in
                var handler: LogHandler
                switch format {
                case .json: handler = JSONLinesLogHandler(redactor: redactor)
                case .text: handler = StreamLogHandler.standardError(label: label)
                }
                handler.logLevel = quiet ? .error : .info
                return handler
            }
        }
    }
}
