/// Settings for a ``CurlTransport``, usually one per configured source.
///
/// Proxies come from the standard environment variables by default: libcurl reads
/// `http_proxy`, `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY` and `no_proxy`/`NO_PROXY`
/// itself, and the transport leaves that on, so a county server behind a proxy needs no config.
/// ``proxy`` overrides the environment for one source.
///
/// Both timeouts are always finite and positive: libcurl reads `0` as "no timeout at all", so a
/// zero, negative or non-finite value set here is replaced by the default (30 s, 10 s) instead
/// of letting a silent gateway hold a request forever.
///
/// ```swift
/// var options = TransportOptions(timeout: 60, caBundle: "/etc/ssl/certs/gov-ca.pem")
/// options.maxResponseBytes = 64 * 1024 * 1024
/// let transport = try CurlTransport(options: options)
/// ```
public struct TransportOptions: Sendable {
    /// Whole-transfer timeout in seconds (connect, send, wait and receive); never `0` (none).
    public var timeout: Double {
        get { boundedTimeout }
        set { boundedTimeout = Self.positive(newValue, else: Self.defaultTimeout) }
    }
    /// Connect timeout in seconds (DNS, TCP and TLS handshake); never `0` (none).
    public var connectTimeout: Double {
        get { boundedConnectTimeout }
        set { boundedConnectTimeout = Self.positive(newValue, else: Self.defaultConnectTimeout) }
    }
    /// A PEM file of CA certificates to trust instead of the system store (`CURLOPT_CAINFO`);
    /// gateways often use a private CA.
    public var caBundle: String? = nil
    /// A response body beyond this many bytes (after decoding) aborts the transfer with
    /// ``TransportError/Kind/tooLarge``.
    public var maxResponseBytes: Int = 512 * 1024 * 1024
    /// The `User-Agent` header sent unless the request sets its own.
    public var userAgent: String = "dataflow/0.1"
    /// `nil` (default): proxies from the environment, as libcurl does. `""`: no proxy at all,
    /// whatever the environment says. A URL such as `http://proxy.local:3128`: that proxy
    /// (`CURLOPT_PROXY`; the environment's `no_proxy` still applies).
    public var proxy: String? = nil

    /// ``timeout`` unless set, and instead of an unusable value.
    public static let defaultTimeout: Double = 30
    /// ``connectTimeout`` unless set, and instead of an unusable value.
    public static let defaultConnectTimeout: Double = 10
    private var boundedTimeout = TransportOptions.defaultTimeout
    private var boundedConnectTimeout = TransportOptions.defaultConnectTimeout

    /// `seconds` when it is a usable timeout, else `fallback`.
    private static func positive(_ seconds: Double, else fallback: Double) -> Double {
        seconds.isFinite && seconds > 0 ? seconds : fallback
    }

    public init(
        timeout: Double = 30,
        connectTimeout: Double = 10,
        caBundle: String? = nil,
        maxResponseBytes: Int = 512 * 1024 * 1024,
        userAgent: String = "dataflow/0.1",
        proxy: String? = nil
    ) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.caBundle = caBundle
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
        self.proxy = proxy
    }
}
