import DataflowHTTP
import Foundation
import LoopbackGateway
import Testing
@testable import DataflowCore

/// A response head that announces no length: the body runs until the server closes.
private func headUntilClose(_ type: String) -> [UInt8] {
    Array("HTTP/1.1 200 OK\r\nContent-Type: \(type)\r\nConnection: close\r\n\r\n".utf8)
}

private let csvBody = "id,name\r\nK1,one\r\nK2,\"two, quoted\"\r\nK3,three\r\nK4,four\r\n"
private let ndjsonBody = #"{"id":"K1","name":"one"}"# + "\n" + #"{"id":"K2","name":"two"}"# + "\n" + #"{"id":"K3","name":"three"}"# + "\n"

private func files(in folder: DownloadFolder) -> [String] {
    (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []
}

private func mode(_ path: String) -> Int {
    ((try? FileManager.default.attributesOfItem(atPath: path)[.posixPermissions]) as? Int) ?? -1
}

private let csvRequest = "    path: /export\n    format: csv\n    pagination: { type: none }"
private let ndjsonRequest = "    path: /export\n    format: ndjson\n    pagination: { type: none }"

@Suite("Streamed downloads: private, capped, retried when cut")
struct DownloadTests {
    @Test func anEndlessBodyStopsAtMaxDownloadWithAClearErrorAndLeavesNoFile() throws {
        let chunk = Array(String(repeating: "K9,endless\r\n", count: 500).utf8)
        let server = try LoopbackHTTPServer { _, _ in .endless(head: headUntilClose("text/csv") + Array("id,name\r\n".utf8), chunk: chunk) }
        let h = try ClientHarness(baseURL: server.url(""), sourceLines: "    max_download: 64KiB", requestLines: csvRequest)
        let error = try #require(throws: GatewayError.self) { try h.stream() }
        #expect(error.message.contains("passed max_download (65536 bytes)"), "\(error)")
        #expect(error.message.contains("raise max_download for source 'hostile'"))
        #expect(files(in: h.downloads).isEmpty, "the partial file is removed")
        #expect(server.requests.count == 1 && h.events.isEmpty, "a body over the cap is not retried")
    }

    @Test func downloadsArePrivateUnderUmask022() throws {
        let previous = umask(0o022)
        defer { umask(previous) }
        let server = try LoopbackHTTPServer { _, _ in .response(status: 200, headers: [("Content-Type", "text/csv")], body: csvBody) }
        let h = try ClientHarness(baseURL: server.url(""), requestLines: csvRequest)
        var seen: [(String, Int)] = []
        _ = try h.client.fetchStreaming(.path("/export", params: []), request: h.request, batch: 2) { _ in
            for name in files(in: h.downloads) { seen.append((name, mode(h.downloads.path + "/" + name))) }
        }
        #expect(!seen.isEmpty && seen.allSatisfy { $0.1 == 0o600 }, "\(seen)")
        #expect(mode(h.downloads.path) == 0o700)
        #expect(h.downloads.path.hasPrefix(h.project.root + "/warehouse/"), "next to the SQLite warehouse, not in /tmp")
        #expect(files(in: h.downloads).isEmpty, "removed once read")
    }

    @Test func aLeftoverDownloadIsRemovedWhenARunStartsAndTheFolderMadePrivate() throws {
        let folder = DownloadFolder(path: FileManager.default.temporaryDirectory.appendingPathComponent("downloads-\(UUID().uuidString)").path)
        defer { try? FileManager.default.removeItem(atPath: folder.path) }
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o755])
        _ = FileManager.default.createFile(atPath: folder.path + "/download-killed-run", contents: Data("K1,raw personal data\n".utf8))
        _ = FileManager.default.createFile(atPath: folder.path + "/notes.txt", contents: Data())
        #expect(try folder.prepare() == 1)
        #expect(files(in: folder) == ["notes.txt"], "only our own downloads are removed")
        #expect(mode(folder.path) == 0o700)
    }

    /// `PrivateFolder`, which the downloads folder and the SQLite warehouse's folder share:
    /// missing parents are created 0700, a loose folder is tightened, a file in the way is an error.
    @Test func aPrivateFolderIsCreatedWithItsParentsOrTightenedAndAFileInTheWayIsSaid() throws {
        let root = FileManager.default.temporaryDirectory.appendingPathComponent("private-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: root) }
        try PrivateFolder.make(root + "/warehouse/downloads", what: "the download folder")
        #expect(mode(root) == 0o700 && mode(root + "/warehouse") == 0o700 && mode(root + "/warehouse/downloads") == 0o700)
        chmod(root + "/warehouse", 0o755)
        try PrivateFolder.make(root + "/warehouse", what: "the warehouse folder")
        #expect(mode(root + "/warehouse") == 0o700)
        // A shared folder (sticky, as /tmp) or another user's is refused and left as it is.
        mkdir(root + "/shared", 0o700); chmod(root + "/shared", 0o1777)
        #expect(throws: FileAccessError.self) { try PrivateFolder.make(root + "/shared", what: "the download folder") }
        #expect(mode(root + "/shared") == 0o1777)
        if geteuid() == 0 {
            mkdir(root + "/theirs", 0o755); chown(root + "/theirs", 65534, 65534)
            #expect(throws: FileAccessError.self) { try PrivateFolder.make(root + "/theirs", what: "the download folder") }
            #expect(mode(root + "/theirs") == 0o755)
        }
        _ = FileManager.default.createFile(atPath: root + "/file", contents: Data())
        #expect {
            try PrivateFolder.make(root + "/file", what: "the download folder")
        } throws: { error in
            "\(error)" == "cannot use the download folder at \(root)/file: not a directory (check the owner and permissions of the file and its folder)"
        }
    }

    @Test func aCSVShortOfItsContentLengthOrCutInsideARecordIsFetchedAgain() throws {
        let full = Array(csvBody.utf8)
        let server = try LoopbackHTTPServer { _, index in
            switch index {
            case 0:  // Content-Length says all of it, half arrives: libcurl reports a partial file.
                return .respondAndClose(LoopbackHTTPServer.encode(status: 200, reason: "OK", headers: [("Content-Type", "text/csv"), ("Content-Length", "\(full.count)")],
                                                                 body: Array(full.prefix(full.count / 2))))
            case 1:  // No length, closed inside the quoted field: only the CSV shows the cut.
                return .respondAndClose(headUntilClose("text/csv") + Array(csvBody.utf8.prefix(25)))
            default:
                return .response(status: 200, headers: [("Content-Type", "text/csv")], body: full)
            }
        }
        let h = try ClientHarness(baseURL: server.url(""), requestLines: csvRequest)
        let (page, records) = try h.stream()
        #expect(page.streamedRecords == 4)
        #expect(Set(records.compactMap { $0["id"]?.text }) == ["K1", "K2", "K3", "K4"])
        #expect(records.last?["name"]?.text == "four")
        #expect(h.causes == ["dropped", "truncated"], "\(h.events.map(\.reason))")
        #expect(server.requests.count == 3)
        #expect(files(in: h.downloads).isEmpty)
    }

    @Test func anNDJSONCutInsideItsLastLineIsFetchedAgain() throws {
        let server = try LoopbackHTTPServer { _, index in
            index == 0
                ? .respondAndClose(headUntilClose("application/x-ndjson") + Array(ndjsonBody.utf8.prefix(ndjsonBody.utf8.count - 10)))
                : .response(status: 200, headers: [("Content-Type", "application/x-ndjson")], body: ndjsonBody)
        }
        let h = try ClientHarness(baseURL: server.url(""), requestLines: ndjsonRequest)
        let (page, records) = try h.stream()
        #expect(page.streamedRecords == 3)
        #expect(Set(records.compactMap { $0["id"]?.text }) == ["K1", "K2", "K3"])
        #expect(h.causes == ["truncated"])
        // Found before any record is handed on, so the reason names where the cut line starts.
        let cutLine = ndjsonBody.utf8.count - ndjsonBody.split(separator: "\n").last!.utf8.count - 1
        #expect(h.events.first?.reason.contains("the last line (from byte \(cutLine)) has no line end") == true, "\(h.events.map(\.reason))")
    }

    @Test func aTruncatedDownloadThatStaysTruncatedFailsNamingTheCut() throws {
        let server = try LoopbackHTTPServer { _, _ in
            .respondAndClose(headUntilClose("application/x-ndjson") + Array(ndjsonBody.utf8.prefix(ndjsonBody.utf8.count - 10)))
        }
        let h = try ClientHarness(baseURL: server.url(""), retries: 2, requestLines: ndjsonRequest)
        let error = try #require(throws: GatewayError.self) { try h.stream() }
        #expect(error.message.contains("the body ends inside a record") && error.message.contains("after 2 retries"), "\(error)")
        #expect(server.requests.count == 3)
    }

    @Test func maxDownloadIsValidatedLikeOtherSizes() throws {
        for (text, expected) in [("lots", "'max_download' must be a size like 500MB, 2GiB or a number of bytes, found 'lots'"),
                                 ("10", "'max_download' must be between 1024 and")] {
            let error = try #require(throws: ConfigError.self) {
                _ = try ClientHarness(baseURL: "http://127.0.0.1:9", sourceLines: "    max_download: \(text)")
            }
            #expect(error.description.contains(expected), "\(error)")
            #expect(error.description.contains("dataflow.yml:"), "file:line:column: \(error)")
        }
        #expect(try ClientHarness(baseURL: "http://127.0.0.1:9", sourceLines: "    max_download: 2GiB").client.source.maxDownload == 2_147_483_648)
        #expect(try ClientHarness(baseURL: "http://127.0.0.1:9", sourceLines: "    max_download: 500MB").client.source.maxDownload == 500_000_000)
        #expect(try ClientHarness(baseURL: "http://127.0.0.1:9").client.source.maxDownload == SourceConfig.defaultMaxDownload)
    }
}
