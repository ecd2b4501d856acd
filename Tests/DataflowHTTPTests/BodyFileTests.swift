import DataflowHTTP
import LoopbackGateway
import Foundation
import Testing

@Suite("Response bodies written to a file")
struct BodyFileTests {
    @Test func aLargeBodyGoesToTheFileNotMemoryAndPastTheMemoryLimit() throws {
        let body = [UInt8]((0..<300_000).map { UInt8($0 % 251) })
        let server = try LoopbackHTTPServer { _, _ in .response(status: 200, headers: [("Content-Type", "text/csv")], body: body) }
        defer { server.stop() }
        var options = loopbackOptions()
        options.maxResponseBytes = 1_000   // applies to in-memory bodies only
        let transport = try CurlTransport(options: options)
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("body-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Data("stale".utf8).write(to: URL(fileURLWithPath: path))
        let response = try transport.send(HTTPRequest(url: server.url("/download.csv"), bodyFile: path))
        #expect(response.status == 200 && response.body.isEmpty)
        #expect(response.header("Content-Type") == "text/csv")
        #expect(try [UInt8](Data(contentsOf: URL(fileURLWithPath: path))) == body)
        // Without a file the same body passes the limit and is refused.
        #expect(throws: TransportError.self) { try transport.send(HTTPRequest(url: server.url("/download.csv"))) }
    }

    @Test func anUnwritablePathIsAClearError() throws {
        let server = try LoopbackHTTPServer { _, _ in .response(status: 200, body: "x") }
        defer { server.stop() }
        let transport = try CurlTransport(options: loopbackOptions())
        let error = try #require(throws: TransportError.self) {
            try transport.send(HTTPRequest(url: server.url("/x"), bodyFile: "/nonexistent-dir/body"))
        }
        #expect(error.description.contains("cannot write the response body to /nonexistent-dir/body"))
    }
}
