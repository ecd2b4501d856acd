import NIOCore
import NIOHTTP1

/// The other gateway styles a county meets, all serving the same deterministic datasets:
///
/// - `/open/{auth}/{paging}/{envelope}/{dataset}.{json|ndjson|csv}` — any auth style × paging
///   style × envelope × format (docs/sandbox.md lists the values);
/// - presets: CKAN `datastore_search`, Socrata `/resource/ID.json`, ArcGIS FeatureServer `query`,
///   OData v4 (`value`, `@odata.nextLink`) and v2 (`d.results`, `d.__next`);
/// - `POST /oauth/token` (client credentials).
struct OpenAPI: Sendable {
    let state: SandboxState
    let check: SignatureCheck

    init(state: SandboxState) {
        self.state = state
        check = SignatureCheck(state: state)
    }

    static let prefixes = ["/open/", "/api/3/action/", "/resource/", "/arcgis/", "/odata/", "/oauth/"]
    static let pagings: Set<String> = ["none", "page", "offset", "cursor", "cursor-header", "next-url", "next-url-absolute", "link-header", "repeat"]
    static let envelopes: Set<String> = ["plain", "code200", "code0", "success", "status1", "errcode0", "string"]

    /// Whether `path` belongs to these routes (and so to faults and stats).
    static func serves(_ path: String) -> Bool { prefixes.contains { path.hasPrefix($0) } }

    func respond(to request: GatewayRequest) -> GatewayResponse? {
        let parts = request.path.split(separator: "/").map(String.init)
        if request.path == "/oauth/token" { return token(request) }
        if parts.first == "open" { return open(request, parts) }
        if request.path == "/api/3/action/datastore_search" { return ckan(request) }
        if parts.first == "resource", parts.count == 2, parts[1].hasSuffix(".json") { return socrata(request, String(parts[1].dropLast(5))) }
        if parts.first == "arcgis", parts.count == 7, parts[5] == "0", parts[6] == "query" { return arcgis(request, parts[3]) }
        if parts.first == "odata", parts.count == 3 { return odata(request, version: parts[1], parts[2]) }
        return nil
    }

    // MARK: OAuth

    private func token(_ request: GatewayRequest) -> GatewayResponse {
        guard request.method == .POST else { return .error(.methodNotAllowed, "/oauth/token expects POST") }
        let form = GatewayRequest.parseQuery(Substring(String(decoding: request.body, as: UTF8.self)))
        guard form["grant_type"] == "client_credentials" else {
            return oauthError("unsupported_grant_type", "grant_type must be client_credentials")
        }
        guard form["client_id"] == state.appKey, form["client_secret"] == state.appSecret else {
            return oauthError("invalid_client", "client_id or client_secret wrong", status: .unauthorized)
        }
        let (token, seconds) = state.issueOAuthToken()
        var out = JSONOutput(capacity: 128)
        out.raw("{\"access_token\":")
        out.string(token)
        out.raw(",\"token_type\":\"Bearer\",\"expires_in\":")
        out.integer(seconds)
        out.raw("}")
        return .json(out.buffer)
    }

    private func oauthError(_ code: String, _ message: String, status: HTTPResponseStatus = .badRequest) -> GatewayResponse {
        var out = JSONOutput(capacity: 128)
        out.raw("{\"error\":")
        out.string(code)
        out.raw(",\"error_description\":")
        out.string(message)
        out.raw("}")
        return .json(out.buffer, status: status)
    }

    // MARK: /open

