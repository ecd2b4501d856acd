import Foundation
import Testing
@testable import DataflowCore

/// Connector keys in dataflow.yml and dataset files: what loads, and errors that name the place.
@Suite("Connector configuration")
struct ConnectorConfigTests {
    static let zj = "auth: { type: zj-irs, app_key: ${APP_KEY:-key}, app_secret: ${APP_SECRET:-secret} }"

    func source(_ auth: String) -> String { TestProject.defaultConfig.replacingOccurrences(of: Self.zj, with: auth) }

    @Test func everyAuthTypeLoads() throws {
        let cases: [(String, (AuthConfig) -> Bool)] = [
            ("auth: { type: bearer, token: ${T:-t} }", { ($0.style as? BearerAuth)?.token.revealed == "t" }),
            ("auth: { type: basic, user: u, password: p }", { ($0.style as? BasicAuth)?.user == "u" }),
            ("auth: { type: api-key, name: api_key, in: query, key: k }", { ($0.style as? APIKeyAuth).map { $0.name == "api_key" && $0.inQuery } == true }),
            ("auth: { type: hmac, style: shandong, access_key: a, secret: s }", { ($0.style as? HMACAuthConfig)?.headers.signature == "X-Signature" }),
            ("auth: { type: hmac, access_key: a, secret: s, algorithm: hmac-sm3, encoding: hex, string_to_sign: \"{path}\" }",
             { ($0.style as? HMACAuthConfig).map { $0.algorithm == .hmacSM3 && $0.encoding == .hex && $0.stringToSign == "{path}" } == true }),
            ("auth: { type: hmac, style: bcdsg, query_values: decoded, access_key: a, secret: s }",
             { ($0.style as? HMACAuthConfig)?.queryValues == .decoded }),
            ("auth: { type: tif, paas_id: p, token: t }", { ($0.style as? TIFAuth)?.paasID == "p" }),
            ("auth: { type: oauth2-client-credentials, token_url: /t, client_id: c, client_secret: s }", { ($0.style as? OAuth2AuthConfig)?.tokenURL == "/t" }),
            ("auth: { type: zj-irs, app_key: k, app_secret: s, app_key_param: appkey, sign_in: headers }",
             { ($0.style as? ZJIRSAuthConfig).map { $0.signInHeaders && $0.appKeyParam == "appkey" } == true }),
            ("auth: { type: none }", { $0.style is NoAuth }),
        ]
        #expect(Set(cases.map { $0.0.split(separator: ",")[0] }).count == AuthRegistry.styles.count, "every registered style is tried")
        for (auth, matches) in cases {
            let p = try TestProject(config: source(auth))
            let config = try p.load()
            #expect(matches(try #require(config.sources.first).auth), "\(auth)")
        }
    }

    @Test func aSecretTooShortToRedactIsWarnedAbout() throws {
        let short = try TestProject(config: source("auth: { type: bearer, token: q7z }")).load()
        #expect(short.warnings.map(\.description).contains { $0.contains("secret of 3 characters") && $0.contains("dataflow.yml:") }, "\(short.warnings)")
        #expect(!short.warnings.description.contains("q7z"), "the warning never shows the secret")
        let long = try TestProject(config: source("auth: { type: bearer, token: abcdef }")).load()
        #expect(!long.warnings.map(\.description).contains { $0.contains("secret of") })
    }

    @Test func anUnknownAuthTypeListsTheRegisteredStyles() throws {
        let p = try TestProject(config: source("auth: { type: hmca, access_key: a, secret: s }"))
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.description.contains("expected one of: " + AuthRegistry.types.joined(separator: ", ")), "\(error)")
        #expect(error.description.contains("hmac"), "did-you-mean: \(error)")
        #expect(AuthRegistry.types.count == Set(AuthRegistry.types).count, "each type is registered once")
    }

    @Test(arguments: [
        ("auth: { type: hmac, access_key: a, secret: s }", "needs 'style: bcdsg | shandong' or a 'string_to_sign'"),
        ("auth: { type: hmac, style: bcdsg, access_key: a, secret: s, algorithm: sha1 }", "algorithm"),
        ("auth: { type: api-key, name: k, in: cookie, key: k }", "cookie"),
        ("auth: { type: hmac, style: bcdsg, query_values: raw, access_key: a, secret: s }", "expected one of: encoded, decoded"),
        ("auth: { type: hmac, style: shandong, query_values: decoded, access_key: a, secret: s }", "'query_values' has no effect"),
        ("auth: { type: bearer }", "token"),
        ("auth: { type: oauth2, token_url: /t }", "oauth2-client-credentials"),
    ])
    func badAuthIsReportedAtItsPosition(_ auth: String, _ message: String) throws {
        let p = try TestProject(config: source(auth))
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.position != nil, "\(error)")
        #expect(error.description.contains(message), "\(error)")
    }

    @Test(arguments: [
        ("pagination: { type: page, size: 100, total: datas.total }", "pagination: { type: cursor, param: c }", "exactly one of 'token'"),
        ("pagination: { type: page, size: 100, total: datas.total }", "pagination: { type: scroll }", "scroll"),
        ("pagination: { type: page, size: 100, total: datas.total }", "pagination: { type: next-url }", "path"),
        ("records: datas.list", "records: datas.list\n  encoding: gb18030", "'encoding' applies to format: csv only"),
        ("records: datas.list", "records: datas.list\n  format: xml", "xml"),
        ("request:", "preset: ckan\nrequest:", "preset 'ckan' needs 'resource:'"),
        ("request:", "preset: ckann\nrequest:", "ckann"),
        ("lookback: 10m", "lookback: 10m, template: \"UPDATE_TIME >= x\"", "incremental template must contain {value}"),
    ])
    func badRequestKeysAreReportedAtTheirPosition(_ original: String, _ replacement: String, _ message: String) throws {
        let error = try TestProject.licencesError(replacing: original, with: replacement)
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func presetsFillTheRequestAndRequestKeysOverride() throws {
        let text = TestProject.licences.replacingOccurrences(of: """
        request:
          path: /licenses.htm
          params: { areaCode: "${county.code}" }
          records: datas.list
          pagination: { type: page, size: 100, total: datas.total }
        """, with: """
        preset: arcgis
        resource: Licences
        request:
          params: { where: "XZQHDM='330782'" }
        """)
        let p = try TestProject(datasets: ["licences.yml": text])
        let d = try #require(try p.load().datasets.first)
        #expect(d.request.path == "/arcgis/rest/services/Licences/FeatureServer/0/query")
        #expect(d.request.records == ["features"] && d.request.flatten == "attributes")
        #expect(d.request.params.contains { $0.0 == "outFields" && $0.1 == "*" })
        #expect(d.request.params.filter { $0.0 == "where" }.map(\.1) == ["XZQHDM='330782'"])
        guard case .offset(let paging) = d.request.pagination else { Issue.record("arcgis pages by offset"); return }
        #expect(paging.pageParam == "resultOffset" && paging.sizeParam == "resultRecordCount")
    }
}
