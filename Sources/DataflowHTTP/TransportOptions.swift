/// Settings for a ``CurlTransport``, usually one per configured source.
///
/// Proxies come from the standard environment variables by default: libcurl reads
/// `http_proxy`, `https_proxy`/`HTTPS_PROXY`, `all_proxy`/`ALL_PROXY` and `no_proxy`/`NO_PROXY`
/// itself, and the transport leaves that on, so a county server behind a proxy needs no config.
/// ``proxy`` overrides the environment for one source.
///
/// ```swift
/// var options = TransportOptions(timeout: 60, caBundle: "/etc/ssl/certs/gov-ca.pem")
/// options.maxResponseBytes = 64 * 1024 * 1024
/// let transport = try CurlTransport(options: options)
/// ```
public struct TransportOptions: Sendable {
    /// Whole-transfer timeout in seconds (connect, send, wait and receive). `0` means none.
    public var timeout: Double = 30
    /// Connect timeout in seconds (DNS, TCP and TLS handshake).
    public var connectTimeout: Double = 10
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
