import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// All mutable sandbox state behind one lock: datasets, secrets, clock, quota, faults, drift, stats.
///
/// Pages are selected under the lock and rendered outside it (see `RecordBatch`).
final class SandboxState: Sendable {
    /// Counters served by `/_control/stats`.
    struct Stats: Sendable, Equatable {
        /// Gateway requests received, faulted ones included.
        var requests: UInt64 = 0
        /// Data requests that were not faulted away, whatever their answer.
        var dataRequests: UInt64 = 0
        /// Token requests that were not faulted away, whatever their answer.
        var tokenRequests: UInt64 = 0
        /// Injected faults.
        var faults: UInt64 = 0
    }

    /// Live-changeable settings (`/_control/config`).
    struct Settings: Sendable, Equatable {
        var secretTTL: Int
        var quota: Int
        var maxPageSize: Int
    }

    /// A data request that passed parameter checks.
    struct DataQuery: Sendable {
        let appKey: String
        let requestTime: String
        let sign: String
        let pageNumber: Int
        let pageSize: Int
        let startTime: Int64?
    }

    /// What a data request gets.
    enum DataOutcome: Sendable {
        case refused(GatewayCode)
        case licences(RecordBatch<LicenceGenerator>)
        case cases(RecordBatch<CaseGenerator>)
    }

    /// The effect of one `/_control/mutate`.
    struct MutationSummary: Sendable {
        let updated: [String]
        let inserted: [String]
        let deleted: [String]
        /// Hard-deleted: gone from the gateway and the truth, with no flag (what `sync --reconcile` finds).
        let purged: [String]
        let time: Int64
    }

    /// Fault injection as `/_control/faults` reports it.
    struct FaultSettings: Sendable {
        let rate: Double
        let kinds: [FaultKind]
        let retryAfterSeconds: Int
    }

    /// Changes made before every data request while a client pages (`/_control/drift`).
    struct Drift: Sendable {
        /// Records at the front of the order updated, so they move to the end.
        var perRequest = 0
        /// New records inserted (at the end of the order).
        var insertsPerRequest = 0
        var isActive: Bool { perRequest > 0 || insertsPerRequest > 0 }
    }

    private struct Mutable: Sendable {
        var licences: DatasetStore<LicenceGenerator>
        var cases: DatasetStore<CaseGenerator>
        var tokens: TokenRegistry
        var clock: Int64
        var clockAdvance: Int64 = 0
        var quota: Int
        var quotaUsed = 0
        var maxPageSize: Int
        var faults: FaultInjector
        var drift: [SandboxDataset: Drift] = [:]
        var stats = Stats()
        var mutationNumber: UInt64 = 0
    }

    let seed: UInt64
    /// The registered credentials: every auth style of the open routes accepts these.
    let appKey: String
    let appSecret: String
    private let guarded: Mutex<Mutable>
    /// Added latency and per-caller request counts (`Traffic.swift`).
    let traffic: Traffic
    /// Lying totals and endless pages for the open routes (`HostileModes.swift`).
    let hostile = HostileModes()
    /// OAuth access tokens issued (token → expiry, epoch ms on the sandbox clock).
    private let oauthTokens = Mutex<[String: Int64]>([:])

    init(configuration: SandboxConfiguration) {
        seed = configuration.seed
        appKey = configuration.appKey
        appSecret = configuration.appSecret
        traffic = Traffic(latency: configuration.latency)
        let licences = DatasetStore(
            generator: LicenceGenerator(seed: configuration.seed, baseCount: configuration.rows),
            groupSize: configuration.groupSize
        )
        let cases = DatasetStore(
            generator: CaseGenerator(seed: configuration.seed, baseCount: configuration.effectiveCaseRows),
            groupSize: configuration.groupSize
        )
        let lastBase = max(licences.lastTime ?? CivilTime.baseRecordsStart, cases.lastTime ?? CivilTime.baseRecordsStart)
        guarded = Mutex(Mutable(
            licences: licences,
            cases: cases,
            tokens: TokenRegistry(
                appKey: configuration.appKey, appSecret: configuration.appSecret, seed: configuration.seed,
                requestTTL: Int64(configuration.secretTTL), refreshTTL: Int64(configuration.refreshTTL)
            ),
            clock: max(CivilTime.clockStart, lastBase + 86_400),
            quota: configuration.quota,
            maxPageSize: configuration.maxPageSize,
            faults: FaultInjector(seed: configuration.seed, rate: configuration.faultRate, kinds: configuration.faults)
        ))
    }

    // MARK: Gateway

    /// Counts a gateway request and decides whether it is faulted (with the current Retry-After).
    func admitGatewayRequest() -> (fault: FaultKind?, retryAfterSeconds: Int) {
        guarded.withLock { state in
            state.stats.requests += 1
            let fault = state.faults.fault(forRequest: state.stats.requests)
            if fault != nil { state.stats.faults += 1 }
            return (fault, state.faults.retryAfterSeconds)
        }
    }