    private func open(_ request: GatewayRequest, _ parts: [String]) -> GatewayResponse {
        guard parts.count == 5 else { return .error(.notFound, "expected /open/{auth}/{paging}/{envelope}/{dataset}.{format}") }
        let (auth, paging, envelope) = (parts[1], parts[2], parts[3])
        let file = parts[4].split(separator: ".", maxSplits: 1).map(String.init)
        guard SignatureCheck.styles.contains(auth) else { return .error(.notFound, "unknown auth style '\(auth)'") }
        guard Self.pagings.contains(paging) else { return .error(.notFound, "unknown paging style '\(paging)'") }
        guard Self.envelopes.contains(envelope) else { return .error(.notFound, "unknown envelope '\(envelope)'") }
        guard file.count == 2, let dataset = SandboxDataset(rawValue: file[0]) else { return .error(.notFound, "unknown dataset '\(parts[4])'") }
        let format = file[1]
        guard ["json", "ndjson", "csv"].contains(format) else { return .error(.notFound, "unknown format '\(format)'") }
        if let refusal = check.refusal(auth, request) { return .error(.unauthorized, refusal) }

        var startTime: Int64?
        if let text = request.query["startTime"], !text.isEmpty {
            guard let t = CivilTime.parse(text) else { return .error(.badRequest, "startTime must be yyyy-MM-dd HH:mm:ss") }
            startTime = t
        }
        let offset: Int, limit: Int
        switch paging {
        case "none":
            (offset, limit) = (0, Int(Int32.max))
        case "page":
            guard let n = Int(request.query["pageNum"] ?? "1"), n >= 1, let size = Int(request.query["pageSize"] ?? "100"), size >= 1 else {
                return .error(.badRequest, "pageNum and pageSize must be positive whole numbers")
            }
            limit = size
            offset = (n - 1) * min(size, state.maxPageSize)
        case "cursor", "cursor-header":
            let token = request.query["cursor"] ?? "o0"
            guard token.hasPrefix("o"), let o = Int(token.dropFirst()), o >= 0, let l = Int(request.query["limit"] ?? "100"), l >= 1 else {
                return .error(.badRequest, "cursor must be a token this gateway sent; limit a positive whole number")
            }
            (offset, limit) = (o, l)
        default:
            guard let o = Int(request.query["offset"] ?? "0"), o >= 0, let l = Int(request.query["limit"] ?? "100"), l >= 1 else {
                return .error(.badRequest, "offset and limit must be whole numbers (limit ≥ 1)")
            }
            (offset, limit) = (o, l)
        }
        let served = state.hostile.servedOffset(offset)
        let batch = state.openPage(dataset, startTime: startTime, offset: served, limit: limit, capped: paging != "none")
        let (count, trueTotal, records) = RecordRendering.records(batch)
        let nextOffset = offset + count
        let (total, more) = state.hostile.report(offset: served, count: count, total: trueTotal)
        let nextQuery = Self.query(request.query, without: ["offset", "limit", "cursor"], adding: [("offset", String(nextOffset)), ("limit", String(limit))])
        let firstQuery = Self.query(request.query, without: ["offset", "limit", "cursor"], adding: [("offset", "0"), ("limit", String(limit))])
        let host = "http://" + (request.header("Host") ?? "127.0.0.1")
        var next: String?, nextCursor: String?, headers: [(String, String)] = [("X-Total-Count", String(total))]
        switch paging {
        case "cursor": nextCursor = more ? "o\(nextOffset)" : nil
        case "cursor-header": if more { headers.append(("X-Next-Cursor", "o\(nextOffset)")) }
        case "next-url": next = more ? request.path + "?" + nextQuery : nil
        case "next-url-absolute": next = more ? host + request.path + "?" + nextQuery : nil
        case "repeat": next = request.path + "?" + firstQuery
        case "link-header":
            var links = ["<\(host + request.path + "?" + firstQuery)>; rel=\"first\""]
            if more { links.append("<\(host + request.path + "?" + nextQuery)>; rel=\"next\"") }
            headers.append(("Link", links.joined(separator: ", ")))
        default: break
        }
        var response: GatewayResponse
        switch format {
        case "ndjson":
            response = GatewayResponse(status: .ok, contentType: GatewayResponse.ndjsonContentType, body: .complete(RecordRendering.ndjson(records)))
        case "csv":
            let fallback = dataset == .licenses ? ["TYSHXYDM", "QYMC", "FDDBR", "CLRQ", "ZCZB", "XZQHDM", "SXBM", "UPDATE_TIME", "DEL_FLAG"]
                : ["CASE_ID", "SXBM", "SQRXM", "SQRZJHM", "SLSJ", "BJSJ", "STATUS", "UPDATE_TIME"]
            guard let body = RecordRendering.gb18030CSV(records, header: fallback) else { return .error(.internalServerError, "iconv has no GB18030") }
            response = GatewayResponse(status: .ok, contentType: "text/csv; charset=GB18030", body: .complete(body))
        default:
            var plain = JSONOutput(capacity: 256 + records.reduce(0) { $0 + $1.readableBytes + 1 })
            plain.raw("{\"total\":")
            plain.integer(total)
            plain.raw(",\"records\":[")
            RecordRendering.jsonList(records, to: &plain)
            plain.raw("]")
            if let next { plain.raw(",\"next\":"); plain.string(next) }
            if let nextCursor { plain.raw(",\"next_cursor\":"); plain.string(nextCursor) }
            plain.raw("}")
            response = .json(Self.wrap(plain.buffer, envelope))
        }
        response.extraHeaders = headers
        return response
    }

