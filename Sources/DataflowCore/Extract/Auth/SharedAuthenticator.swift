import Foundation

/// One source's authenticator shared by every worker walking its datasets: signing and token
/// renewal happen one worker at a time, and a renewal asked for by a worker whose request was
/// signed before another worker renewed is skipped — the source renews once for all of them.
///
/// ```swift
/// let shared = SharedAuthenticator(ZJIRSAuthenticator(...))
/// let mine = shared.handle()          // one per worker; an `Authenticator` like any other
/// try mine.authorize(&request)
/// ```
///
/// Every `Authenticator` requirement is forwarded (a new one must be added here too: a default
/// from the protocol extension would silently answer for the real authenticator).
public final class SharedAuthenticator: @unchecked Sendable {
    private let base: Authenticator
    private let lock = NSLock()
    /// Bumped by every renewal and invalidation (guarded by `lock`).
    private var generation = 0
    /// The gateway refused the source's credentials in this run (guarded by `lock`): every later
    /// worker fails with it at once instead of signing in again — with a wrong secret each
    /// dataset asked for its own token, and a gateway that locks an account after a few failed
    /// sign-ins would have locked the county out.
    private var refusal: GatewayError?

    public init(_ base: Authenticator) { self.base = base }

    /// A worker's view: remembers which generation its last request was signed with.
    public func handle() -> Authenticator { Handle(shared: self) }

    fileprivate func authorize(_ request: inout OutgoingRequest) throws -> Int {
        lock.lock()
        defer { lock.unlock() }
        try signingIn { try base.authorize(&request) }
        return generation
    }

    fileprivate func refresh(signedWith: Int) throws {
        lock.lock()
        defer { lock.unlock() }
        guard generation == signedWith else { return }
        try signingIn { try base.refresh() }
        generation += 1
    }

    /// Runs `body` (which may sign in) unless a sign-in was refused already; remembers a refusal.
    /// Called with `lock` held.
    private func signingIn(_ body: () throws -> Void) throws {
        if var refused = refusal {
            refused.message += " (the gateway refused this source's sign-in earlier in this run; not tried again before the next run)"
            throw refused
        }
        do { try body() } catch let error as GatewayError where error.signInRefused {
            refusal = error
            throw error
        }
    }

    fileprivate func invalidate(signedWith: Int) {
        lock.withLock {
            guard generation == signedWith else { return }
            base.invalidate()
            generation += 1
        }
    }

    fileprivate var renewsOnUnauthorized: Bool { base.renewsOnUnauthorized }

    fileprivate func refusalHint(for request: OutgoingRequest) -> String? { lock.withLock { base.refusalHint(for: request) } }

    private final class Handle: Authenticator {
        let shared: SharedAuthenticator
        var signedWith = 0

        init(shared: SharedAuthenticator) { self.shared = shared }

        func authorize(_ request: inout OutgoingRequest) throws { signedWith = try shared.authorize(&request) }
        func refresh() throws { try shared.refresh(signedWith: signedWith) }
        func invalidate() { shared.invalidate(signedWith: signedWith) }
        var renewsOnUnauthorized: Bool { shared.renewsOnUnauthorized }
        func refusalHint(for request: OutgoingRequest) -> String? { shared.refusalHint(for: request) }
    }
}