    /// `refreshTokenByKey` / `refreshTokenBySec`.
    func issueToken(bySecret: Bool, appKey: String, requestTime: String, sign: String) -> Result<TokenRegistry.Grant, TokenRegistry.Refusal> {
        guarded.withLock { state in
            state.stats.tokenRequests += 1
            let now = Self.realMilliseconds() + state.clockAdvance * 1_000
            return bySecret
                ? state.tokens.issueBySecret(appKey: appKey, requestTime: requestTime, sign: sign, nowMilliseconds: now)
                : state.tokens.issueByKey(appKey: appKey, requestTime: requestTime, sign: sign, nowMilliseconds: now)
        }
    }

    /// Counts a token request refused before it reached the registry (missing or malformed parameters).
    func countRejectedTokenRequest() {
        guarded.withLock { $0.stats.tokenRequests += 1 }
    }

    /// Counts a data request refused before it reached the state (missing or malformed parameters).
    func countRejectedDataRequest() {
        guarded.withLock { $0.stats.dataRequests += 1 }
    }

    /// The page-size cap in force.
    var maxPageSize: Int {
        guarded.withLock { $0.maxPageSize }
    }

    /// Authenticates, charges quota, applies drift, and selects one page.
    func dataPage(_ dataset: SandboxDataset, _ query: DataQuery) -> DataOutcome {
        guarded.withLock { state in
            state.stats.dataRequests += 1
            let now = Self.realMilliseconds() + state.clockAdvance * 1_000
            switch state.tokens.verify(appKey: query.appKey, requestTime: query.requestTime, sign: query.sign, nowMilliseconds: now) {
            case .signature: return .refused(.signatureError)
            case .expired: return .refused(.secretExpired)
            case nil: break
            }
            if state.quota > 0, state.quotaUsed >= state.quota { return .refused(.overQuota) }
            state.quotaUsed += 1
            let pageSize = min(query.pageSize, state.maxPageSize)
            let drift = state.drift[dataset] ?? Drift()
            let time = state.clock
            if drift.isActive { state.mutationNumber += 1 }
            let mutation = state.mutationNumber
            switch dataset {
            case .licenses:
                if drift.isActive { Self.apply(drift, to: &state.licences, mutation: mutation, time: time) }
                return .licences(state.licences.page(startTime: query.startTime, pageNumber: query.pageNumber, pageSize: pageSize))
            case .cases:
                if drift.isActive { Self.apply(drift, to: &state.cases, mutation: mutation, time: time) }
                return .cases(state.cases.page(startTime: query.startTime, pageNumber: query.pageNumber, pageSize: pageSize))
            }
        }
    }

    /// One request's drift: the records at the front of the order are updated (so they move to the
    /// end) and new records are inserted.
    private static func apply<Generator: RecordGenerator>(_ drift: Drift, to store: inout DatasetStore<Generator>, mutation: UInt64, time: Int64) {
        let moved = min(drift.perRequest, store.count)
        if moved > 0 {
            store.touch(positions: Array(store.head..<store.head + moved), at: time) { _, change in
                change.updated(mutation: mutation, at: time)
            }
        }
        if drift.insertsPerRequest > 0 { _ = store.insert(count: drift.insertsPerRequest, at: time) }
    }

    // MARK: Open routes

    /// One slice of the served order for the open (non zj-irs) routes: drift applies, no quota.
    enum OpenBatch: Sendable {
        case licences(RecordBatch<LicenceGenerator>)
        case cases(RecordBatch<CaseGenerator>)
    }

    /// Records `offset..<offset+limit` of the set filtered by `startTime` (limit capped by `max_page_size`).
    func openPage(_ dataset: SandboxDataset, startTime: Int64?, offset: Int, limit: Int, capped: Bool = true) -> OpenBatch {
        guarded.withLock { state in
            state.stats.dataRequests += 1
            let size = capped ? min(limit, state.maxPageSize) : limit
            let drift = state.drift[dataset] ?? Drift()
            let time = state.clock
            if drift.isActive { state.mutationNumber += 1 }
            let mutation = state.mutationNumber
            switch dataset {
            case .licenses:
                if drift.isActive { Self.apply(drift, to: &state.licences, mutation: mutation, time: time) }
                return .licences(state.licences.slice(startTime: startTime, offset: offset, limit: size))
            case .cases:
                if drift.isActive { Self.apply(drift, to: &state.cases, mutation: mutation, time: time) }
                return .cases(state.cases.slice(startTime: startTime, offset: offset, limit: size))
            }
        }
    }

    /// Checks zj-irs signature values (sent as headers on the open routes).
    func verifyZJIRS(appKey: String, requestTime: String, sign: String) -> TokenRegistry.Refusal? {
        guarded.withLock { state in
            let now = Self.realMilliseconds() + state.clockAdvance * 1_000
            return state.tokens.verify(appKey: appKey, requestTime: requestTime, sign: sign, nowMilliseconds: now)
        }
    }

