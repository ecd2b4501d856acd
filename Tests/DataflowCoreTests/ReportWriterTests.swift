import Foundation
import Testing
@testable import DataflowCore

/// The report building blocks: NDJSON writer, export filters, terminal widths and colour, catalogue
/// vocabularies, metrics escaping, atomic files.
@Suite("Report writers and vocabularies")
struct ReportWriterTests {
    /// Runs `body` with the write end of a pipe and returns what it wrote (small outputs only).
    func captured(_ body: (Int32) throws -> Void) throws -> String {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        try body(fds[1])
        close(fds[1])
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            let n = read(fds[0], &buffer, buffer.count)
            if n <= 0 { break }
            out += buffer.prefix(n)
        }
        close(fds[0])
        return String(decoding: out, as: UTF8.self)
    }

    @Test func ndjsonEscapesEveryStringAndRoundTrips() throws {
        let tricky = "say \"hi\" \\ back\nline\ttab\r\u{01}\u{1F} 义乌 𠮷"
        let text = try captured { fd in
            let w = NDJSONWriter(fd: fd)
            w.beginObject()
            w.key("s"); w.string(tricky)
            w.key("n"); "12.50".utf8CString.withUnsafeBufferPointer { p in
                p.withMemoryRebound(to: UInt8.self) { w.number(bytes: UnsafeBufferPointer(rebasing: $0.dropLast())) }
            }
            w.key("b"); w.bool(true)
            w.key("z"); w.null()
            try w.endObject()
            w.beginObject(); w.key("second"); w.bool(false); try w.endObject()
            try w.flush()
        }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 3 && lines[2].isEmpty, "one object per line, newline-terminated")
        #expect(!lines[0].contains("\n") && lines[0].contains("\\u0001") && lines[0].contains("\\u001f"))
        let first = try JSONParser.parse(Array(lines[0].utf8))
        #expect(first["s"] == .string(tricky))
        #expect(first["n"] == .number("12.50") && first["b"] == .bool(true) && first["z"] == .null)
        #expect(try JSONParser.parse(Array(lines[1].utf8))["second"] == .bool(false))
    }

    @Test func whereFiltersParseColumnAndValue() throws {
        #expect(try TableExporter.Filter.parse("status=办结") == .init(column: "status", value: "办结"))
        #expect(try TableExporter.Filter.parse("note=a=b") == .init(column: "note", value: "a=b"))
        #expect(try TableExporter.Filter.parse("status=") == .init(column: "status", value: ""))
        for bad in ["status", "=x", ""] {
            #expect(throws: TableExporter.UsageError.self) { try TableExporter.Filter.parse(bad) }
        }
    }

    @Test func textTableMeasuresCJKAndIgnoresColour() {
        #expect(TextTable.displayWidth("abc") == 3)
        #expect(TextTable.displayWidth("义乌市") == 6)
        #expect(TextTable.displayWidth("\u{1B}[32mfresh\u{1B}[0m") == 5)
        // Marks that join the character before, and format characters, take no column.
        #expect(TextTable.displayWidth("Jose\u{301}") == 4)
        #expect(TextTable.displayWidth("\u{1112}\u{1161}\u{11AB}") == 2)  // 한 spelled as three jamo
        #expect(TextTable.displayWidth("a\u{200B}b\u{FEFF}") == 2)
        #expect(TextTable.displayWidth("✓\u{FE0F}") == 1)
        #expect(TextTable.displayWidth("🎉") == 2)
        // So a column after such a name starts where it does on the other lines.
        let marked = TextTable.render(headers: ["name", "n"], rows: [["Jose\u{301}", "1"], ["义乌", "2"], ["Maria", "3"]])
        let starts = marked.split(separator: "\n").filter { !$0.contains("-") }.map { line -> Int in
            let cells = line.split(separator: " ", omittingEmptySubsequences: true)
            return TextTable.displayWidth(String(line[..<line.range(of: cells.last!, options: .backwards)!.lowerBound]))
        }
        #expect(Set(starts).count == 1, "\(marked)")
        #expect(TextTable.fitted("market_licenses [####----]", columns: 10) == "market_li…")
        #expect(TextTable.fitted("义乌市市场监管局", columns: 7) == "义乌市…")
        #expect(TextTable.fitted("short", columns: 10) == "short")
        // Our colours stay; a value's terminal controls are shown, not obeyed.
        #expect(TextTable.printable("\u{1B}[32mfresh\u{1B}[0m") == "\u{1B}[32mfresh\u{1B}[0m")
        #expect(TextTable.printable("企业\u{1B}]0;pwned\u{07}\u{1B}[2J") == "企业\\u{1B}]0;pwned\\u{7}\\u{1B}[2J")
        let hostile = TextTable.render(headers: ["name"], rows: [["a\nb\u{1B}]0;x\u{07}"]])
        #expect(!hostile.contains("\u{1B}") && !hostile.contains("\u{07}") && hostile.contains("a\\nb"), "\(hostile.debugDescription)")
        let table = TextTable.render(headers: ["部门", "n"], rows: [["市场监管局", "1"], ["x", "22"]])
        #expect(table == "  部门        n\n  ----------  --\n  市场监管局  1\n  x           22\n")
    }

    @Test func vocabulariesFollowTheGuideAndTheEUAuthorityTables() {
        #expect(DCATRenderer.frequencyIRI("realtime") == "http://publications.europa.eu/resource/authority/frequency/UPDATE_CONT")
        #expect(DCATRenderer.frequencyIRI("yearly") == "http://publications.europa.eu/resource/authority/frequency/ANNUAL")
        #expect(UpdateCycle.allCases.allSatisfy { DCATRenderer.frequencyIRI($0.rawValue) != nil })
        #expect(DCATRenderer.frequencyIRI("hourly") == nil)
        #expect(DCATRenderer.accessRightsIRI("none") == "http://publications.europa.eu/resource/authority/access-right/NON_PUBLIC")
        #expect(ShareType.allCases.allSatisfy { DCATRenderer.accessRightsIRI($0.rawValue) != nil })
        #expect(FieldType.allCases.map(CatalogueEntry.dataType) == ["字符型C", "整型I", "数值型N", "日期型D", "日期时间型T", "逻辑型L", "备注型M"])
    }

    @Test func metricsLabelsAndCSVFieldsAreEscaped() {
        #expect(PrometheusMetrics.escape("a\"b\\c\nd") == "a\\\"b\\\\c\\nd")
        // Any other control character from a gateway stays visible text, never a raw escape.
        #expect(PrometheusMetrics.escape("x\u{1B}[31m") == "x\\\\u{1B}[31m")
        #expect(CSVWriter.field("plain") == "plain")
        #expect(CSVWriter.field("a,b") == "\"a,b\"")
        #expect(CSVWriter.field("say \"x\"") == "\"say \"\"x\"\"\"")
        #expect(CoverageHTMLRenderer.esc("<a href='x'>&\"") == "&lt;a href=&#39;x&#39;&gt;&amp;&quot;")
        #expect(CoverageMarkdownRenderer.cell("a|b_c\nd") == "a\\|b\\_c d")
        // Scalar by scalar: a prepended mark (U+0600) joins the `<` after it into one Character.
        let (html, cell) = ("\u{0600}&lt;i&gt;\\u{1B}", "\u{0600}\\|a  b")
        #expect(CoverageHTMLRenderer.esc("\u{0600}<i>\u{1B}") == html)
        #expect(CoverageHTMLRenderer.esc("两行\n摘要\t") == "两行\n摘要\t", "HTML's own white space stays as it is")
        #expect(CoverageMarkdownRenderer.cell("\u{0600}|a\r\nb") == cell)
    }

    @Test func atomicFileReplacesWholeAndNamesThePathOnError() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let file = dir.appendingPathComponent("dataflow.prom").path
        try AtomicFile.write(Data("one\n".utf8), to: file)
        try AtomicFile.write(Data("two\n".utf8), to: file)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "two\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path) == ["dataflow.prom"])
        let missing = dir.appendingPathComponent("no/such/dir/x.prom").path
        #expect {
            try AtomicFile.write(Data("x".utf8), to: missing)
        } throws: { ($0 as? AtomicFile.WriteError)?.description.contains(missing) == true }
    }

    /// Two writers of one path at once: the second's search for leftovers finds the first's
    /// temporary file held (`flock`) and leaves it, so both complete. Once nobody holds it, a
    /// writer's temporary file is a leftover and goes (IntegrationTests' FileModesTests kills a
    /// real writer).
    @Test func atomicFileLeavesAnotherWritersTemporaryFileAndRemovesOneNobodyHolds() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let file = dir + "/licences.csv"
        let first = try AtomicFile.Writer(path: file, mode: 0o600)
        try first.write(Data("first\n".utf8))
        try AtomicFile.write(Data("second\n".utf8), to: file, mode: 0o600)
        #expect(FileManager.default.fileExists(atPath: first.partial), "a writer still writing keeps its file")
        try first.commit()
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "first\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["licences.csv"])

        // A leftover: the name a writer gives its file, nobody holding it.
        let leftover = file + ".partial-0123456789abcdef"
        #expect(FileManager.default.createFile(atPath: leftover, contents: Data("half\n".utf8)))
        #expect(AtomicFile.Writer.isLeftoverName("licences.csv.partial-0123456789abcdef", prefix: "licences.csv.partial-"))
        #expect(!AtomicFile.Writer.isLeftoverName("licences.csv.partial-0123456789abcdeF", prefix: "licences.csv.partial-"))
        #expect(!AtomicFile.Writer.isLeftoverName("licences.csv.partial-0123456789abcde", prefix: "licences.csv.partial-"))
        // Names are files' bytes: a name that is only canonically equivalent is another file.
        #expect(!AtomicFile.Writer.isLeftoverName("e\u{301}\u{E9}.csv.partial-0123456789abcdef", prefix: "\u{E9}e\u{301}.csv.partial-"))
        let third = try AtomicFile.Writer(path: file, mode: 0o600)
        #expect(!FileManager.default.fileExists(atPath: leftover))
        third.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir) == ["licences.csv"])
    }

    /// Leftovers are looked for and removed in the folder the writer opened: a symbolic link on the
    /// way to it that is pointed at another folder afterwards does not send the removal there
    /// (listed and removed by path, the other folder's file of the same name went).
    @Test func leftoversAreRemovedInTheOpenedFolderNotWhereALinkPointsLater() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        let opened = root + "/opened", other = root + "/other", link = root + "/link"
        for dir in [opened, other] { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        defer { try? FileManager.default.removeItem(atPath: root) }
        let leftover = "licences.csv.partial-0123456789abcdef"
        for dir in [opened, other] { #expect(FileManager.default.createFile(atPath: dir + "/" + leftover, contents: Data("half\n".utf8))) }
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: opened)
        let folder = open(link, 0o10000000 | O_DIRECTORY | O_CLOEXEC)   // O_PATH, as the writer opens it
        #expect(folder >= 0)
        defer { close(folder) }
        try FileManager.default.removeItem(atPath: link)
        try FileManager.default.createSymbolicLink(atPath: link, withDestinationPath: other)

        AtomicFile.Writer.removeLeftovers(in: folder, of: "licences.csv")
        #expect(!FileManager.default.fileExists(atPath: opened + "/" + leftover), "the opened folder's leftover goes")
        #expect(FileManager.default.fileExists(atPath: other + "/" + leftover), "the folder the link points at now is not touched")
    }

    /// A symbolic link planted at `FILE.partial` (the temporary name dataflow once used) is never
    /// written through: the temporary file has a new unpredictable name each time, created
    /// exclusively, and the link's target keeps its content and mode.
    @Test func atomicFileNeverWritesThroughALinkAtATemporaryName() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let notes = dir + "/notes.txt", file = dir + "/dataflow.prom"
        try "keep me\n".write(toFile: notes, atomically: false, encoding: .utf8)
        chmod(notes, 0o644)
        try FileManager.default.createSymbolicLink(atPath: file + ".partial", withDestinationPath: "notes.txt")
        func permissions(_ path: String) throws -> Int? { try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int }

        try AtomicFile.write(Data("dataflow_up 1\n".utf8), to: file)
        #expect(try String(contentsOfFile: notes, encoding: .utf8) == "keep me\n")
        #expect(try permissions(notes) == 0o644)
        #expect(try String(contentsOfFile: file, encoding: .utf8) == "dataflow_up 1\n")
        #expect(try permissions(file) == 0o644)

        let first = try AtomicFile.Writer(path: file, mode: 0o600), second = try AtomicFile.Writer(path: file, mode: 0o600)
        #expect(first.partial.hasPrefix(file + ".partial-") && first.partial != second.partial, "\(first.partial) \(second.partial)")
        #expect(try FileManager.default.attributesOfItem(atPath: first.partial)[.type] as? FileAttributeType == .typeRegular)
        #expect(try permissions(first.partial) == 0o600)
        first.discard()
        second.discard()
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).sorted() == ["dataflow.prom", "dataflow.prom.partial", "notes.txt"])
    }

    /// The folder is opened once, when the writer starts: a symbolic link on the way to it that is
    /// pointed elsewhere meanwhile (at the warehouse's folder, say) does not move the file there.
    @Test func atomicFileRenamesInTheFolderItOpenedWhateverALinkOnTheWayPointsToLater() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for folder in ["chosen", "other"] { try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true) }
        try "the other folder's file\n".write(toFile: dir + "/other/out.csv", atomically: false, encoding: .utf8)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "chosen")
        let file = try AtomicFile.Writer(path: dir + "/link/out.csv", mode: 0o600)
        try file.write(Data("export\n".utf8))
        try FileManager.default.removeItem(atPath: dir + "/link")
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "other")
        try file.commit()
        #expect(try String(contentsOfFile: dir + "/chosen/out.csv", encoding: .utf8) == "export\n")
        #expect(try String(contentsOfFile: dir + "/other/out.csv", encoding: .utf8) == "the other folder's file\n")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/chosen") == ["out.csv"])
    }

    /// `export -o`, `catalog -o` and `sync --metrics-file` judge their path before writing
    /// (`refuseAsOutput`); a link on that path pointed at the warehouse's folder after that check
    /// and before the write starts is caught where the rename happens: the warehouse keeps every
    /// byte and no temporary file stays beside it.
    @Test func theFinalCheckRefusesTheWarehousesOwnNamesInItsFolderWhateverPathLedThere() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("atomic-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for folder in ["warehouse", "exports"] { try FileManager.default.createDirectory(atPath: dir + "/" + folder, withIntermediateDirectories: true) }
        let database = dir + "/warehouse/county.db"
        try "SQLite format 3\0 the county's records".write(toFile: database, atomically: false, encoding: .utf8)
        let location = DatabaseLocation.sqlite(path: database)
        try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "exports")
        for name in ["county.db", "county.db-wal", "county.db-shm", "county.db.lock"] {
            let target = dir + "/link/" + name
            try location.refuseAsOutput(target)   // an export's folder: fine when judged
            try? FileManager.default.removeItem(atPath: dir + "/link")
            try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "warehouse")
            let file = try AtomicFile.Writer(path: target, mode: 0o600, finalCheck: location.finalOutputCheck(target))
            try file.write(Data("uscc,name\n".utf8))
            #expect { try file.commit() } throws: { "\($0)".contains("is the warehouse's") && "\($0)".contains("nothing was exported") }
            try FileManager.default.removeItem(atPath: dir + "/link")
            try FileManager.default.createSymbolicLink(atPath: dir + "/link", withDestinationPath: "exports")
        }
        #expect(try String(contentsOfFile: database, encoding: .utf8) == "SQLite format 3\0 the county's records")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/warehouse") == ["county.db"])
        // Other names in the warehouse's folder, and the same names elsewhere, are written.
        try AtomicFile.write(Data("a\n".utf8), to: dir + "/warehouse/county.csv", finalCheck: location.finalOutputCheck(dir + "/warehouse/county.csv"))
        try AtomicFile.write(Data("b\n".utf8), to: dir + "/exports/county.db", finalCheck: location.finalOutputCheck(dir + "/exports/county.db"))
        #expect(try String(contentsOfFile: dir + "/exports/county.db", encoding: .utf8) == "b\n")
        #expect(DatabaseLocation.registered(scheme: "duckdb", address: "x").finalOutputCheck("x") == nil)

        // A configured path that is a symbolic link: SQLite keeps `-wal` and `-shm` beside the real
        // file, the run lock beside the link; all of them are refused, existing or not.
        try FileManager.default.createDirectory(atPath: dir + "/real", withIntermediateDirectories: true)
        try FileManager.default.moveItem(atPath: database, toPath: dir + "/real/county.db")
        try FileManager.default.createSymbolicLink(atPath: database, withDestinationPath: "../real/county.db")
        for target in ["/real/county.db", "/real/county.db-wal", "/real/county.db-shm", "/warehouse/county.db.lock"].map({ dir + $0 }) {
            #expect(throws: TableExporter.UsageError.self, "\(target)") {
                try AtomicFile.write(Data("x\n".utf8), to: target, finalCheck: location.finalOutputCheck(target))
            }
        }
        #expect(try String(contentsOfFile: dir + "/real/county.db", encoding: .utf8) == "SQLite format 3\0 the county's records")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir + "/real") == ["county.db"])
    }
}

