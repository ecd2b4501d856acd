/// Every auth style dataflow knows, by its `type:` name (as dlt's `AUTH_MAP` / `register_auth`).
///
/// Adding a style: a file under `Extract/Auth/` with a type conforming to `AuthStyle`, and one
/// line in `styles`. Config errors ("expected one of …") and the docs test read this list.
public enum AuthRegistry {
    /// The registered styles, in the order config errors list them.
    public static let styles: [any AuthStyle.Type] = [
        NoAuth.self,
        ZJIRSAuthConfig.self,
        HMACAuthConfig.self,
        TIFAuth.self,
        BearerAuth.self,
        BasicAuth.self,
        APIKeyAuth.self,
        OAuth2AuthConfig.self,
    ]

    /// Every `type:` name.
    public static var types: [String] { styles.map { $0.type } }

    /// Reads a source's `auth:` mapping (no `auth:` = `none`); an unknown `type` names the registered ones.
    static func parse(_ source: inout MappingReader) throws(ConfigError) -> AuthConfig {
        guard var auth = try source.mapping("auth", what: "'auth'") else { return .none }
        guard let type = try auth.choice("type", types) else { throw auth.missing("type") }
        guard let style = styles.first(where: { $0.type == type }) else { throw auth.missing("type") }
        let settings = try style.parse(&auth)
        try auth.finish()
        return AuthConfig(settings)
    }
}
