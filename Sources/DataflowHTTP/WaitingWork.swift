/// Work a caller has for the time a request is out: a transport that can (``CurlTransport``)
/// runs it once the request has been sent and before it reads the response, on the calling
/// thread; whoever holds it runs it afterwards if the transport did not (``runOnce()``).
///
/// A cursor walk maps page *k* while the gateway answers the request for page *k + 1*
/// (docs/performance.md, item 31), or while the source's rate limit holds that request back. The
/// work must not send anything through the transport it is given to.
///
/// ```swift
/// let work = WaitingWork { mapped = mapper.mapPage(records) }
/// let response = try transport.send(request, whileWaiting: work, abandonIf: nil)
/// work.runOnce()   // a no-op when it ran during the send
/// ```
public final class WaitingWork {
    private var body: (() -> Void)?

    public init(_ body: @escaping () -> Void) { self.body = body }

    /// Whether the work has run.
    public var hasRun: Bool { body == nil }

    /// Runs the work unless it has run already.
    public func runOnce() {
        guard let body else { return }
        self.body = nil
        body()
    }
}
