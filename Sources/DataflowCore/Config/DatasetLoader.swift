import Foundation

/// Loads every `datasets/*.yml` file into `DatasetConfig`s, collecting all errors.
struct DatasetLoader {
    let interpolator: Interpolator
    let sources: [SourceConfig]
    let dictionaries: Dictionaries
    /// Request-only files (no `key`/`fields` yet) load with an empty mapping, for `dataflow draft`.
    var allowRequestOnly = false

    func loadAll(mappingsPath: String, displayPrefix: String) throws -> [DatasetConfig] {
        let dir = mappingsPath + "/datasets"
        let files = ((try? FileManager.default.contentsOfDirectory(atPath: dir)) ?? [])
            .filter { $0.hasSuffix(".yml") || $0.hasSuffix(".yaml") }.sorted()
        var datasets: [DatasetConfig] = []
        var errors: [ConfigError] = []
        var names: [String: String] = [:]
        for file in files {
            let display = "\(displayPrefix)/datasets/\(file)"
            do {
                let dataset = try load(path: dir + "/" + file, display: display)
                if let other = names[dataset.name] {
                    throw ConfigError("dataset '\(dataset.name)' is also defined in \(other)", at: dataset.position)
                }
                names[dataset.name] = display
                datasets.append(dataset)
            } catch let error as ConfigError {
                errors.append(error)
            }
        }
        if errors.count == 1 { throw errors[0] }
        if !errors.isEmpty { throw ConfigErrors(errors: errors) }
        return datasets
    }

    func load(path: String, display: String) throws(ConfigError) -> DatasetConfig {
        try load(YAMLDocument.load(path: path, displayName: display), display: display)
    }

    /// A dataset file's text, parsed in memory (`dataflow draft` checks a draft before it is
    /// written, and a draft must not pass through a file anywhere else).
    func load(text: String, display: String) throws(ConfigError) -> DatasetConfig {
        try load(YAMLDocument.parse(text, file: display), display: display)
    }

