import DataflowCore
import Foundation
import Testing

/// `dataflow export` refuses what would leak or destroy: `_hash` and `--where` on personal data in
/// a masked export, a mapped column the table does not have yet, and `-o` onto the warehouse.
@Suite("Export guards: derived personal values, unsynced columns, the warehouse as target")
struct ExportGuardTests {
    /// Rows in the export log.
    static func logged(_ project: CountyProject) throws -> Int64 {
        try project.reader().scalarInt("SELECT count(*) FROM _dataflow_exports", []) ?? -1
    }

    @Test func aMaskedExportRefusesTheHashOfPersonalValues() throws {
        let sandbox = try Sandbox(rows: 40, caseRows: 5)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        let db = try project.database()
        let hash = try #require(try db.scalarText("SELECT _hash FROM market_licenses WHERE _deleted = 0 ORDER BY rowid LIMIT 1"))

        // An unsalted hash of the clear values lets a script try names until one matches: refused.
        for format in ["csv", "ndjson"] {
            let masked = try project.dataflow("export", "market_licenses", "--format", format, "--columns", "uscc,name,legal_rep,_hash")
            #expect(masked.status == 2, "\(masked.output)")
            #expect(masked.stdout.isEmpty && !masked.stdout.contains(hash))
            #expect(masked.stderr.contains("_hash") && masked.stderr.contains("legal_rep") && masked.stderr.contains("--reveal-pii"), "\(masked.stderr)")
        }
        let byHash = try project.dataflow("export", "market_licenses", "--where", "_hash=\(hash)")
        #expect(byHash.status == 2 && byHash.stdout.isEmpty, "\(byHash.output)")
        #expect(byHash.stderr.contains("--reveal-pii"), "\(byHash.stderr)")
        #expect(try Self.logged(project) == 0, "a refused export is not logged: nothing left")

        // The clear view shows it (and is logged as such).
        let clear = try project.dataflow("export", "market_licenses", "--columns", "uscc,_hash", "--reveal-pii")
        #expect(clear.status == 0, "\(clear.output)")
        #expect(clear.stdout.split(separator: "\r\n").dropFirst().first?.hasSuffix(",\(hash)") == true, "\(clear.stdout.prefix(300))")
        #expect(try db.scalarInt("SELECT masked FROM _dataflow_exports ORDER BY id DESC LIMIT 1") == 0)

        // A dataset with no personal field keeps its _hash in a masked export.
        let fixed = try FixedWarehouse()
        let plain = try Command.run(Binaries.dataflow, ["export", "job_centres", "--columns", "centre_id,_hash", "--project", fixed.root.path], in: fixed.root)
        #expect(plain.status == 0 && plain.stdout.contains("JC001,h\r\n"), "\(plain.output)")
    }

    @Test func whereOnPersonalDataIsRefusedUnlessRevealed() throws {
        let sandbox = try Sandbox(rows: 60, caseRows: 5)
        // uscc personal too, so the key (and `_key`) holds personal data.
        let project = try CountyProject(sandbox: sandbox) { file, text in
            file == "market_licenses.yml" ? text.replacingOccurrences(of: "check: uscc, required: true }", with: "check: uscc, required: true, pii: true }") : text
        }
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        let db = try project.database()
        let rep = try #require(try db.scalarText("SELECT legal_rep FROM market_licenses WHERE _deleted = 0 AND legal_rep IS NOT NULL LIMIT 1"))
        let uscc = try #require(try db.scalarText("SELECT uscc FROM market_licenses WHERE _deleted = 0 LIMIT 1"))
        let division = try #require(try db.scalarText("SELECT division FROM market_licenses WHERE _deleted = 0 AND division IS NOT NULL LIMIT 1"))

        // Yes/no about a clear value — one guess, or thousands as one IN list — is refused.
        let guesses = ["--where", "legal_rep=\(rep)"] + (0..<500).flatMap { ["--where", "legal_rep=\(rep.prefix(1))\($0)"] }
        for args in [["--where", "legal_rep=\(rep)"], guesses, ["--where", "uscc=\(uscc)"], ["--where", "_key=\(uscc)"],
                     ["--changes-since", "0", "--where", "legal_rep=\(rep)"], ["--where", "division=\(division)", "--where", "legal_rep=\(rep)"]] {
            let refused = try project.dataflow(["export", "market_licenses", "--format", "ndjson"] + args)
            #expect(refused.status == 2, "\(args.prefix(4)): \(refused.output)")
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("--reveal-pii") && refused.stderr.contains("guessed clear value"), "\(refused.stderr)")
            #expect(!refused.stderr.contains(rep) && !refused.stderr.contains(uscc), "the message repeats no clear value")
        }
        #expect(try Self.logged(project) == 0)