    /// Issues an OAuth access token living `secret_ttl` seconds; returns it and its lifetime.
    func issueOAuthToken() -> (token: String, seconds: Int) {
        let (now, ttl, number) = guarded.withLock { state in
            state.stats.tokenRequests += 1
            return (Self.realMilliseconds() + state.clockAdvance * 1_000, state.tokens.requestTTL, state.stats.tokenRequests)
        }
        let token = "oat-" + (MD5.hexLower("\(seed)-\(number)-\(now)") ?? String(number))
        oauthTokens.withLock { $0[token] = now + ttl * 1_000 }
        return (token, Int(ttl))
    }

    /// Whether an OAuth access token is known and not expired.
    func oauthTokenIsValid(_ token: String) -> Bool {
        let now = guarded.withLock { Self.realMilliseconds() + $0.clockAdvance * 1_000 }
        return oauthTokens.withLock { ($0[token] ?? 0) > now }
    }

    // MARK: Control

    /// `/_control/mutate`: deterministic updates, inserts and deletes stamped with the sandbox clock.
    func mutate(_ dataset: SandboxDataset, update: Int, insert: Int, delete: Int, purge: Int = 0) -> MutationSummary {
        guarded.withLock { state in
            state.mutationNumber += 1
            let mutation = state.mutationNumber
            var randomness = SplitMix64(seed: SeededHash(seed: seed).value(stream: 500, index: mutation))
            let time = state.clock
            switch dataset {
            case .licenses:
                return Self.mutate(&state.licences, update: update, insert: insert, delete: delete, purge: purge, mutation: mutation, time: time, randomness: &randomness)
            case .cases:
                return Self.mutate(&state.cases, update: update, insert: insert, delete: 0, purge: purge, mutation: mutation, time: time, randomness: &randomness)
            }
        }
    }

    private static func mutate<Generator: RecordGenerator>(
        _ store: inout DatasetStore<Generator>, update: Int, insert: Int, delete: Int, purge: Int,
        mutation: UInt64, time: Int64, randomness: inout SplitMix64
    ) -> MutationSummary {
        let delete = store.generator.supportsDeletion ? delete : 0
        let positions = store.pickLivePositions(count: update + delete, using: &randomness)
        let updateCount = min(update, positions.count)
        let deletedIDs = Set(positions[updateCount...].map { store.ids[$0] })
        let touched = store.touch(positions: positions, at: time) { id, change in
            deletedIDs.contains(id) ? change.deleted(at: time) : change.updated(mutation: mutation, at: time)
        }
        let inserted = store.insert(count: insert, at: time)
        // Purged records are picked after the other changes, among the records still live.
        let purged = store.purge(positions: store.pickLivePositions(count: purge, using: &randomness))
        return MutationSummary(
            updated: Array(touched[..<updateCount]),
            inserted: inserted,
            deleted: Array(touched[updateCount...]),
            purged: purged,
            time: time
        )
    }

    /// `/_control/clock`: moves the sandbox clock and token expiry forward; returns the new time.
    func advanceClock(seconds: Int64) -> Int64 {
        guarded.withLock { state in
            state.clock += seconds
            state.clockAdvance += seconds
            return state.clock
        }
    }

    /// The sandbox clock.
    var now: Int64 {
        guarded.withLock { $0.clock }
    }

    /// `/_control/faults`; nil arguments keep the current value.
    func configureFaults(rate: Double?, kinds: [FaultKind]?, retryAfterSeconds: Int?) -> FaultSettings {
        guarded.withLock { state in
            if let rate { state.faults.rate = rate }
            if let kinds { state.faults.kinds = kinds }
            if let retryAfterSeconds { state.faults.retryAfterSeconds = retryAfterSeconds }
            return FaultSettings(rate: state.faults.rate, kinds: state.faults.kinds, retryAfterSeconds: state.faults.retryAfterSeconds)
        }
    }

    /// `/_control/config`; nil arguments keep the current value; a new quota resets the count.
    func configure(secretTTL: Int?, quota: Int?, maxPageSize: Int?) -> Settings {
        guarded.withLock { state in
            if let secretTTL { state.tokens.requestTTL = Int64(secretTTL) }
            if let quota {
                state.quota = quota
                state.quotaUsed = 0
            }
            if let maxPageSize { state.maxPageSize = maxPageSize }
            return Settings(secretTTL: Int(state.tokens.requestTTL), quota: state.quota, maxPageSize: state.maxPageSize)
        }
    }

    /// `/_control/drift`.
    func setDrift(_ dataset: SandboxDataset, perRequest: Int, insertsPerRequest: Int = 0) {
        guarded.withLock { $0.drift[dataset] = Drift(perRequest: perRequest, insertsPerRequest: insertsPerRequest) }
    }

    /// Every licence in serving order (a copy-on-write snapshot).
    func licenceTruth() -> RecordBatch<LicenceGenerator> {
        guarded.withLock { $0.licences.all() }
    }

    /// Every case in serving order (a copy-on-write snapshot).
    func caseTruth() -> RecordBatch<CaseGenerator> {
        guarded.withLock { $0.cases.all() }
    }

    /// `/_control/stats`.
    var stats: Stats {
        guarded.withLock { $0.stats }
    }

    /// Real time in epoch milliseconds.
    static func realMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }
}
