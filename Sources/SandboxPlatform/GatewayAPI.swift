import NIOCore

/// The zj-irs v1 style endpoints: two token endpoints and the two data services.
struct GatewayAPI: Sendable {
    static let tokenByKeyPath = "/gateway/app/refreshTokenByKey.htm"
    static let tokenBySecretPath = "/gateway/app/refreshTokenBySec.htm"
    static let licencesPath = "/gateway/api/001003001/dataSharing/licenses.htm"
    static let casesPath = "/gateway/api/001008002/dataSharing/serviceCases.htm"

    let state: SandboxState

    /// The envelope for `request`, or nil when the path is not a gateway endpoint.
    func respond(to request: GatewayRequest) -> GatewayResponse? {
        switch request.path {
        case Self.tokenByKeyPath: token(request, bySecret: false)
        case Self.tokenBySecretPath: token(request, bySecret: true)
        case Self.licencesPath: data(request, .licenses)
        case Self.casesPath: data(request, .cases)
        default: nil
        }
    }

    private func token(_ request: GatewayRequest, bySecret: Bool) -> GatewayResponse {
        // Some platforms spell it `appkey`; the token endpoints accept both.
        var query = request.query
        if query["appKey"] == nil, let key = query["appkey"] { query["appKey"] = key }
        let parameters: Result<[String], ParameterProblem> = Self.required(["appKey", "requestTime", "sign"], in: query)
        guard case .success(let values) = parameters else {
            state.countRejectedTokenRequest()
            return Self.failure(parameters)
        }
        guard Int64(values[1]) != nil else {
            state.countRejectedTokenRequest()
            return Self.envelope(code: .wrongParameterType, message: "参数类型错误: requestTime")
        }
        switch state.issueToken(bySecret: bySecret, appKey: values[0], requestTime: values[1], sign: values[2]) {
        case .failure(.signature): return Self.envelope(code: .signatureError)
        case .failure(.expired): return Self.envelope(code: .secretExpired)
        case .success(let grant):
            var out = Self.envelopeStart()
            out.raw("{\"requestSecret\":")
            out.string(grant.requestSecret)
            out.raw(",\"requestSecretEndTime\":")
            out.integer(grant.requestSecretEndTime)
            out.raw(",\"refreshSecret\":")
            out.string(grant.refreshSecret)
            out.raw(",\"refreshSecretEndTime\":")
            out.integer(grant.refreshSecretEndTime)
            out.raw("}}")
            return .json(out.buffer)
        }
    }

    private func data(_ request: GatewayRequest, _ dataset: SandboxDataset) -> GatewayResponse {
        let query: SandboxState.DataQuery
        switch Self.dataQuery(request.query) {
        case .failure(let problem):
            state.countRejectedDataRequest()
            return Self.envelope(code: problem.code, message: problem.message)
        case .success(let parsed):
            query = parsed
        }
        switch state.dataPage(dataset, query) {
        case .refused(let code):
            return Self.envelope(code: code)
        case .licences(let batch):
            var out = Self.envelopeStart(capacity: 256 + batch.count * 320)
            Self.writePage(batch, to: &out)
            out.raw("}")
            return .json(out.buffer)
        case .cases(let batch):
            // This service sends `datas` as a JSON string holding the page object.
            var page = JSONOutput(capacity: 64 + batch.count * 320)
            Self.writePage(batch, to: &page)
            return .json(page.embeddedAsString(prefix: Self.successPrefix, suffix: "}"))
        }
    }

    private static func writePage<Generator: RecordGenerator>(_ batch: RecordBatch<Generator>, to out: inout JSONOutput) {
        out.raw("{\"total\":")
        out.integer(batch.total)
        out.raw(",\"list\":[")
        batch.writeJSONList(0..<batch.count, to: &out)
        out.raw("]}")
    }

    // MARK: Parameters

    /// A `97` or `98` answer naming the parameter.
    struct ParameterProblem: Error {
        let code: GatewayCode
        let parameter: String

        var message: String {
            code == .missingParameter ? "缺少参数: \(parameter)" : "参数类型错误: \(parameter)"
        }
    }

    static func dataQuery(_ query: [String: String]) -> Result<SandboxState.DataQuery, ParameterProblem> {
        let values: [String]
        switch required(["appKey", "requestTime", "sign", "pageNum", "pageSize"], in: query) {
        case .failure(let problem): return .failure(problem)
        case .success(let found): values = found
        }
        guard Int64(values[1]) != nil else { return .failure(ParameterProblem(code: .wrongParameterType, parameter: "requestTime")) }
        guard let pageNumber = Int(values[3]), pageNumber >= 1 else {
            return .failure(ParameterProblem(code: .wrongParameterType, parameter: "pageNum"))
        }
        guard let pageSize = Int(values[4]), pageSize >= 1 else {
            return .failure(ParameterProblem(code: .wrongParameterType, parameter: "pageSize"))
        }
        var startTime: Int64?
        if let text = query["startTime"], !text.isEmpty {
            guard let parsed = CivilTime.parse(text) else {
                return .failure(ParameterProblem(code: .wrongParameterType, parameter: "startTime"))
            }
            startTime = parsed
        }
        return .success(SandboxState.DataQuery(
            appKey: values[0], requestTime: values[1], sign: values[2],
            pageNumber: pageNumber, pageSize: pageSize, startTime: startTime
        ))
    }

    /// The values of `names` in order, or the first missing (absent or empty) one.
    static func required(_ names: [String], in query: [String: String]) -> Result<[String], ParameterProblem> {
        var values: [String] = []
        for name in names {
            guard let value = query[name], !value.isEmpty else {
                return .failure(ParameterProblem(code: .missingParameter, parameter: name))
            }
            values.append(value)
        }
        return .success(values)
    }

    // MARK: Envelopes

    private static func failure<Value>(_ result: Result<Value, ParameterProblem>) -> GatewayResponse {
        guard case .failure(let problem) = result else { return envelope(code: .success) }
        return envelope(code: problem.code, message: problem.message)
    }

    /// The start of every success envelope; the datas value and `}` follow.
    private static let successPrefix: StaticString = "{\"code\":\"00\",\"msg\":\"成功\",\"datas\":"

    /// A success envelope up to its datas value; the caller appends the value and `}`.
    private static func envelopeStart(capacity: Int = 256) -> JSONOutput {
        var out = JSONOutput(capacity: capacity)
        out.raw(successPrefix)
        return out
    }

    /// A complete envelope with `datas: null`.
    static func envelope(code: GatewayCode, message: String? = nil) -> GatewayResponse {
        var out = JSONOutput(capacity: 128)
        out.raw("{\"code\":")
        out.string(code.rawValue)
        out.raw(",\"msg\":")
        out.string(message ?? code.message)
        out.raw(",\"datas\":null}")
        return .json(out.buffer)
    }
}
