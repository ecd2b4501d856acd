/// The project files of a county whose one source, `hostile`, is a `HostileGateway` (or any
/// loopback server) and whose one dataset, `items`, reads `data.list` — shared by the in-process
/// client tests and the real-binary tests, so both speak to the gateway with the same settings.
///
/// ```swift
/// let config = HostileProjectYAML.config(baseURL: gateway.baseURL, auth: HostileAuthStyle.bearer.yaml)
/// let items = HostileProjectYAML.items(request: "    path: /api/items\n    records: data.list\n    pagination: { type: next-url, path: data.next }")
/// ```
public enum HostileProjectYAML {
    /// `dataflow.yml`. `envelopeErrors`: the envelope's `errors:` map (flow style), if any;
    /// `sourceLines`: extra lines under the source (4-space indent).
    public static func config(baseURL: String, auth: String = "{ type: none }", envelopeErrors: String? = nil,
                              timeout: String = "10s", retries: Int = 3, sourceLines: String = "") -> String {
        """
        version: 1
        county: { code: "330782", name: 义乌市 }
        warehouse: sqlite:warehouse/county.db
        sources:
          hostile:
            base_url: \(baseURL)
            auth: \(auth)
            headers: { X-Custom-Auth: "${HG_CUSTOM_HEADER}" }
            envelope:
              success: { path: code, equals: ["00"] }
              message: msg
        \(envelopeErrors.map { "      errors: \($0)\n" } ?? "")    timeout: \(timeout)
            retries: \(retries)
            retry_backoff: 1ms
            proxy: ""
        \(sourceLines)
        """
    }

    /// The `items` dataset; `request`: its `request:` body (4-space indent).
    public static func items(request: String) -> String {
        """
        dataset: items
        title: items
        source: hostile
        update_cycle: daily
        request:
        \(request)
        key: [id]
        matters: ["000105001000"]
        fields:
          id: { from: id, type: text, required: true }
          name: { from: name, type: text }
        """
    }
}
