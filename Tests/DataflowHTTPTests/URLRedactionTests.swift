import DataflowHTTP
import Testing

@Suite("URL redaction")
struct URLRedactionTests {
    @Test(arguments: [
        ("https://gw.example.gov.cn/api/x.htm?appKey=K&sign=S", "https://gw.example.gov.cn/api/x.htm"),
        ("https://user:pass@gw.example.gov.cn:8443/a/b#frag", "https://gw.example.gov.cn:8443/a/b"),
        ("http://127.0.0.1:8080?sign=S", "http://127.0.0.1:8080"),
        ("http://h/p?", "http://h/p"),
        ("not a url?secret=1", "not a url"),
    ])
    func redactsQueryFragmentAndUserInfo(url: String, expected: String) {
        #expect(URLRedaction.redact(url) == expected)
    }

    @Test func scrubRemovesEchoedSecrets() {
        let url = "https://user:pw123@gw/x?appKey=KEY123&sign=SIG456"
        let text = "failed for https://user:pw123@gw/x?appKey=KEY123&sign=SIG456 (sign=SIG456)"
        let scrubbed = URLRedaction.scrub(text, url: url)
        for secret in ["KEY123", "SIG456", "pw123"] { #expect(!scrubbed.contains(secret)) }
        #expect(scrubbed.contains("gw/x"))
    }

    @Test func errorDescriptionsNeverContainTheQuery() {
        let error = TransportError(kind: .timeout, message: "timed out — GET \(URLRedaction.redact("http://h/p?sign=S3CRET"))")
        #expect(error.isRetryable)
        #expect(!String(describing: error).contains("S3CRET"))
        #expect(String(describing: error).hasPrefix("timeout: "))
    }
}
