import NIOCore
import NIOHTTP1

/// `/_control/*`: mutations, clock, faults, settings, drift, truth and stats. Never faulted or charged.
struct ControlAPI: Sendable {
    static let prefix = "/_control/"

    let state: SandboxState

    /// The answer for `request`, or nil when the path is not a control endpoint.
    func respond(to request: GatewayRequest) -> GatewayResponse? {
        guard request.path.hasPrefix(Self.prefix) else { return nil }
        let name = request.path.dropFirst(Self.prefix.count)
        let expected: HTTPMethod = (name == "truth" || name == "stats") ? .GET : .POST
        switch name {
        case "mutate", "clock", "faults", "config", "drift", "hostile", "truth", "stats":
            guard request.method == expected else {
                return .error(.methodNotAllowed, "\(request.path) expects \(expected.rawValue)")
            }
        default:
            return .error(.notFound, "no control endpoint \(request.path) (mutate, clock, faults, config, drift, hostile, truth, stats)")
        }
        do {
            switch name {
            case "mutate": return try mutate(request.query)
            case "clock": return try clock(request.query)
            case "faults": return try faults(request.query)
            case "config": return try config(request.query)
            case "drift": return try drift(request.query)
            case "hostile": return try hostile(request.query)
            case "truth": return try truth(request.query)
            default: return stats()
            }
        } catch {
            return .error(.badRequest, error.message)
        }
    }

    /// A control request that cannot be carried out, answered with 400.
    struct ControlError: Error {
        let message: String
    }

    private func mutate(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        let dataset = try Self.dataset(query)
        let update = try Self.count("update", query) ?? 0
        let insert = try Self.count("insert", query) ?? 0
        let delete = try Self.count("delete", query) ?? 0
        let purge = try Self.count("purge", query) ?? 0
        if dataset == .cases, delete > 0 {
            throw ControlError(message: "cases have no DEL_FLAG: delete is for dataset=licenses only")
        }
        let summary = state.mutate(dataset, update: update, insert: insert, delete: delete, purge: purge)
        var out = JSONOutput(capacity: 128 + 24 * (summary.updated.count + summary.inserted.count + summary.deleted.count + summary.purged.count))
        out.raw("{\"updated\":")
        Self.writeStrings(summary.updated, to: &out)
        out.raw(",\"inserted\":")
        Self.writeStrings(summary.inserted, to: &out)
        out.raw(",\"deleted\":")
        Self.writeStrings(summary.deleted, to: &out)
        out.raw(",\"purged\":")
        Self.writeStrings(summary.purged, to: &out)
        out.raw(",\"time\":")
        out.quotedDateTime(summary.time)
        out.raw("}")
        return .json(out.buffer)
    }

    private func clock(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        let seconds = try Self.count("advance", query) ?? 0
        let now = state.advanceClock(seconds: Int64(seconds))
        var out = JSONOutput(capacity: 48)
        out.raw("{\"now\":")
        out.quotedDateTime(now)
        out.raw("}")
        return .json(out.buffer)
    }

    private func faults(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        var rate: Double?
        if let text = query["rate"] {
            guard let value = Double(text), value >= 0, value <= 1 else {
                throw ControlError(message: "rate must be a number within 0…1, got '\(text)'")
            }
            rate = value
        }
        var kinds: [FaultKind]?
        if let text = query["kinds"] {
            guard let parsed = FaultKind.parseList(text) else {
                throw ControlError(message: "kinds must be a comma-separated list of 429, 500, drop, truncate; got '\(text)'")
            }
            kinds = parsed
        }
        let retryAfter = try Self.count("retry_after", query)
        let settings = state.configureFaults(rate: rate, kinds: kinds, retryAfterSeconds: retryAfter)
        var out = JSONOutput(capacity: 96)
        out.raw("{\"rate\":")
        out.number(settings.rate)
        out.raw(",\"kinds\":")
        Self.writeStrings(settings.kinds.map(\.rawValue), to: &out)
        out.raw(",\"retry_after\":")
        out.integer(settings.retryAfterSeconds)
        out.raw("}")
        return .json(out.buffer)
    }

