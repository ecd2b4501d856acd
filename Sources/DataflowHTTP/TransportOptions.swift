/// Settings for a ``CurlTransport``, usually one per configured source.
///
/// Proxies are not configured here: libcurl reads the standard environment variables
/// (`http_proxy`, `https_proxy`, `HTTPS_PROXY`, `all_proxy`, `no_proxy`) itself, and the
/// transport leaves that behaviour on, so a county server behind a proxy needs no config.
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
    /// Follow `3xx` redirects (at most 5); when `false` the redirect response itself is returned.
    public var followRedirects: Bool = true

    public init(
        timeout: Double = 30,
        connectTimeout: Double = 10,
        caBundle: String? = nil,
        maxResponseBytes: Int = 512 * 1024 * 1024,
        userAgent: String = "dataflow/0.1",
        followRedirects: Bool = true
    ) {
        self.timeout = timeout
        self.connectTimeout = connectTimeout
        self.caBundle = caBundle
        self.maxResponseBytes = maxResponseBytes
        self.userAgent = userAgent
        self.followRedirects = followRedirects
    }
}