@Suite("status shows a dataset's error whole")
struct StatusErrorWrapTests {
    @Test func theGatewaysLastWordIsNotCutOff() {
        let error = "province: /gateway/api/001003001/dataSharing/licenses.htm: gateway error code 14: 请求参数校验失败，appKey=sandbox-app 的签名错误"
        let text = StatusReport.wrapped("market_licenses error: " + error, width: 60)
        let lines = text.split(separator: "\n")
        #expect(lines.count > 1)
        #expect(lines.allSatisfy { $0.count <= 60 }, "\(text)")
        #expect(lines.dropFirst().allSatisfy { $0.hasPrefix("    ") })
        #expect(text.replacingOccurrences(of: "\n    ", with: " ").replacingOccurrences(of: "\n", with: "").contains("签名错误"), "\(text)")
        #expect(text.contains("签名错误"))
    }

    @Test func chineseIsWrappedByTheColumnsItTakes() {
        // A message without spaces, all wide characters: 90 characters are 180 columns.
        let error = String(repeating: "请求参数校验失败签名错误", count: 7) + "请求参数校验失败签名错"
        let text = StatusReport.wrapped(error, width: 60)
        let lines = text.split(separator: "\n").map(String.init)
        #expect(lines.allSatisfy { TextTable.displayWidth($0) <= 60 }, "\(text)")
        #expect(lines.count == 4, "\(text)")  // 58 columns on the first line (29 characters), 56 on the next ones
        #expect(lines.map { $0.trimmingCharacters(in: .whitespaces) }.joined() == error)
    }
}