        // A non-personal column filters as before.
        let byDivision = try project.dataflow("export", "market_licenses", "--format", "ndjson", "--where", "division=\(division)")
        #expect(byDivision.status == 0 && !byDivision.stdout.isEmpty, "\(byDivision.output)")

        // The clear view filters, and its log keeps the filter in clear.
        let clear = try project.dataflow("export", "market_licenses", "--format", "ndjson", "--reveal-pii", "--where", "legal_rep=\(rep)")
        #expect(clear.status == 0, "\(clear.output)")
        let rows = clear.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) }
        #expect(!rows.isEmpty && rows.allSatisfy { $0["legal_rep"] == .string(rep) })
        #expect(try db.scalarText("SELECT filter FROM _dataflow_exports ORDER BY id DESC LIMIT 1") == "[\"legal_rep=\(rep)\"]")
        #expect(try db.scalarInt("SELECT masked FROM _dataflow_exports ORDER BY id DESC LIMIT 1") == 0)
    }

    @Test(arguments: Backend.allCases)
    func aMappedColumnNotYetInTheTableIsRefusedNotExportedAsItsName(_ backend: Backend) throws {
        let sandbox = try Sandbox(rows: 30, caseRows: 5)
        let project = try CountyProject(sandbox: sandbox, backend: backend)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        // The mapping gains a field; no sync yet.
        let mapping = project.root.appendingPathComponent("Mappings/datasets/market_licenses.yml")
        try (try String(contentsOf: mapping, encoding: .utf8) + "  extra:       { from: EXTRA, type: text }\n").write(to: mapping, atomically: true, encoding: .utf8)

        for args in [[], ["--columns", "uscc,extra"], ["--columns", "uscc", "--where", "extra=extra"], ["--changes-since", "0", "--format", "ndjson"]] {
            let refused = try project.dataflow(["export", "market_licenses"] + args)
            #expect(refused.status == 2, "\(args): \(refused.output)")
            #expect(refused.stdout.isEmpty)
            #expect(refused.stderr.contains("column extra is not in the warehouse yet") && refused.stderr.contains("dataflow sync market_licenses"),
                    "\(refused.stderr)")
        }
        // Columns the table has still export.
        #expect(try project.dataflow("export", "market_licenses", "--columns", "uscc,name").status == 0)

        // After a sync the column exists and holds what the gateway sent (nothing), never its name.
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        let synced = try project.dataflow("export", "market_licenses", "--format", "ndjson", "--columns", "uscc,extra")
        #expect(synced.status == 0, "\(synced.output)")
        let rows = synced.stdout.split(separator: "\n").compactMap { try? JSONParser.parse(Array($0.utf8)) }
        #expect(rows.count > 20 && rows.allSatisfy { $0["extra"] == .null })
    }

    @Test func anExportOntoTheWarehouseOrItsFilesIsRefused() throws {
        let sandbox = try Sandbox(rows: 30, caseRows: 5)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        let before = try Data(contentsOf: URL(fileURLWithPath: project.warehousePath))
        let rows = try project.database().scalarInt("SELECT count(*) FROM market_licenses")
        let link = project.root.appendingPathComponent("link.db").path
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: project.warehousePath)

        // `dataflow ARGS` run from the project root, so relative targets are relative to it.
        func fromRoot(_ arguments: String...) throws -> CommandResult {
            try Command.run("/bin/sh", ["-c", "cd \"$0\" && exec \"$@\"", project.root.path, Binaries.dataflow] + arguments + ["--project", project.root.path],
                            environment: project.environment, in: project.root)
        }
        // Relative, absolute, through `..`, a symlink, and the companion files whether they exist now or not.
        for target in ["warehouse/county.db", project.warehousePath, "warehouse/../warehouse/./county.db", link,
                       "warehouse/county.db-wal", "warehouse/county.db-shm", "warehouse/county.db-journal", project.warehousePath + ".lock"] {
            let refused = try fromRoot("export", "market_licenses", "-o", target)
            #expect(refused.status == 2, "\(target): \(refused.output)")
            #expect(refused.stderr.contains("is the warehouse's") && refused.stderr.contains("nothing was exported"), "\(refused.stderr)")
            // The other files dataflow writes whole are refused the same way.
            let catalogue = try fromRoot("catalog", "-o", target)
            #expect(catalogue.status == 2 && catalogue.stderr.contains("the catalogue would replace it"), "\(target): \(catalogue.output)")
            let metrics = try fromRoot("sync", "--metrics-file", target)
            #expect(metrics.status == 2 && metrics.stderr.contains("the metrics file would replace it") && metrics.stderr.contains("nothing was synced"),
                    "\(target): \(metrics.output)")
        }
        // No temporary file (`county.db.partial-…`) is left beside the warehouse.
        let folder = project.root.appendingPathComponent("warehouse").path
        #expect(try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.contains(".partial") } == [])
        let after = try Data(contentsOf: URL(fileURLWithPath: project.warehousePath))
        #expect(after.starts(with: Array("SQLite format 3\0".utf8)))
        #expect(after == before, "the warehouse file is untouched")
        #expect(try project.database().scalarInt("SELECT count(*) FROM market_licenses") == rows && (rows ?? 0) > 0)

        // Any other file is fine, a bare name too (the current folder).
        let ok = try fromRoot("export", "market_licenses", "-o", "warehouse/county.csv")
        #expect(ok.status == 0, "\(ok.output)")
        #expect(try fromRoot("catalog", "-o", "warehouse/catalog.md").status == 0)
        let bare = try fromRoot("export", "market_licenses", "-o", "licences.csv")
        #expect(bare.status == 0, "\(bare.output)")
        #expect(FileManager.default.fileExists(atPath: project.root.appendingPathComponent("licences.csv").path))
        // A path that names a folder is refused by name, and nothing is created.
        let folderName = try fromRoot("export", "market_licenses", "-o", "exports/")
        #expect(folderName.status == 2 && folderName.stderr.contains("cannot write exports/: that names a folder, not a file"), "\(folderName.output)")
        #expect(!FileManager.default.fileExists(atPath: project.root.appendingPathComponent("exports").path))
    }

    /// A target that is not a regular file: an existing folder was read whole before the rename
    /// failed (exit 1, and the export log recorded an export that never happened); a named pipe
    /// was replaced by a regular file holding the export, its reader got nothing (and
    /// `-o /dev/null` run as root would have replaced the device); an empty name said "that names
    /// a folder". Each is now a usage error before anything is read, and the node is left as it is.
    @Test func aFolderAPipeOrAnEmptyNameIsRefusedBeforeAnythingIsRead() throws {
        let sandbox = try Sandbox(rows: 30, caseRows: 5)
        let project = try CountyProject(sandbox: sandbox)
        #expect(try project.dataflow("sync", "market_licenses").status == 0)
        let pipe = project.root.appendingPathComponent("pipe.csv").path
        #expect(mkfifo(pipe, 0o600) == 0)
        let folder = project.root.appendingPathComponent("d.csv").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: false)
        for (target, says) in [(pipe, "it is a named pipe (FIFO)"), (folder, "that names a folder, not a file"), ("", "the file name is empty")] {
            let export = try project.dataflow("export", "market_licenses", "-o", target)
            #expect(export.status == 2 && export.stderr.contains(says) && export.stderr.contains("nothing was exported"), "\(target): \(export.output)")
            let catalogue = try project.dataflow("catalog", "-o", target)
            #expect(catalogue.status == 2 && catalogue.stderr.contains(says), "\(target): \(catalogue.output)")
            let metrics = try project.dataflow("sync", "--metrics-file", target)
            #expect(metrics.status == 2 && metrics.stderr.contains(says) && metrics.stderr.contains("nothing was synced"), "\(target): \(metrics.output)")
        }
        var node = stat()
        #expect(lstat(pipe, &node) == 0 && node.st_mode & S_IFMT == S_IFIFO, "the pipe is still a pipe")
        #expect(try Self.logged(project) == 0, "no export was logged")
        // The writer checks again where it writes: a pipe that appears after the start is not replaced.
        let late = project.root.appendingPathComponent("late.csv").path
        let writer = try AtomicFile.Writer(path: late, mode: 0o600)
        try writer.write(Data("a\n".utf8))
        #expect(mkfifo(late, 0o600) == 0)
        #expect(throws: AtomicFile.WriteError.self) { try writer.commit() }
        #expect(lstat(late, &node) == 0 && node.st_mode & S_IFMT == S_IFIFO)
        #expect(try FileManager.default.contentsOfDirectory(atPath: project.root.path).filter { $0.contains(".partial-") } == [])
    }
}