    /// The plain body inside the chosen envelope.
    static func wrap(_ plain: ByteBuffer, _ envelope: String) -> ByteBuffer {
        var out = JSONOutput(capacity: plain.readableBytes + 96)
        switch envelope {
        case "code200": out.raw("{\"code\":200,\"message\":\"ok\",\"data\":")
        case "code0": out.raw("{\"code\":\"0\",\"msg\":\"ok\",\"data\":")
        case "success": out.raw("{\"success\":true,\"message\":\"ok\",\"result\":")
        case "status1": out.raw("{\"status\":1,\"info\":\"ok\",\"data\":")
        case "errcode0": out.raw("{\"errcode\":0,\"errmsg\":\"ok\",\"data\":")
        case "string":
            out.raw("{\"code\":\"00\",\"msg\":\"成功\",\"datas\":")
            out.string(utf8: plain)
            out.raw("}")
            return out.buffer
        default: return plain
        }
        out.raw(bytes: plain)
        out.raw("}")
        return out.buffer
    }

    /// `query` minus `without`, plus `adding`, sorted by name (deterministic links).
    static func query(_ query: [String: String], without: Set<String>, adding: [(String, String)]) -> String {
        let kept = query.filter { !without.contains($0.key) }.map { ($0.key, $0.value) } + adding
        return kept.sorted { $0.0 < $1.0 }.map { SignatureCheck.encode($0.0) + "=" + SignatureCheck.encode($0.1) }.joined(separator: "&")
    }

    // MARK: Presets

    private func slice(_ dataset: SandboxDataset, _ request: GatewayRequest, offsetName: String, limitName: String, defaultLimit: Int,
                       filterName: String? = nil)
        -> Result<(count: Int, total: Int, records: [ByteBuffer], offset: Int, limit: Int), ParameterError> {
        guard let o = Int(request.query[offsetName] ?? "0"), o >= 0, let l = Int(request.query[limitName] ?? String(defaultLimit)), l >= 1 else {
            return .failure(ParameterError(message: "\(offsetName) and \(limitName) must be whole numbers (\(limitName) ≥ 1)"))
        }
        var startTime: Int64?
        if let filterName, let expression = request.query[filterName] {
            switch Self.updatedSince(expression) {
            case .success(let t): startTime = t
            case .failure(let problem): return .failure(problem)
            }
        }
        let (count, total, records) = RecordRendering.records(state.openPage(dataset, startTime: startTime, offset: o, limit: l, capped: true))
        return .success((count, total, records, o, l))
    }

    struct ParameterError: Error { let message: String }

    /// The one filter expression the presets understand: `UPDATE_TIME >= '…'` (Socrata also
    /// `:updated_at`, OData `ge`), with `yyyy-MM-dd HH:mm:ss` or `yyyy-MM-ddTHH:mm:ss[.fff]`;
    /// `1=1` means no filter.
    static func updatedSince(_ expression: String) -> Result<Int64?, ParameterError> {
        func trimmed(_ s: Substring) -> String {
            String(s.drop(while: { $0 == " " }).reversed().drop(while: { $0 == " " }).reversed())
        }
        let text = trimmed(Substring(expression))
        if text.isEmpty || text == "1=1" { return .success(nil) }
        for op in [" >= '", " ge '"] {
            guard let range = text.firstRange(of: op) else { continue }
            let field = trimmed(text[..<range.lowerBound])
            guard field == "UPDATE_TIME" || field == ":updated_at", text.hasSuffix("'") else { break }
            var value = String(text[range.upperBound...].dropLast())
            if let dot = value.firstIndex(of: ".") { value = String(value[..<dot]) }
            value = String(value.map { $0 == "T" ? " " : $0 })
            guard let time = CivilTime.parse(value) else { break }
            return .success(time)
        }
        return .failure(ParameterError(message: "unsupported filter '\(expression)' (this sandbox understands UPDATE_TIME >= 'yyyy-MM-dd HH:mm:ss')"))
    }

    private func ckan(_ request: GatewayRequest) -> GatewayResponse {
        guard let id = request.query["resource_id"], let dataset = SandboxDataset(rawValue: id) else {
            return .json(Self.literal("{\"success\":false,\"error\":{\"message\":\"Not found: Resource\",\"__type\":\"Not Found Error\"}}"), status: .notFound)
        }
        guard case .success(let s) = slice(dataset, request, offsetName: "offset", limitName: "limit", defaultLimit: 100) else {
            return .json(Self.literal("{\"success\":false,\"error\":{\"message\":\"offset and limit must be whole numbers\",\"__type\":\"Validation Error\"}}"), status: .badRequest)
        }
        var out = JSONOutput(capacity: 512 + s.records.reduce(0) { $0 + $1.readableBytes + 1 })
        out.raw("{\"help\":\"datastore_search\",\"success\":true,\"result\":{\"resource_id\":")
        out.string(id)
        out.raw(",\"records\":[")
        RecordRendering.jsonList(s.records, to: &out)
        out.raw("],\"total\":")
        out.integer(s.total)
        out.raw(",\"_links\":{\"start\":")
        out.string("/api/3/action/datastore_search?resource_id=\(id)")
        out.raw(",\"next\":")
        out.string("/api/3/action/datastore_search?offset=\(s.offset + s.count)&resource_id=\(id)")
        out.raw("}}}")
        return .json(out.buffer)
    }

