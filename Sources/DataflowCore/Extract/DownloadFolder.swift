import Foundation

/// The private folder where streamed downloads (NDJSON, CSV) are written while they are read.
///
/// Downloads hold raw personal data, so they stay out of the world-readable temporary folder:
/// next to a SQLite warehouse (`<warehouse folder>/downloads`), or in the project
/// (`<project>/.dataflow/downloads`) for a PostgreSQL one. The folder is 0700 and each file 0600,
/// whatever the umask. A file is removed as soon as it has been read; files left by a killed run
/// are removed when the next sync starts (it holds the run lock, so no other run is writing).
///
/// ```swift
/// let folder = DownloadFolder(project: project)
/// let removed = try folder.prepare()      // at the start of a sync
/// let path = folder.newFile()             // for one download
/// ```
public struct DownloadFolder: Sendable {
    /// The folder's absolute path.
    public let path: String

    public init(path: String) { self.path = path }

    /// Where a project's downloads go.
    public init(project: ProjectConfig) {
        switch project.warehouse {
        case .sqlite(let database):
            path = URL(fileURLWithPath: database).deletingLastPathComponent().appendingPathComponent("downloads").path
        case .postgres, .registered:
            path = URL(fileURLWithPath: project.root).appendingPathComponent(".dataflow/downloads").path
        }
    }

    /// A download file name in this folder; the transport creates it 0600.
    public func newFile() -> String {
        path + "/" + Self.prefix + UUID().uuidString
    }

    static let prefix = "download-"

    /// Creates the folder (0700, and made 0700 if it exists with another mode) and removes the
    /// downloads a killed run left behind. Returns how many were removed.
    @discardableResult
    public func prepare() throws -> Int {
        try ensure()
        var removed = 0
        for name in try FileManager.default.contentsOfDirectory(atPath: path) where name.hasPrefix(Self.prefix) {
            try FileManager.default.removeItem(atPath: path + "/" + name)
            removed += 1
        }
        return removed
    }

    /// Creates the folder (0700) when missing and makes it 0700 when it is not; leaves its files alone.
    public func ensure() throws {
        try PrivateFolder.make(path, what: "the download folder")
    }
}