    private func load(_ node: YAMLNode, display: String) throws(ConfigError) -> DatasetConfig {
        var m = try MappingReader(node, what: display, interpolator: interpolator)
        let name = try m.requiredString("dataset")
        if let problem = Identifier.problem(name, what: "dataset name") {
            throw ConfigError(problem, at: m.keyPosition("dataset"))
        }
        let title = try m.string("title") ?? name
        let sourceName = try m.requiredString("source")
        guard sources.contains(where: { $0.name == sourceName }) else {
            let names = sources.map(\.name)
            throw ConfigError("unknown source '\(sourceName)'\(MappingReader.suggestion(sourceName, names)) (sources in dataflow.yml: \(names.joined(separator: ", ")))", at: m.keyPosition("source"))
        }
        let provider = try m.string("provider")
        let resourceCode = try m.string("resource_code")
        let cycle = UpdateCycle(rawValue: try m.choice("update_cycle", UpdateCycle.allCases.map(\.rawValue)) ?? "daily") ?? .daily
        let share = ShareType(rawValue: try m.choice("share_type", ShareType.allCases.map(\.rawValue)) ?? "conditional") ?? .conditional

        let isExchange = sources.first(where: { $0.name == sourceName })?.sql != nil
        var exchangeReader: MappingReader?
        var preset: Preset?
        if !isExchange, let text = try m.choice("preset", Preset.allCases.map(\.rawValue)) { preset = Preset(rawValue: text) }
        let sourcePreset = sources.first(where: { $0.name == sourceName })?.preset
        let resource = isExchange ? nil : try m.string("resource")
        var request: RequestConfig
        if isExchange {
            // An exchange database (type: sql): `exchange:` says what to read; there is no HTTP request.
            guard let e = try m.mapping("exchange", what: "'exchange'") else { throw m.missing("exchange") }
            exchangeReader = e
            request = RequestConfig(path: "", params: [], records: [], pagination: .none)
        } else if let chosen = preset ?? sourcePreset {
            guard let resource else {
                throw ConfigError("preset '\(chosen.rawValue)' needs 'resource:' (the resource id or path on the portal)", at: m.keyPosition("preset") ?? m.position)
            }
            request = chosen.request(resource: resource)
            if var r = try m.mapping("request", what: "'request'") { request = try parseRequest(&r, defaults: request) }
        } else {
            if resource != nil { throw ConfigError("'resource' is used with a preset (preset: ckan | socrata | arcgis | odata | odata-v2)", at: m.keyPosition("resource")) }
            guard var r = try m.mapping("request", what: "'request'") else { throw m.missing("request") }
            request = try parseRequest(&r, defaults: nil)
        }

        var incremental: IncrementalConfig?
        if var inc = try m.mapping("incremental", what: "'incremental'") {
            let cursor = try inc.requiredString("cursor")
            let param = try inc.requiredString("param")
            let template = try inc.string("template")
            if let template, !template.contains("{value}") {
                throw ConfigError("incremental template must contain {value} (where the cursor goes), found '\(template)'", at: inc.keyPosition("template"))
            }
            let formatText = try inc.string("format") ?? "yyyy-MM-dd HH:mm:ss"
            let format: DatePattern
            do { format = try DatePattern(formatText) } catch {
                throw ConfigError(error.message, at: inc.keyPosition("format"))
            }
            let zoneText = try inc.string("timezone") ?? "Asia/Shanghai"
            guard let zone = ZoneSpec(zoneText) else {
                throw ConfigError("unknown time zone '\(zoneText)' (expected an IANA name like Asia/Shanghai, or +08:00)", at: inc.keyPosition("timezone"))
            }
            let lookback = try inc.duration("lookback", range: IncrementalConfig.lookbackRange) ?? 600
            let sorted = try inc.bool("sorted") ?? false
            try inc.finish()
            incremental = IncrementalConfig(cursor: cursor, param: param, template: template, format: format, timezone: zone, lookback: lookback, sorted: sorted)
        }

        if !allowRequestOnly, m.node("key") == nil, m.node("fields") == nil {
            throw ConfigError("no 'key' and 'fields' yet: `dataflow draft \(name)` writes them from a sample of the gateway", at: m.position)
        }
        let key: [String]
        if let list = try m.stringList("key"), !list.isEmpty { key = list } else if allowRequestOnly { key = [] } else { throw m.missing("key") }

        var deleted: DeletedRule?
        if var d = try m.mapping("deleted", what: "'deleted'") {
            let field = try d.requiredString("field")
            guard let equals = try d.stringList("equals") else { throw d.missing("equals") }
            try d.finish()
            deleted = DeletedRule(field: field, equals: equals)
        }

        var matters: MatterRule?
        if let mattersNode = m.node("matters") {
            switch mattersNode {
            case .mapping:
                var mr = try MappingReader(mattersNode, what: "'matters'", interpolator: interpolator)
                matters = .field(try mr.requiredString("field"))
                try mr.finish()
            case .sequence(let items, _):
                var codes: [String] = []
                for item in items {
                    let code = try MappingReader.scalar(item, key: "matters", interpolator: interpolator)
                    guard let matter = dictionaries.resolve(code) else {
                        let known = dictionaries.matters.map(\.code)
                        throw ConfigError("unknown matter code '\(code)'\(MappingReader.suggestion(code, known)) (not in dictionaries/matters.yml as a code or alias)", at: item.position)
                    }
                    codes.append(matter.code)
                }
                matters = .fixed(codes)
            case .scalar:
                throw ConfigError("'matters' must be { field: NAME } or a list of matter codes", at: mattersNode.position)
            }
        }

        var fieldEntries: [YAMLEntry] = []
        if let fieldsNode = m.node("fields") {
            guard case .mapping(let entries, _) = fieldsNode, !entries.isEmpty else {
                throw ConfigError("'fields' must map column names to field definitions", at: fieldsNode.position)
            }
            fieldEntries = entries
        } else if !allowRequestOnly {
            throw m.missing("fields")
        }
        let ownNullIf = try m.stringList("null_if")
        let nullIf = ownNullIf ?? NullDefaults.values
        let strict = try m.bool("strict") ?? false
        let maxTombstones = try m.tombstoneLimit("max_tombstones")
        let reconcile = try m.choice("reconcile", ReconcileSchedule.allCases.map(\.rawValue)).flatMap(ReconcileSchedule.init(rawValue:))
        if strict, !{ if case .field? = matters { return true } else { return false } }() {
            throw ConfigError("'strict' needs 'matters: { field: NAME }' (it rejects records whose matter code does not resolve)", at: m.keyPosition("strict"))
        }
        let parser = FieldParser(interpolator: interpolator, codes: dictionaries.codes, datasetNullIf: nullIf, datasetNullIfExplicit: ownNullIf != nil)
        var fields: [FieldConfig] = []
        for entry in fieldEntries {
            fields.append(try parser.parse(entry))
        }
        for k in key where !fields.contains(where: { $0.column == k }) {
            throw ConfigError("key column '\(k)' is not one of the mapped fields (\(fields.map(\.column).joined(separator: ", ")))", at: m.keyPosition("key"))
        }
        var exchange: ExchangeQueryConfig?
        if var e = exchangeReader {
            exchange = try parseExchange(&e, keySources: key.compactMap { k in fields.first { $0.column == k }?.from })
        }
        try m.finish()
        if reconcile != nil, exchange != nil {
            throw ConfigError("'reconcile' is not supported for exchange (type: sql) datasets yet: their keyset walk does not stamp the keys it reads", at: m.keyPosition("reconcile"))
        }
        if reconcile != nil, incremental == nil {
            throw ConfigError("'reconcile' applies to incremental datasets; a dataset without 'incremental' is already a full snapshot every run", at: m.keyPosition("reconcile"))
        }
        var config = DatasetConfig(name: name, title: title, source: sourceName, provider: provider, updateCycle: cycle,
                                   shareType: share, request: request, incremental: incremental, key: key, deleted: deleted,
                                   matters: matters, fields: fields, strict: strict, file: display, position: m.position, exchange: exchange)
        config.reconcile = reconcile
        config.resourceCode = resourceCode
        config.maxTombstones = maxTombstones
        return config
    }

