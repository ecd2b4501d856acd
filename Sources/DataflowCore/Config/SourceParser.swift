/// Parses one entry of `sources:` in dataflow.yml.
struct SourceParser {
    let interpolator: Interpolator

    func parse(name: String, node: YAMLNode) throws(ConfigError) -> SourceConfig {
        var m = try MappingReader(node, what: "source '\(name)'", interpolator: interpolator)
        let baseURL = try m.requiredString("base_url")
        guard baseURL.hasPrefix("http://") || baseURL.hasPrefix("https://") else {
            throw ConfigError("base_url must start with http:// or https://, found '\(baseURL)'", at: m.keyPosition("base_url"))
        }
        let auth = try parseAuth(&m)
        let envelope = try parseEnvelope(&m)
        var rateLimit: Double?
        if let text = try m.string("rate_limit") {
            guard let rate = SourceParser.parseRate(text) else {
                throw ConfigError("rate_limit must look like 5/s or 300/m, found '\(text)'", at: m.keyPosition("rate_limit"))
            }
            rateLimit = rate
        }
        let timeout = try m.duration("timeout") ?? 30
        let retries = try m.int("retries", range: 0...20) ?? 5
        let backoff = try m.duration("retry_backoff") ?? 0.5
        let caBundle = try m.string("ca_bundle")
        let headers = try m.stringMap("headers") ?? []
        try m.finish()
        return SourceConfig(name: name, baseURL: String(baseURL.hasSuffix("/") ? baseURL.dropLast() : baseURL[...]),
                            auth: auth, envelope: envelope, rateLimit: rateLimit, timeout: timeout, retries: retries,
                            retryBackoff: backoff, caBundle: caBundle, headers: headers, position: m.position)
    }

    static func parseRate(_ text: String) -> Double? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let n = Double(parts[0].trimmingCharacters(in: .whitespaces)), n > 0 else { return nil }
        switch parts[1].trimmingCharacters(in: .whitespaces) {
        case "s", "sec", "second": return n
        case "m", "min", "minute": return n / 60
        case "h", "hour": return n / 3600
        default: return nil
        }
    }

    private func parseAuth(_ m: inout MappingReader) throws(ConfigError) -> AuthConfig {
        guard var a = try m.mapping("auth", what: "'auth'") else { return .none }
        let types = ["none", "zj-irs"]
        guard let type = try a.choice("type", types) else { throw a.missing("type") }
        switch type {
        case "zj-irs":
            var c = ZJIRSAuthConfig(appKey: try a.requiredString("app_key"), appSecret: Secret(""))
            guard let secret = try a.secret("app_secret") else { throw a.missing("app_secret") }
            c.appSecret = secret
            if let v = try a.string("token_path") { c.tokenPath = v }
            if let v = try a.string("refresh_path") { c.refreshPath = v }
            if let v = try a.string("app_key_param") { c.appKeyParam = v }
            if let v = try a.string("sign_param") { c.signParam = v }
            if let v = try a.string("time_param") { c.timeParam = v }
            if let v = try a.duration("renew_before") { c.renewBefore = v }
            try a.finish()
            return .zjIRS(c)
        default:
            try a.finish()
            return .none
        }
    }

    private func parseEnvelope(_ m: inout MappingReader) throws(ConfigError) -> EnvelopeConfig? {
        guard var e = try m.mapping("envelope", what: "'envelope'") else { return nil }
        guard var s = try e.mapping("success", what: "'envelope.success'") else { throw e.missing("success") }
        let path = try s.requiredString("path")
        guard let values = try s.stringList("equals") else { throw s.missing("equals") }
        try s.finish()
        let message = try e.string("message")
        var errors: [String: EnvelopeAction] = [:]
        if let errorsNode = e.node("errors") {
            guard case .mapping(let entries, _) = errorsNode else {
                throw ConfigError("'envelope.errors' must map error codes to actions", at: errorsNode.position)
            }
            for entry in entries {
                let text = try MappingReader.scalar(entry.value, key: entry.key, interpolator: interpolator)
                guard let action = EnvelopeAction(rawValue: text) else {
                    let options = EnvelopeAction.allCases.map(\.rawValue)
                    throw ConfigError("unknown action '\(text)' for error code \(entry.key)\(MappingReader.suggestion(text, options)) (expected one of: \(options.joined(separator: ", ")))", at: entry.value.position)
                }
                errors[entry.key] = action
            }
        }
        try e.finish()
        return EnvelopeConfig(successPath: SourceParser.path(path), successValues: values,
                              messagePath: message.map(SourceParser.path), errors: errors)
    }

    static func path(_ dotted: String) -> [String] { dotted.split(separator: ".").map(String.init) }
}
