import DataflowHTTP
import Foundation

/// What every worker walking datasets of one source shares (docs/architecture.md, Concurrency):
/// one rate limiter, one authenticator whose renewal is serialised, one quota flag, and a pool of
/// `SourceClient`s — one per worker, each with its own libcurl handle and kept connection.
///
/// ```swift
/// let share = try SourceShare(source: source, redactor: Redactor(project: project), downloads: DownloadFolder(project: project))
/// let client = try share.checkout(dataset: "market_licenses")
/// defer { share.checkin(client) }
/// let page = try client.fetch(...)
/// ```
public final class SourceShare: @unchecked Sendable {
    public let source: SourceConfig
    /// Knows the source's secrets and learns the tokens its authenticator obtains (thread-safe).
    let redactor: Redactor
    let limiter: RateLimiter
    let authenticator: SharedAuthenticator
    /// Where the workers' streamed downloads go.
    let downloads: DownloadFolder
    private let onRetry: @Sendable (_ dataset: String, RetryEvent) -> Void
    private let lock = NSLock()
    /// Guarded by `lock`.
    private var quota: String?
    private var idle: [SourceClient] = []
    /// Which dataset each checked-out client works for, by client (for retry reports).
    private var labels: [ObjectIdentifier: String] = [:]

    /// - Parameter onRetry: told of every retry, with the dataset whose request it was (token
    ///   requests report the source's name).
    public init(source: SourceConfig, redactor: Redactor, downloads: DownloadFolder,
                onRetry: @escaping @Sendable (_ dataset: String, RetryEvent) -> Void = { _, _ in }) throws {
        self.source = source
        self.redactor = redactor
        self.downloads = downloads
        self.onRetry = onRetry
        limiter = RateLimiter(perSecond: source.rateLimit)
        // Token requests get a transport (and connection) of their own: a worker's curl handle
        // may be busy on another thread when this worker renews.
        let tokenTransport = try SourceClient.transport(for: source, limiter: limiter, onRetry: { event in onRetry(source.name, event) })
        authenticator = SharedAuthenticator(source.auth.makeAuthenticator(
            AuthContext(source: source.name, baseURL: source.baseURL, transport: tokenTransport, redactor: redactor)))
    }

    /// The gateway's `quota` answer, once any worker has had it: every later request fails at once.
    public var quotaMessage: String? { lock.withLock { quota } }

    func stopForQuota(_ message: String) { lock.withLock { if quota == nil { quota = message } } }

    /// A client for one worker (a kept one when there is one), reporting retries for `dataset`.
    public func checkout(dataset: String) throws -> SourceClient {
        if let client = lock.withLock({ () -> SourceClient? in
            guard let client = idle.popLast() else { return nil }
            labels[ObjectIdentifier(client)] = dataset
            return client
        }) { return client }
        let box = ClientLabel()
        let client = try SourceClient(source: source, redactor: redactor, downloads: downloads, shared: self, onRetry: { [weak self, box] event in
            guard let self else { return }
            let dataset = self.lock.withLock { box.id.flatMap { self.labels[$0] } } ?? self.source.name
            self.onRetry(dataset, event)
        })
        lock.withLock {
            box.id = ObjectIdentifier(client)
            labels[ObjectIdentifier(client)] = dataset
        }
        return client
    }

    /// Gives a client back for the next dataset of this source.
    public func checkin(_ client: SourceClient) {
        lock.withLock {
            labels[ObjectIdentifier(client)] = nil
            idle.append(client)
        }
    }

    /// The identity of the client a retry callback belongs to (set once, under the share's lock).
    private final class ClientLabel: @unchecked Sendable {
        var id: ObjectIdentifier?
    }
}