    private func parseRequest(_ r: inout MappingReader, defaults: RequestConfig?) throws(ConfigError) -> RequestConfig {
        let path: String
        if let d = defaults { path = try r.string("path") ?? d.path } else { path = try r.requiredString("path") }
        guard path.hasPrefix("/") else { throw ConfigError("request path must start with '/', found '\(path)'", at: r.keyPosition("path")) }
        // A parameter the dataset sets replaces the preset's parameter of the same name.
        let own = try r.stringMap("params") ?? []
        let params = (defaults?.params ?? []).filter { p in !own.contains { $0.0 == p.0 } } + own
        let records = try r.string("records").map(SourceParser.path) ?? defaults?.records ?? []
        var pagination = defaults?.pagination ?? PaginationConfig.none
        if var p = try r.mapping("pagination", what: "'pagination'") {
            pagination = try parsePagination(&p)
            try p.finish()
        }
        let format = RecordFormat(rawValue: try r.choice("format", RecordFormat.allCases.map(\.rawValue)) ?? (defaults?.format.rawValue ?? "json")) ?? .json
        let encoding = try r.choice("encoding", TextDecoding.Encoding.allCases.map(\.rawValue)).flatMap(TextDecoding.Encoding.init(rawValue:))
        if encoding != nil && format != .csv { throw ConfigError("'encoding' applies to format: csv only", at: r.keyPosition("encoding")) }
        let flatten = try r.string("flatten") ?? defaults?.flatten
        try r.finish()
        var request = RequestConfig(path: path, params: params, records: records, pagination: pagination)
        request.format = format
        request.encoding = encoding
        request.flatten = flatten
        return request
    }

    private func parsePagination(_ p: inout MappingReader) throws(ConfigError) -> PaginationConfig {
        let types = ["page", "offset", "cursor", "next-url", "link-header", "none"]
        guard let type = try p.choice("type", types) else { throw p.missing("type") }
        switch type {
        case "page", "offset":
            var page = PagePagination()
            if type == "offset" { page.pageParam = "offset"; page.sizeParam = "limit"; page.firstPage = 0 }
            if let v = try p.string(type == "page" ? "page_param" : "offset_param") { page.pageParam = v }
            if let v = try p.string(type == "page" ? "size_param" : "limit_param") { page.sizeParam = v }
            if let v = try p.int("size", range: 1...100_000) { page.size = v }
            if type == "page", let v = try p.int("first_page", range: 0...1) { page.firstPage = v }
            page.totalPath = try p.string("total").map(SourceParser.path)
            return type == "page" ? .page(page) : .offset(page)
        case "cursor":
            let param = try p.requiredString("param")
            let tokenPath = try p.string("token").map(SourceParser.path)
            let header = try p.string("token_header")
            guard (tokenPath == nil) != (header == nil) else {
                throw ConfigError("cursor paging needs exactly one of 'token' (a body path) or 'token_header' (a response header)", at: p.position)
            }
            let sizeParam = try p.string("size_param")
            let size = try p.int("size", range: 1...100_000)
            return .cursor(CursorPagination(param: param, tokenPath: tokenPath, tokenHeader: header, sizeParam: sizeParam, size: size))
        case "next-url":
            return .nextURL(path: SourceParser.path(try p.requiredString("path")))
        case "link-header":
            return .linkHeader
        default:
            return .none
        }
    }

    /// `exchange:` of a dataset whose source is an exchange database.
    private func parseExchange(_ e: inout MappingReader, keySources: [String]) throws(ConfigError) -> ExchangeQueryConfig {
        let table = try e.string("table"), query = try e.string("query")
        let origin: ExchangeQueryConfig.Origin
        switch (table, query) {
        case (let t?, nil):
            guard t.split(separator: ".", omittingEmptySubsequences: false).allSatisfy({ ExchangeQueryConfig.isColumnName(String($0)) }) else {
                throw ConfigError("table '\(t)' must be a name or schema.name of letters, digits and _", at: e.keyPosition("table"))
            }
            origin = .table(t)
        case (nil, let q?):
            origin = .query(q)
        case (nil, nil):
            throw ConfigError("'exchange' needs either table: NAME or query: SELECT …", at: e.position)
        default:
            throw ConfigError("'exchange' takes table: or query:, not both", at: e.keyPosition("query"))
        }
        let watermark = try e.requiredString("watermark")
        let key = try e.stringList("key") ?? keySources
        for name in [watermark] + key where !ExchangeQueryConfig.isColumnName(name) {
            throw ConfigError("'\(name)' is not a column name (letters, digits and _)", at: e.position)
        }
        guard !key.isEmpty else { throw ConfigError("'exchange' needs key: [COLUMN…] (the columns that make a row unique)", at: e.position) }
        let pageSize = try e.int("page_size", range: 1...100_000) ?? 1000
        try e.finish()
        return ExchangeQueryConfig(origin: origin, watermark: watermark, key: key, pageSize: pageSize)
    }
}