    private func config(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        let secretTTL = try Self.count("secret_ttl", query)
        let quota = try Self.count("quota", query)
        let maxPageSize = try Self.count("max_page_size", query)
        if let maxPageSize, maxPageSize < 1 { throw ControlError(message: "max_page_size must be at least 1") }
        if let text = query["latency"] {
            switch Latency.parse(text) {
            case .success(let latency): state.traffic.latency = latency
            case .failure(let error): throw ControlError(message: error.message)
            }
        }
        let settings = state.configure(secretTTL: secretTTL, quota: quota, maxPageSize: maxPageSize)
        var out = JSONOutput(capacity: 96)
        out.raw("{\"secret_ttl\":")
        out.integer(settings.secretTTL)
        out.raw(",\"quota\":")
        out.integer(settings.quota)
        out.raw(",\"max_page_size\":")
        out.integer(settings.maxPageSize)
        out.raw(",\"latency_ms\":")
        out.integer(state.traffic.latency.defaultMilliseconds)
        out.raw("}")
        return .json(out.buffer)
    }

    private func drift(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        let dataset = try Self.dataset(query)
        let perRequest = try Self.count("per_request", query) ?? 0
        let inserts = try Self.count("insert_per_request", query) ?? 0
        state.setDrift(dataset, perRequest: perRequest, insertsPerRequest: inserts)
        var out = JSONOutput(capacity: 96)
        out.raw("{\"dataset\":")
        out.string(dataset.rawValue)
        out.raw(",\"per_request\":")
        out.integer(perRequest)
        out.raw(",\"insert_per_request\":")
        out.integer(inserts)
        out.raw("}")
        return .json(out.buffer)
    }

    private func hostile(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        let name = query["mode"] ?? "off"
        guard let mode = HostileModes.Mode(rawValue: name) else {
            throw ControlError(message: "unknown mode '\(name)' (expected one of: \(HostileModes.Mode.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        let setting = HostileModes.Setting(mode: mode, total: try Self.count("total", query) ?? 3)
        state.hostile.set(setting)
        var out = JSONOutput(capacity: 64)
        out.raw("{\"mode\":")
        out.string(setting.mode.rawValue)
        out.raw(",\"total\":")
        out.integer(setting.total)
        out.raw("}")
        return .json(out.buffer)
    }

    private func truth(_ query: [String: String]) throws(ControlError) -> GatewayResponse {
        let stream = switch try Self.dataset(query) {
        case .licenses: TruthStream(state.licenceTruth())
        case .cases: TruthStream(state.caseTruth())
        }
        return GatewayResponse(status: .ok, contentType: GatewayResponse.ndjsonContentType, body: .stream(stream))
    }

    private func stats() -> GatewayResponse {
        let stats = state.stats
        var out = JSONOutput(capacity: 128)
        out.raw("{\"requests\":")
        out.integer(stats.requests)
        out.raw(",\"data_requests\":")
        out.integer(stats.dataRequests)
        out.raw(",\"token_requests\":")
        out.integer(stats.tokenRequests)
        out.raw(",\"faults\":")
        out.integer(stats.faults)
        out.raw(",\"sources\":{")
        for (index, entry) in state.traffic.snapshot.enumerated() {
            if index > 0 { out.raw(",") }
            out.string(entry.label)
            out.raw(":{\"requests\":")
            out.integer(entry.counts.requests)
            out.raw(",\"peak_per_second\":")
            out.integer(entry.counts.peakPerSecond)
            out.raw(",\"peak_in_flight\":")
            out.integer(entry.counts.peakInFlight)
            out.raw("}")
        }
        out.raw("}}")
        return .json(out.buffer)
    }

    // MARK: Parameters

    private static func dataset(_ query: [String: String]) throws(ControlError) -> SandboxDataset {
        guard let name = query["dataset"] else { throw ControlError(message: "missing dataset (licenses or cases)") }
        guard let dataset = SandboxDataset(rawValue: name) else {
            throw ControlError(message: "unknown dataset '\(name)' (expected licenses or cases)")
        }
        return dataset
    }

    /// A non-negative integer parameter, nil when absent.
    private static func count(_ name: String, _ query: [String: String]) throws(ControlError) -> Int? {
        guard let text = query[name] else { return nil }
        guard let value = Int(text), value >= 0, value <= 100_000_000 else {
            throw ControlError(message: "\(name) must be an integer within 0…100000000, got '\(text)'")
        }
        return value
    }

    private static func writeStrings(_ values: [String], to out: inout JSONOutput) {
        out.raw("[")
        for (index, value) in values.enumerated() {
            if index > 0 { out.raw(",") }
            out.string(value)
        }
        out.raw("]")
    }
}
