import DataflowHTTP

/// One auth style (`auth: { type: … }` in dataflow.yml): how its keys are read, which secrets
/// it holds, how `check` names it, and the authenticator it builds for a source.
///
/// A style is one file under `Extract/Auth/` (its settings, this conformance and its
/// authenticator) plus one line in `AuthRegistry.styles`; config errors list the registered
/// types. For example:
///
/// ```swift
/// public struct HeaderTokenAuth: AuthStyle {
///     public static let type = "header-token"
///     var token: Secret
///     public static func parse(_ auth: inout MappingReader) throws(ConfigError) -> HeaderTokenAuth {
///         HeaderTokenAuth(token: try auth.requiredSecret("token"))
///     }
///     public var secretValues: [Secret] { [token] }
///     public func makeAuthenticator(_ context: AuthContext) -> Authenticator {
///         StaticCredentialAuthenticator(.apiKey(name: "X-Token", value: token, inQuery: false))
///     }
/// }
/// ```
public protocol AuthStyle: Sendable {
    /// The `type:` value that selects it.
    static var type: String { get }
    /// Reads its keys from `auth:` (`type` is already read; unknown keys are reported afterwards).
    static func parse(_ auth: inout MappingReader) throws(ConfigError) -> Self
    /// Every secret value it holds, in the forms they take on the wire (for `Redactor`).
    var secretValues: [Secret] { get }
    /// What `dataflow check` shows: the type and settings worth seeing, never a value.
    var summary: String { get }
    /// Absolute URLs besides the source's `base_url` that receive its credentials (a token URL).
    var otherCredentialURLs: [String] { get }
    /// The authenticator that signs one source's requests.
    func makeAuthenticator(_ context: AuthContext) -> Authenticator
}

extension AuthStyle {
    public var summary: String { Self.type }
    public var otherCredentialURLs: [String] { [] }
}

/// What an authenticator may need from its source.
public struct AuthContext {
    public var source: String
    public var baseURL: String
    /// For token calls (zj-irs, OAuth2): the source's transport, with its retries.
    public var transport: HTTPTransport
    /// Learns every token and signature the authenticator obtains.
    public var redactor: Redactor

    public init(source: String, baseURL: String, transport: HTTPTransport, redactor: Redactor) {
        self.source = source
        self.baseURL = baseURL
        self.transport = transport
        self.redactor = redactor
    }
}

/// How a source authenticates: one registered style with its settings.
public struct AuthConfig: Sendable {
    /// The style's settings (`style as? HMACAuthConfig` to read them).
    public let style: any AuthStyle

    public init(_ style: any AuthStyle) { self.style = style }

    /// No authentication.
    public static let none = AuthConfig(NoAuth())

    /// `renew_before:` (zj-irs, oauth2): 0s…1d. The margin is capped at a quarter of the
    /// secret's lifetime anyway; a day catches a unit slip (`60h` for `60s`).
    public static let renewBeforeRange = DurationRange(0...86400)

    /// The `type:` name.
    public var type: String { Swift.type(of: style).type }
    /// Every secret value it holds (for `Redactor`).
    public var secretValues: [Secret] { style.secretValues }
    /// What `check` shows (never a value).
    public var summary: String { style.summary }

    public func makeAuthenticator(_ context: AuthContext) -> Authenticator { style.makeAuthenticator(context) }
}