    private func socrata(_ request: GatewayRequest, _ id: String) -> GatewayResponse {
        guard let dataset = SandboxDataset(rawValue: id) else { return .error(.notFound, "no such dataset \(id)") }
        if let token = request.header("X-App-Token"), token != state.appSecret { return .error(.forbidden, "Invalid app_token specified") }
        let s: (count: Int, total: Int, records: [ByteBuffer], offset: Int, limit: Int)
        switch slice(dataset, request, offsetName: "$offset", limitName: "$limit", defaultLimit: 1000, filterName: "$where") {
        case .success(let found): s = found
        case .failure(let problem): return .error(.badRequest, problem.message)
        }
        var out = JSONOutput(capacity: 16 + s.records.reduce(0) { $0 + $1.readableBytes + 1 })
        out.raw("[")
        RecordRendering.jsonList(s.records, to: &out)
        out.raw("]")
        return .json(out.buffer)
    }

    private func arcgis(_ request: GatewayRequest, _ id: String) -> GatewayResponse {
        guard let dataset = SandboxDataset(rawValue: id) else { return .error(.notFound, "no such service \(id)") }
        let s: (count: Int, total: Int, records: [ByteBuffer], offset: Int, limit: Int)
        switch slice(dataset, request, offsetName: "resultOffset", limitName: "resultRecordCount", defaultLimit: state.maxPageSize, filterName: "where") {
        case .success(let found): s = found
        case .failure(let problem):
            var out = JSONOutput(capacity: 128)
            out.raw("{\"error\":{\"code\":400,\"message\":")
            out.string(problem.message)
            out.raw("}}")
            return .json(out.buffer)   // ArcGIS answers errors with HTTP 200
        }
        var out = JSONOutput(capacity: 128 + s.records.reduce(0) { $0 + $1.readableBytes + 20 })
        out.raw("{\"objectIdFieldName\":\"OBJECTID\",\"features\":[")
        RecordRendering.jsonList(s.records, wrap: ("{\"attributes\":", ",\"geometry\":{\"x\":120.07,\"y\":29.3}}"), to: &out)
        out.raw("],\"exceededTransferLimit\":")
        out.raw(s.offset + s.count < s.total ? "true}" : "false}")
        return .json(out.buffer)
    }

    private func odata(_ request: GatewayRequest, version: String, _ id: String) -> GatewayResponse {
        guard version == "v4" || version == "v2", let dataset = SandboxDataset(rawValue: id) else { return .error(.notFound, "no such entity set \(id)") }
        let s: (count: Int, total: Int, records: [ByteBuffer], offset: Int, limit: Int)
        switch slice(dataset, request, offsetName: "$skip", limitName: "$top", defaultLimit: 100, filterName: "$filter") {
        case .success(let found): s = found
        case .failure(let problem): return .error(.badRequest, problem.message)
        }
        let next = "http://" + (request.header("Host") ?? "127.0.0.1") + request.path + "?"
            + Self.query(request.query, without: ["$skip", "$top"], adding: [("$skip", String(s.offset + s.count)), ("$top", String(s.limit))])
        let more = s.count > 0 && s.offset + s.count < s.total
        var out = JSONOutput(capacity: 256 + s.records.reduce(0) { $0 + $1.readableBytes + 1 })
        if version == "v4" {
            out.raw("{\"@odata.context\":")
            out.string("$metadata#\(id)")
            out.raw(",\"value\":[")
            RecordRendering.jsonList(s.records, to: &out)
            out.raw("]")
            if more { out.raw(",\"@odata.nextLink\":"); out.string(next) }
            out.raw("}")
        } else {
            out.raw("{\"d\":{\"results\":[")
            RecordRendering.jsonList(s.records, to: &out)
            out.raw("]")
            if more { out.raw(",\"__next\":"); out.string(next) }
            out.raw("}}")
        }
        return .json(out.buffer)
    }

    static func literal(_ text: String) -> ByteBuffer {
        var out = JSONOutput(capacity: text.utf8.count)
        out.raw(text: text)
        return out.buffer
    }
}
