import CCurl

extension TransportError {
    /// Classifies a failed `curl_easy_perform`.
    ///
    /// - Parameters:
    ///   - detail: the `CURLOPT_ERRORBUFFER` text (may be empty; `curl_easy_strerror` is used then).
    ///   - exceededLimit: the write callback aborted because of ``TransportOptions/maxResponseBytes``.
    ///   - target: `METHOD scheme://host/path`, already redacted.
    ///   - url: the full URL, only to scrub any echo of its secrets out of libcurl's text.
    init(curlCode code: CURLcode, detail: String, exceededLimit: Bool, limit: Int, target: String, url: String) {
        let kind: Kind
        if exceededLimit || code == CURLE_FILESIZE_EXCEEDED {
            kind = .tooLarge
        } else {
            kind = Self.kind(of: code)
        }
        var text = detail.isEmpty ? String(cString: curl_easy_strerror(code)) : detail
        if kind == .tooLarge {
            text = "response body exceeds the limit of \(limit) bytes (\(text))"
        }
        text = URLRedaction.scrub(text, url: url)
        self.init(kind: kind, message: "\(text) — \(target) [CURLcode \(code.rawValue)]", curlCode: Int(code.rawValue))
    }

    static func kind(of code: CURLcode) -> Kind {
        switch code {
        case CURLE_OPERATION_TIMEDOUT:
            return .timeout
        case CURLE_COULDNT_CONNECT, CURLE_COULDNT_RESOLVE_HOST, CURLE_COULDNT_RESOLVE_PROXY:
            return .connect
        case CURLE_PARTIAL_FILE, CURLE_RECV_ERROR, CURLE_GOT_NOTHING, CURLE_SEND_ERROR,
             CURLE_HTTP2, CURLE_HTTP2_STREAM:
            return .dropped
        case CURLE_SSL_CONNECT_ERROR, CURLE_PEER_FAILED_VERIFICATION, CURLE_SSL_CERTPROBLEM,
             CURLE_SSL_CIPHER, CURLE_SSL_CACERT_BADFILE, CURLE_SSL_ISSUER_ERROR,
             CURLE_SSL_PINNEDPUBKEYNOTMATCH, CURLE_SSL_INVALIDCERTSTATUS, CURLE_SSL_CRL_BADFILE,
             CURLE_SSL_ENGINE_NOTFOUND, CURLE_SSL_ENGINE_SETFAILED, CURLE_SSL_ENGINE_INITFAILED,
             CURLE_SSL_SHUTDOWN_FAILED, CURLE_USE_SSL_FAILED, CURLE_SSL_CLIENTCERT:
            return .tls
        case CURLE_URL_MALFORMAT, CURLE_UNSUPPORTED_PROTOCOL:
            return .invalidURL
        case CURLE_FILESIZE_EXCEEDED:
            return .tooLarge
        default:
            return .other
        }
    }
}
