import DataflowCore
import Foundation
import Testing

/// The warehouse's files are private whatever the umask, loose ones are tightened (an existing
/// folder is left as it is), nothing is written through a planted symbolic link, and the read-only
/// commands work for a user who may read but not write the warehouse. The tests run as root, which
/// ignores file modes, so the other user is real: `nobody`, through `setpriv`.
@Suite("Warehouse file modes and read-only access")
struct FileModesTests {
    static func mode(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_mode & 0o777) : nil
    }

    /// The mode with the sticky, setgid and setuid bits.
    static func fullMode(_ path: String) -> Int? {
        var st = stat()
        return stat(path, &st) == 0 ? Int(st.st_mode & 0o7777) : nil
    }

    /// The JSON log's events (stderr of a run with `--log-format json`).
    static func events(_ stderr: String) -> [[String: Any]] {
        stderr.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    /// Runs the real binary under `umask 022`.
    static func underUmask022(_ project: CountyProject, _ arguments: [String]) throws -> CommandResult {
        try Command.run("/bin/sh", ["-c", "umask 022; exec \"$0\" \"$@\"", Binaries.dataflow] + arguments + ["--project", project.root.path],
                        environment: project.environment, in: project.root)
    }

    /// Runs the real binary as `nobody` (no groups), who owns nothing of the project.
    static func asNobody(_ project: CountyProject, _ arguments: [String]) throws -> CommandResult {
        try Command.run("/usr/bin/setpriv", ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Binaries.dataflow]
                        + arguments + ["--project", project.root.path], environment: project.environment, in: project.root)
    }

    /// The metrics file is 0644 on purpose (counts and redacted errors, read by node_exporter as
    /// another user), and that exact mode survives a restrictive umask; the warehouse stays private.
    @Test func theMetricsFileKeepsItsModeUnderUmask077() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 20)
        let project = try CountyProject(sandbox: sandbox)
        let metrics = project.root.appendingPathComponent("dataflow.prom").path
        let run = try Command.run("/bin/sh", ["-c", "umask 077; exec \"$0\" \"$@\"", Binaries.dataflow, "sync", "--quiet",
                                              "--metrics-file", metrics, "--project", project.root.path],
                                  environment: project.environment, in: project.root)
        #expect(run.status == 0, "\(run.output)")
        #expect(Self.mode(metrics) == 0o644, "node_exporter must be able to read it")
        #expect(Self.mode(project.warehousePath) == 0o600)
    }

    /// A missing warehouse folder is created 0700; an existing one is never changed.
    @Test func aSyncUnderUmask022MakesTheWarehousePrivateAndTightensLooseFileModes() throws {
        let sandbox = try Sandbox(rows: 200, caseRows: 60)
        let project = try CountyProject(sandbox: sandbox)
        let folder = (project.warehousePath as NSString).deletingLastPathComponent
        let first = try Self.underUmask022(project, ["sync", "--quiet"])
        #expect(first.status == 0, "\(first.output)")
        #expect(Self.mode(folder) == 0o700)
        #expect(Self.mode(project.warehousePath) == 0o600)
        for companion in ["-wal", "-shm", ".lock"] where FileManager.default.fileExists(atPath: project.warehousePath + companion) {
            #expect(Self.mode(project.warehousePath + companion) == 0o600, "\(companion)")
        }

        // A database someone loosened is tightened by the next sync, which says so — in the
        // log's own format: with --log-format json every stderr line is a JSON object. The folder
        // someone opened is theirs to decide: left 0755, with one warning.
        chmod(folder, 0o755)
        chmod(project.warehousePath, 0o644)
        let second = try Self.underUmask022(project, ["sync", "--log-format", "json"])
        #expect(second.status == 0, "\(second.output)")
        #expect(Self.mode(folder) == 0o755 && Self.mode(project.warehousePath) == 0o600)
        let lines = second.stderr.split(separator: "\n").map(String.init)
        let events = Self.events(second.stderr)
        #expect(events.count == lines.count, "a plain-text line in a JSON log: \(second.stderr)")
        #expect(events.contains { $0["event"] as? String == "tightened file mode" && $0["from"] as? String == "644" }, "\(second.stderr)")
        #expect(!events.contains { $0["event"] as? String == "tightened file mode" && $0["path"] as? String == folder }, "\(second.stderr)")
        #expect(events.filter { ($0["event"] as? String)?.hasPrefix("the warehouse folder is open to other users") == true }.count == 1, "\(second.stderr)")
    }

    /// `warehouse: sqlite:/tmp/county.db` run as root must not lock every other user out of /tmp:
    /// an existing shared folder (1777, sticky) keeps its mode and sticky bit, the sync warns about
    /// it once, and the warehouse's own files are still 0600.
    @Test func aSyncLeavesAnExistingSharedFolderAsItIsAndKeepsItsFilesPrivate() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 20)
        let project = try CountyProject(sandbox: sandbox)
        let folder = (project.warehousePath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        #expect(chmod(folder, 0o1777) == 0)
        let run = try Self.underUmask022(project, ["sync", "--log-format", "json"])
        #expect(run.status == 0, "\(run.output)")
        #expect(Self.fullMode(folder) == 0o1777, "the shared folder keeps its mode and sticky bit")
        #expect(Self.mode(project.warehousePath) == 0o600)
        for companion in ["-wal", "-shm", ".lock"] where FileManager.default.fileExists(atPath: project.warehousePath + companion) {
            #expect(Self.mode(project.warehousePath + companion) == 0o600, "\(companion)")
        }
        let warnings = Self.events(run.stderr).filter { ($0["event"] as? String)?.hasPrefix("the warehouse folder is open to other users") == true }
        #expect(warnings.count == 1 && warnings.first?["path"] as? String == folder && warnings.first?["mode"] as? String == "1777", "\(run.stderr)")
    }

    /// In a folder others may write to, a symbolic link planted at the lock's or the WAL's name
    /// would lend its target our lock file or our chmod: the sync refuses it, naming it, and the
    /// target is neither created nor changed.
    @Test func aSymbolicLinkAtAWarehouseFilesNameIsRefusedAndItsTargetLeftAlone() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        let folder = (project.warehousePath as NSString).deletingLastPathComponent
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let notes = project.root.appendingPathComponent("notes.txt").path
        for companion in [".lock", "-wal"] {
            let planted = project.warehousePath + companion
            let target = project.root.appendingPathComponent("target\(companion).txt").path
            if companion == "-wal" {
                try "keep me\n".write(toFile: notes, atomically: false, encoding: .utf8)
                chmod(notes, 0o644)
                try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: notes)
            } else {
                try FileManager.default.createSymbolicLink(atPath: planted, withDestinationPath: target)
            }
            let run = try project.dataflow("sync", "--quiet")
            #expect(run.status != 0, "\(companion): \(run.output)")
            #expect(run.stderr.contains("\(planted) is a symbolic link; a warehouse file must be a plain file"), "\(companion): \(run.stderr)")
            if companion == "-wal" {
                #expect(try String(contentsOfFile: notes, encoding: .utf8) == "keep me\n")
                #expect(Self.mode(notes) == 0o644, "the link's target keeps its mode")
            } else {
                #expect(!FileManager.default.fileExists(atPath: target), "the lock is never created through the link")
            }
            try FileManager.default.removeItem(atPath: planted)
        }
    }

    @Test func readOnlyCommandsWorkForAUserWhoCannotWriteTheWarehouse() throws {
        let sandbox = try Sandbox(rows: 200, caseRows: 60)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        // The run is in the database file itself, not left in the WAL: a reader who cannot
        // write beside the file opens it immutable, and would not see the WAL.
        let wal = (try? FileManager.default.attributesOfItem(atPath: project.warehousePath + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0, "the WAL still holds \(wal) bytes after the sync")
        let folder = (project.warehousePath as NSString).deletingLastPathComponent
        let before = try Data(contentsOf: URL(fileURLWithPath: project.warehousePath))

        // Readable by others, writable only by its owner (a shared read-only copy).
        chmod(folder, 0o755)
        chmod(project.warehousePath, 0o644)
        for arguments in [["status"], ["catalog"], ["rejects"], ["export", "market_licenses"]] {
            let result = try Self.asNobody(project, arguments)
            #expect(result.status == 0, "\(arguments): \(result.output)")
            #expect(!result.output.contains("NSCocoaErrorDomain"), "\(arguments): \(result.output)")
            // A masked export that cannot be logged goes ahead with a warning (docs/export.md); nothing else writes.
            #expect(arguments[0] == "export" ? result.stderr.contains("could not be logged") : !result.output.contains("readonly"), "\(arguments): \(result.output)")
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: project.warehousePath)) == before, "a read changes nothing, not even a migration")

        // An export into a drop box: a folder others may write to and enter but not list (0733).
        let dropBox = project.root.appendingPathComponent("drop-box").path
        try FileManager.default.createDirectory(atPath: dropBox, withIntermediateDirectories: true)
        chmod(dropBox, 0o733)
        let dropped = try Self.asNobody(project, ["export", "market_licenses", "-o", dropBox + "/licences.csv"])
        #expect(dropped.status == 0, "\(dropped.output)")
        #expect(Self.mode(dropBox + "/licences.csv") == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dropBox) == ["licences.csv"])

        // Not readable at all: one plain sentence and exit 1.
        chmod(folder, 0o700)
        let denied = try Self.asNobody(project, ["status"])
        #expect(denied.status == 1)
        #expect(denied.stderr.contains("cannot read the warehouse at \(project.warehousePath): permission denied"), "\(denied.stderr)")
        #expect(!denied.stderr.contains("NSCocoaErrorDomain") && !denied.stderr.contains("run `dataflow sync` first"), "\(denied.stderr)")
    }

    /// A user who cannot write beside the warehouse reads it without SQLite's locks: a run that
    /// writes the file while such a user exports makes the export fail (exit 1, saying why)
    /// instead of handing on rows that may mix two states; with a run's pages in a WAL this user
    /// cannot read, nothing is read. The export is held mid-stream by not reading its pipe while
    /// the file is written.
    @Test func aLocklessReadThatARunChangesUnderItFails() throws {
        let sandbox = try Sandbox(rows: 3000, caseRows: 20)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let folder = (project.warehousePath as NSString).deletingLastPathComponent
        chmod(folder, 0o755)
        chmod(project.warehousePath, 0o644)
        let whole = try Self.asNobody(project, ["export", "market_licenses"])
        #expect(whole.status == 0, "\(whole.output)")
        #expect(whole.stdout.utf8.count > 200_000, "more than a pipe holds: \(whole.stdout.utf8.count) bytes")

        let export = Process()
        export.executableURL = URL(fileURLWithPath: "/usr/bin/setpriv")
        export.arguments = ["--reuid=nobody", "--regid=nogroup", "--clear-groups", Binaries.dataflow, "export", "market_licenses", "--project", project.root.path]
        export.environment = ProcessInfo.processInfo.environment.merging(project.environment) { $1 }
        export.currentDirectoryURL = project.root
        let out = Pipe(), err = Pipe()
        export.standardOutput = out
        export.standardError = err
        try export.run()
        var read = out.fileHandleForReading.availableData   // rows are flowing; the rest waits for the pipe
        #expect(!read.isEmpty)
        // What a checkpoint does: pages written into the database file (here the same bytes again).
        let db = open(project.warehousePath, O_WRONLY)
        #expect(db >= 0)
        var header = [UInt8](repeating: 0, count: 100)
        let source = try Data(contentsOf: URL(fileURLWithPath: project.warehousePath)).prefix(100)
        header.replaceSubrange(0..<100, with: source)
        #expect(pwrite(db, header, 100, 0) == 100)
        close(db)
        read.append(out.fileHandleForReading.readDataToEndOfFile())
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        export.waitUntilExit()
        #expect(export.terminationStatus == 1, "\(stderr)")
        #expect(stderr.contains("was written, or its mode or owner changed, while it was read") && stderr.contains("Read it again when the run has finished"), "\(stderr)")

        // A run's pages in the WAL (a connection that committed and is still open), which this
        // user cannot read: the file alone may be half a checkpoint, so nothing is read.
        let writer = try SQLiteDatabase(path: project.warehousePath)
        try writer.exec("PRAGMA wal_autocheckpoint = 0; INSERT OR REPLACE INTO _dataflow_meta (name, value) VALUES ('test', 'x')")
        let wal = (try? FileManager.default.attributesOfItem(atPath: project.warehousePath + "-wal")[.size] as? Int) ?? 0
        #expect(wal > 0)
        // SQLite gives them the database file's mode; kept from others as a sync keeps them.
        chmod(project.warehousePath + "-wal", 0o600)
        chmod(project.warehousePath + "-shm", 0o600)
        for arguments in [["status"], ["catalog"], ["export", "market_licenses"]] {
            let refused = try Self.asNobody(project, arguments)
            #expect(refused.status == 1, "\(arguments): \(refused.output)")
            #expect(refused.stdout.isEmpty, "\(arguments): \(refused.stdout.prefix(200))")
            #expect(refused.stderr.contains("a dataflow run is writing it, or one was killed while writing it")
                    && refused.stderr.contains("Read it when the run has finished"), "\(arguments): \(refused.stderr)")
        }
        withExtendedLifetime(writer) {}
    }

    @Test func anExportIntoAMissingFolderExitsOneAndSaysSo() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 10)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let target = project.root.appendingPathComponent("no-such-folder/licences.csv").path
        let result = try project.dataflow("export", "market_licenses", "-o", target)
        #expect(result.status == 1, "\(result.output)")
        #expect(result.stderr.contains("cannot write \(target): no such file or directory"), "\(result.stderr)")
        let written = project.root.appendingPathComponent("licences.csv").path
        #expect(try project.dataflow("export", "market_licenses", "-o", written).status == 0)
        #expect(Self.mode(written) == 0o600, "an export holds the county's records")
    }

    /// A synced county project with an empty folder `shared` holding one file of someone else's,
    /// `notes.txt` ("keep me", 0644), for tests of what an export does beside it.
    static func syncedProjectWithSharedFolder(_ sandbox: Sandbox) throws -> (project: CountyProject, folder: String, notes: String) {
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "--quiet").status == 0)
        let folder = project.root.appendingPathComponent("shared").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        let notes = folder + "/notes.txt"
        try "keep me\n".write(toFile: notes, atomically: false, encoding: .utf8)
        chmod(notes, 0o644)
        return (project, folder, notes)
    }

    /// `export -o FILE` once wrote through `FILE.partial`, following a symbolic link planted there
    /// and replacing its target. The temporary file now has a name nobody can predict and is
    /// created exclusively: the link's target is left alone and the export still succeeds.
    @Test func anExportNeverWritesThroughALinkPlantedAtThePartialName() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 10)
        let (project, folder, notes) = try Self.syncedProjectWithSharedFolder(sandbox)
        try FileManager.default.createSymbolicLink(atPath: folder + "/out.csv.partial", withDestinationPath: "notes.txt")
        let result = try project.dataflow("export", "market_licenses", "-o", folder + "/out.csv")
        #expect(result.status == 0, "\(result.output)")
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "keep me\n", "the link's target is unchanged")
        #expect(Self.mode(notes) == 0o644)
        let exported = try String(contentsOfFile: folder + "/out.csv", encoding: .utf8)
        let plain = try project.dataflow("export", "market_licenses")
        #expect(plain.status == 0 && !plain.stdout.isEmpty && exported == plain.stdout, "the whole export reached FILE")
        #expect(Self.mode(folder + "/out.csv") == 0o600)
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).sorted() == ["notes.txt", "out.csv", "out.csv.partial"],
                "no temporary file is left, and the planted link is not ours to remove")
    }

    /// An export killed mid-write (kill -9) leaves its `FILE.partial-…` behind, holding the
    /// county's records. The next export to FILE removes every leftover nobody holds, and leaves
    /// alone a partial file another live writer holds (`flock`), a symbolic link, and names that
    /// are not dataflow's. The writer here is a real process, killed with SIGKILL.
    @Test func aPartialFileLeftByAKilledWriterIsRemovedByTheNextExport() throws {
        let sandbox = try Sandbox(rows: 50, caseRows: 10)
        let (project, folder, notes) = try Self.syncedProjectWithSharedFolder(sandbox)
        let out = folder + "/out.csv"
        let stale = out + ".partial-00000000deadbeef"
        try "91330782MA2EXAMPLE,张三\n".write(toFile: stale, atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: out + ".partial-fedcba9876543210", withDestinationPath: "notes.txt")
        for other in [out + ".partial-0123", out + ".partial-0123456789ABCDEF", folder + "/other.csv.partial-0123456789abcdef"] {
            try "not ours\n".write(toFile: other, atomically: false, encoding: .utf8)
        }
        // A writer that is still alive: its own partial file, held with flock(2) as AtomicFile holds it.
        let live = out + ".partial-1111111111111111"
        let writer = Process()
        writer.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        writer.arguments = ["python3", "-c", """
            import fcntl, os, sys, time
            fd = os.open(sys.argv[1], os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            fcntl.flock(fd, fcntl.LOCK_EX)
            os.write(fd, b"half an export")
            print("holding", flush=True)
            time.sleep(120)
            """, live]
        let ready = Pipe()
        writer.standardOutput = ready
        try writer.run()
        defer { if writer.isRunning { kill(writer.processIdentifier, SIGKILL) } }
        #expect(String(decoding: ready.fileHandleForReading.availableData, as: UTF8.self).contains("holding"))

        func listing() throws -> [String] { try FileManager.default.contentsOfDirectory(atPath: folder).sorted() }
        let notOurs = ["notes.txt", "other.csv.partial-0123456789abcdef", "out.csv", "out.csv.partial-0123", "out.csv.partial-0123456789ABCDEF",
                       "out.csv.partial-fedcba9876543210"]
        var result = try project.dataflow("export", "market_licenses", "-o", out)
        #expect(result.status == 0, "\(result.output)")
        #expect(try listing() == (notOurs + ["out.csv.partial-1111111111111111"]).sorted(),
                "the leftover nobody held is gone; the live writer's file stays")

        kill(writer.processIdentifier, SIGKILL)
        writer.waitUntilExit()
        #expect(writer.terminationReason == .uncaughtSignal)
        result = try project.dataflow("export", "market_licenses", "-o", out)
        #expect(result.status == 0, "\(result.output)")
        #expect(try listing() == notOurs.sorted(), "the killed writer's file is removed by the next export")
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "keep me\n", "the link's target is untouched")
        let plain = try project.dataflow("export", "market_licenses")
        #expect(try String(contentsOfFile: out, encoding: .utf8) == plain.stdout && !plain.stdout.isEmpty)
    }
}
