import Testing
@testable import DataflowCore

@Suite("Config loading: positions, strict keys, environment, secrets")
struct ConfigLoaderTests {
    @Test func loadsAValidProject() throws {
        let p = try TestProject(datasets: ["licences.yml": TestProject.licences])
        let project = try p.load()
        #expect(project.county.code == "330782")
        #expect(project.datasets.map(\.name) == ["market_licenses"])
        let ds = try #require(project.datasets.first)
        #expect(ds.key == ["uscc"])
        #expect(ds.incremental?.lookback == 600)
        #expect(ds.incremental?.sorted == true)
        guard let auth = project.sources[0].auth.style as? ZJIRSAuthConfig else { Issue.record("expected zj-irs"); return }
        #expect(auth.appKey == "key")
        #expect(auth.appSecret.revealed == "secret")
        #expect(project.dictionaries.resolve("1133078202000000864302320094001")?.code == "000105001000")
    }

    @Test func environmentReferencesResolveAndMissingOnesNameThePlace() throws {
        let config = TestProject.defaultConfig.replacingOccurrences(of: "${APP_SECRET:-secret}", with: "${ZJ_SECRET}")
        let p = try TestProject(config: config)
        let project = try p.load(environment: ["ZJ_SECRET": "from-env"])
        guard let auth = project.sources[0].auth.style as? ZJIRSAuthConfig else { Issue.record("expected zj-irs"); return }
        #expect(auth.appSecret.revealed == "from-env")
        do {
            _ = try p.load(environment: [:])
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.hasPrefix("dataflow.yml:7:"))
            #expect(error.description.contains("ZJ_SECRET is not set"))
        }
        let empty = try #require(throws: ConfigError.self) { try p.load(environment: ["ZJ_SECRET": ""]) }
        #expect(empty.description.contains("ZJ_SECRET is empty"), "\(empty)")
    }

    /// A reference ends at its first `}`: a default that holds another reference is refused by
    /// name (it gave the first variable's value with a stray `}`, or the inner reference's text).
    @Test func aDefaultHoldingAReferenceIsRefused() throws {
        let at = SourcePosition(file: "dataflow.yml", line: 3, column: 11)
        for environment in [["GW_URL": "http://gw"], [:]] {
            let error = try #require(throws: ConfigError.self) {
                try Interpolator(environment: environment).resolve("${GW_URL:-${FALLBACK}}", at: at)
            }
            #expect(error.description.contains("a default cannot hold another ${…} reference") && error.description.hasPrefix("dataflow.yml:3:11"), "\(error)")
        }
        #expect(try Interpolator(environment: [:]).resolve("${H:-data.gov.cn}/api", at: at) == "data.gov.cn/api")
        #expect(try Interpolator(environment: ["H": "x"]).resolve("${H:-}${H}", at: at) == "xx")
    }

    @Test func malformedYAMLNamesFileLineAndColumn() throws {
        let broken = TestProject.licences.replacingOccurrences(of: "key: [uscc]", with: "key: [uscc")
        let p = try TestProject(datasets: ["licences.yml": broken])
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.description.hasPrefix("Mappings/datasets/licences.yml:"))
        let parts = error.description.split(separator: ":")
        #expect(Int(parts[1]) != nil && Int(parts[2]) != nil, "\(error)")
    }

    @Test func unknownKeysGetADidYouMean() throws {
        let broken = TestProject.licences.replacingOccurrences(of: "deleted:", with: "deleeted:")
        let p = try TestProject(datasets: ["licences.yml": broken])
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.description.hasPrefix("Mappings/datasets/licences.yml:11:1:"))
        #expect(error.description.contains("unknown key 'deleeted'"))
        #expect(error.description.contains("did you mean 'deleted'"))
    }

    @Test("bad values are reported at their position", arguments: [
        ("check: uscc", "check: usci", "unknown check 'usci'"),
        ("type: decimal", "type: money", "unknown type 'money'"),
        ("source: province", "source: provnce", "unknown source 'provnce'"),
        ("key: [uscc]", "key: [id]", "key column 'id' is not one of the mapped fields"),
        ("format: yyyyMMdd", "format: yyMMdd", "must be written as 4 letters"),
        ("  uscc:  ", "  USCC:  ", "not a safe SQL name"),
        ("lookback: 10m", "lookback: ten", "must be a duration"),
    ])
    func badValues(_ original: String, _ replacement: String, _ message: String) throws {
        let error = try TestProject.licencesError(replacing: original, with: replacement)
        #expect(error.description.contains(message), "\(error)")
    }

    @Test func dictionaryReferencesAreChecked() throws {
        let matters = TestProject.defaultMatters.replacingOccurrences(of: "[SCJG-01]", with: "[SCJG-09]")
        let p = try TestProject(matters: matters)
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.description.contains("unknown function 'SCJG-09'"))
        let badType = TestProject.defaultMatters.replacingOccurrences(of: "type: 行政许可", with: "type: 许可")
        let q = try TestProject(matters: badType)
        let typeError = try #require(throws: ConfigError.self) { try q.load() }
        #expect(typeError.description.contains("unknown matter type '许可'"))
    }

    @Test func secretsDoNotAppearInErrors() throws {
        let config = TestProject.defaultConfig.replacingOccurrences(of: "base_url: http://127.0.0.1:9", with: "base_url: ftp://x")
        let p = try TestProject(config: config)
        let error = try #require(throws: ConfigError.self) { try p.load(environment: ["APP_SECRET": "s3cr3t-value"]) }
        #expect(!error.description.contains("s3cr3t-value"))
        #expect(error.description.contains("base_url must start with http"))
    }

    @Test func aBaseURLHoldsNoCredentialNorQueryAndErrorsDoNotShowThem() throws {
        func error(_ url: String, environment: [String: String] = [:]) throws -> ConfigError {
            let config = TestProject.defaultConfig.replacingOccurrences(of: "base_url: http://127.0.0.1:9", with: "base_url: ${GWURL}")
            let p = try TestProject(config: config)
            return try #require(throws: ConfigError.self) { try p.load(environment: ["GWURL": url]) }
        }
        let userInfo = try error("https://usr:TopSecretPw1@gw.example.gov.cn/api")
        #expect(userInfo.description.contains("holds a user name or password"), "\(userInfo)")
        let badPort = try error("https://gw.example.gov.cn:99999")
        #expect(badPort.description.contains("port"), "\(badPort)")
        let badPortWithUser = try error("https://usr:TopSecretPw1@gw.example.gov.cn:99999")
        let query = try error("http://127.0.0.1:9/?token=QUERYSECRET9")
        #expect(query.description.contains("query string"), "\(query)")
        let noScheme = try error("usr:TopSecretPw1@gw.example.gov.cn")
        let broken = try error("http://usr:TopSecretPw1@[::1")
        let ftp = try error("FTP://usr:TopSecretPw1@gw.example.gov.cn")
        for e in [userInfo, badPortWithUser, query, noScheme, broken, ftp] {
            #expect(!e.description.contains("TopSecretPw1") && !e.description.contains("QUERYSECRET9"), "\(e)")
        }
        // The scheme is case-insensitive, and kept in lower case.
        let config = TestProject.defaultConfig.replacingOccurrences(of: "base_url: http://127.0.0.1:9", with: "base_url: HTTPS://gw.example.gov.cn/api")
        let project = try TestProject(config: config).load()
        #expect(project.sources[0].baseURL == "https://gw.example.gov.cn/api")
    }

    @Test func aProxyIsCheckedAndItsPasswordIsASecret() throws {
        func load(_ proxy: String) throws -> ProjectConfig {
            let config = TestProject.defaultConfig.replacingOccurrences(of: "    base_url: http://127.0.0.1:9", with: "    base_url: http://127.0.0.1:9\n    proxy: \"\(proxy)\"")
            return try TestProject(config: config).load()
        }
        for bad in ["htp://pu:ProxySecret9@127.0.0.1:1", "http://pu:ProxySecret9@[::1", "pu:ProxySecret9@127.0.0.1:1", "http://127.0.0.1:70000"] {
            let e = try #require(throws: ConfigError.self) { try load(bad) }
            #expect(e.description.contains("proxy"), "\(e)")
            #expect(!e.description.contains("ProxySecret9"), "\(e)")
        }
        let project = try load("http://pu:Proxy%2FSecret9@proxy.local:3128")
        #expect(project.sources[0].proxy == "http://pu:Proxy%2FSecret9@proxy.local:3128")
        #expect(project.secretValues.map(\.revealed).contains("Proxy/Secret9"))
        let redactor = Redactor(project: project)
        #expect(!redactor.redact("connect: could not reach proxy http://pu:Proxy%2FSecret9@proxy.local:3128").contains("Secret9"))
        #expect(try load("").sources[0].proxy == "")
        #expect(try load("socks5h://proxy.local:1080").sources[0].proxy == "socks5h://proxy.local:1080")
        #expect(try load("proxy.local:3128").sources[0].proxy == "proxy.local:3128")
    }

    @Test func referencesSurviveFlowMappings() throws {
        // `${X}` is not a legal plain scalar inside `{ … }`; the loader protects it without moving columns.
        let protected = try #require(YAMLDocument.protectReferences("a: { b: ${X}, c: 1 }"))
        #expect(protected.count == "a: { b: ${X}, c: 1 }".count)
        let node = try YAMLDocument.parse("a: { b: ${X}, c: oops }", file: "f.yml")
        guard case .mapping(let entries, _) = node, case .mapping(let inner, _) = entries[0].value else { Issue.record("shape"); return }
        guard case .scalar(let b, _, _) = inner[0].value else { Issue.record("scalar"); return }
        #expect(b == "${X}")
        #expect(inner[1].keyPosition.column == 15)
    }

    /// The characters references are marked with while a file is read are GBK's first
    /// user-defined ones: a file without a reference keeps them as they are (they were read back
    /// as `$`, `{` and `}`), and one that has both is refused by name rather than changed.
    @Test func privateUseCharactersAreKeptAndNeverTakenForReferenceMarks() throws {
        let name = "\u{E000}记\u{E001}\u{E002}"
        let node = try YAMLDocument.parse("name: \(name)\nlist: [\(name)]\n\(name): 1\n", file: "matters.yml")
        guard case .mapping(let entries, _) = node, entries.count == 3,
              case .scalar(let value, _, _) = entries[0].value,
              case .sequence(let items, _) = entries[1].value, case .scalar(let item, _, _) = items.first else {
            Issue.record("shape: \(node)"); return
        }
        #expect(value == name)
        #expect(item == name)
        #expect(entries[2].key == name)
        let error = try #require(throws: ConfigError.self) { try YAMLDocument.parse("name: \(name)\nurl: ${BASE}\n", file: "dataflow.yml") }
        #expect(error.description.contains("U+E000") && error.description.contains("dataflow.yml"), "\(error)")
        // Written as escapes they are only seen once parsed: kept, and the reference restored.
        let escaped = try YAMLDocument.parse("name: \"\\uE000记\\uE001\\uE002\"\nurl: ${BASE}\n", file: "dataflow.yml")
        guard case .mapping(let pairs, _) = escaped, case .scalar(let kept, _, _) = pairs[0].value, case .scalar(let url, _, _) = pairs[1].value else {
            Issue.record("shape: \(escaped)"); return
        }
        #expect(kept == name)
        #expect(url == "${BASE}")
        // A `${` that is not a reference marks nothing, and the file is not refused.
        let unclosed = try YAMLDocument.parse("name: \(name)\nnote: costs ${ a lot\n", file: "matters.yml")
        guard case .mapping(let notes, _) = unclosed, case .scalar(let note, _, _) = notes[1].value else { Issue.record("shape: \(unclosed)"); return }
        #expect(note == "costs ${ a lot")
    }
}
