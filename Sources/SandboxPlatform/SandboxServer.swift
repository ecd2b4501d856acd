import NIOCore
import NIOHTTP1
import NIOPosix

/// The sandbox gateway on loopback: NIO HTTP/1.1 with keep-alive and TCP_NODELAY.
///
/// ```swift
/// var configuration = SandboxConfiguration()
/// configuration.rows = 100
/// let server = try await SandboxServer.start(configuration)
/// print(server.port)            // the bound port (configuration.port 0 picks one)
/// try await server.shutdown()
/// ```
public final class SandboxServer: Sendable {
    /// The configuration the server was started with.
    public let configuration: SandboxConfiguration
    /// The bound TCP port.
    public let port: Int
    let state: SandboxState
    private let group: MultiThreadedEventLoopGroup
    private let channel: Channel

    private init(configuration: SandboxConfiguration, port: Int, state: SandboxState, group: MultiThreadedEventLoopGroup, channel: Channel) {
        self.configuration = configuration
        self.port = port
        self.state = state
        self.group = group
        self.channel = channel
    }

    /// Builds the data order and binds; throws `SandboxStartError` for a bad configuration.
    public static func start(_ configuration: SandboxConfiguration) async throws -> SandboxServer {
        if let problem = configuration.validationProblem() { throw SandboxStartError(message: problem) }
        let state = SandboxState(configuration: configuration)
        let threads = configuration.threads > 0 ? configuration.threads : System.coreCount
        let group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
        let bootstrap = ServerBootstrap(group: group)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.maxMessagesPerRead, value: 16)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(GatewayHandler(state: state))
                }
            }
        let host = configuration.host == "[::1]" ? "::1" : configuration.host
        do {
            let channel = try await bootstrap.bind(host: host, port: configuration.port).get()
            guard let port = channel.localAddress?.port else {
                try? await channel.close()
                throw SandboxStartError(message: "bound to \(host) but the socket has no port")
            }
            return SandboxServer(configuration: configuration, port: port, state: state, group: group, channel: channel)
        } catch {
            try? await group.shutdownGracefully()
            if let startError = error as? SandboxStartError { throw startError }
            throw SandboxStartError(message: "cannot listen on \(host):\(configuration.port): \(error)")
        }
    }

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    public var baseURL: String {
        let host = configuration.host.contains(":") && !configuration.host.hasPrefix("[") ? "[\(configuration.host)]" : configuration.host
        return "http://\(host):\(port)"
    }

    /// The line printed at startup (tests parse the port out of it).
    public var listeningLine: String {
        "dataflow-sandbox: listening on \(baseURL) (rows=\(configuration.rows) case-rows=\(configuration.effectiveCaseRows) seed=\(configuration.seed))"
    }

    /// Returns when the listening socket has closed (after `shutdown()` or `close()`).
    public func waitUntilClosed() async throws {
        try await channel.closeFuture.get()
    }

    /// Stops accepting connections (non-blocking; `waitUntilClosed()` then returns).
    public func close() {
        channel.close(promise: nil)
    }

    /// Closes the listener and every connection, and stops the event loops.
    public func shutdown() async throws {
        try? await channel.close()
        try await group.shutdownGracefully()
    }
}

/// Why the sandbox could not start, in words for the command line.
public struct SandboxStartError: Error, CustomStringConvertible {
    /// What went wrong and what to change.
    public let message: String

    public var description: String { message }
}
