import Foundation

/// `dataflow draft`: fetches a sample of a request-only dataset, infers the mapping with evidence,
/// and returns the commented dataset file — loaded back through the strict `DatasetLoader` first,
/// so a draft that would not `validate` is never handed out.
///
/// ```swift
/// var loader = ProjectLoader(environment: env); loader.allowRequestOnlyDatasets = true
/// let drafter = DatasetDrafter(project: try loader.load(root: "."), environment: env)
/// let result = try drafter.draft("new_dataset")
/// try AtomicFile.write(Data(result.text.utf8), to: result.path)
/// ```
public struct DatasetDrafter {
    /// How much to read and whether an existing mapping may be replaced.
    public struct Options: Sendable {
        /// Records to read (nil: up to 3 pages or 2,000 records).
        public var sample: Int?
        public var force = false
        /// `--from-catalogue`: the catalogue entry to take metadata (and, without a sample, fields) from.
        public var catalogue: CatalogueResource?
        public init(sample: Int? = nil, force: Bool = false, catalogue: CatalogueResource? = nil) {
            self.sample = sample
            self.force = force
            self.catalogue = catalogue
        }
    }

    /// A finished draft.
    public struct Result: Sendable {
        public var dataset: String
        /// Where the file lives (the CLI writes `text` there unless --dry-run).
        public var path: String
        public var text: String
        public var sampled = 0
        public var pages = 0
        public var requests = 0
        public var mapped = 0
        public var quarantined = 0
        /// Quarantine reasons in the sample: "field rule" → count.
        public var reasons: [(String, Int)] = []
        /// The `# CHECK:` lines: what a human must decide.
        public var checks: [String] = []
    }

    /// Why a draft cannot be made.
    public struct DraftError: Error, CustomStringConvertible, Sendable {
        public var description: String
        public init(_ description: String) { self.description = description }
    }

    public let project: ProjectConfig
    public let environment: [String: String]
    /// Knows the project's secrets: every error text passes through it before it is shown.
    public let redactor: Redactor
    public var now = Date()

    public init(project: ProjectConfig, environment: [String: String]) {
        self.project = project
        self.environment = environment
        redactor = Redactor(project: project)
    }

    /// The file that holds `dataset`.
    public func path(of dataset: DatasetConfig) -> String {
        project.mappingsPath + "/datasets/" + (dataset.file as NSString).lastPathComponent
    }

    public func draft(_ name: String, options: Options = Options()) throws -> Result {
        guard let dataset = project.dataset(named: name) else {
            throw DraftError("\(project.unknownDatasetMessage(name)); start one with dataset, source and request in \(project.mappingsPath)/datasets/\(name).yml")
        }
        let path = path(of: dataset)
        if !dataset.fields.isEmpty && !options.force {
            throw DraftError("\(dataset.file) already has fields: — left as it is (use --force to draft it again, or --dry-run to see the draft)")
        }
        guard let source = project.source(named: dataset.source) else { throw DraftError("unknown source '\(dataset.source)'") }
        if source.sql != nil {
            throw DraftError("\(dataset.file): drafting from an exchange database (type: sql) is not supported yet; write its fields by hand")
        }
        let original = try String(contentsOfFile: path, encoding: .utf8)
        let client = try SourceClient(source: source, redactor: redactor, downloads: DownloadFolder(project: project))
        let sampler = DraftSampler(project: project, dataset: dataset, client: client)
        let sample: DraftSampler.Sample
        do {
            sample = try sampler.fetch(maxRecords: options.sample ?? 2000, maxPages: options.sample == nil ? 3 : nil)
        } catch {
            // Before the gateway answers, the catalogue's 信息项 are all there is.
            guard let resource = options.catalogue else { throw error }
            return try catalogueOnly(dataset, resource: resource, original: original, path: path, why: "the gateway did not answer (\(redactor.printable("\(error)")))")
        }
        guard !sample.records.isEmpty else {
            if let resource = options.catalogue {
                return try catalogueOnly(dataset, resource: resource, original: original, path: path, why: "the gateway answered with no records")
            }
            throw DraftError("\(dataset.name): the gateway answered with no records (\(sample.requests) request(s)); check the request with `dataflow check`, or draft from the catalogue with --from-catalogue")
        }
        // Fields have names only in objects: records that are arrays or bare values (the wrong
        // `request.records` path, or a gateway that answers rows as arrays) leave nothing to draft.
        let notObjects = sample.records.enumerated().filter { if case .object = $0.element { return false } else { return true } }
        let recordsPath = dataset.request.records.isEmpty ? "the response itself" : "request.records (\(dataset.request.records.joined(separator: ".")))"
        if let first = notObjects.first, notObjects.count == sample.records.count {
            throw DraftError("\(dataset.name): the \(Count.text(sample.records.count)) records the gateway answered are not JSON objects (record \(first.offset + 1) is a JSON \(first.element.kindName)), so they have no named fields to draft; check that \(recordsPath) points at the list of record objects with `dataflow check \(dataset.name)`")
        }
        var draft = try infer(dataset: dataset, records: sample.records)
        if let resource = options.catalogue {
            let glossary = try Glossary.load(mappingsPath: project.mappingsPath, displayPrefix: (project.mappingsPath as NSString).lastPathComponent, environment: environment)
            draft.body.metadata = CatalogueDraft.metadata(resource, missingFrom: original)
            draft.body.omitted += CatalogueDraft.missingItems(resource, fields: draft.body.fields, glossary: glossary)
        }
        if dataset.incremental != nil && !options.force {
            draft.keepIncremental = true
        } else if let cursor = draft.incrementalCursor {
            let probe = IncrementalProbe(client: client, dataset: dataset)
            if let filter = probe.find(cursor: cursor.cursor.value, format: cursor.format, sample: sample) {
                draft.body.incremental = (cursor.cursor, filter, cursor.format, cursor.sorted)
            } else {
                draft.body.snapshotReason = Inference("snapshot", "\(cursor.cursor.value) changes with each record, but no request parameter tried (\(IncrementalProbe.plainParameters.prefix(3).joined(separator: ", ")) …) filtered on it: a full snapshot every run. Add incremental: by hand if the gateway documents one", .uncertain)
            }
        } else {
            draft.body.snapshotReason = Inference("snapshot", "no change-time field found: a full snapshot every run (keys missing from a complete pass are tombstoned)")
        }
        var result = Result(dataset: dataset.name, path: path, text: "", sampled: sample.records.count, pages: sample.pages, requests: sample.requests)
        let header = "Drafted by `dataflow draft` on \(Timestamp.format(now).prefix(10)) from \(Count.text(sample.records.count)) records (\(sample.pages) page(s)) of source \(dataset.source)."
        draft.body.header = [header, "Each line below says why; lines marked CHECK need a human before the first sync."]
        // Load the draft back strictly and map the sample through it.
        let verified = try verify(DraftWriter.render(original: original, draft: draft.body), dataset: dataset)
        let mapper = RecordMapper(dataset: verified, dictionaries: project.dictionaries, now: now)
        var reasons: [String: Int] = [:]
        for record in sample.records {
            switch mapper.map(record) {
            case .row: result.mapped += 1
            case .rejected(let r):
                result.quarantined += 1
                for reason in r.reasons { reasons[reason.field.map { "\($0) \(reason.rule)" } ?? reason.rule, default: 0] += 1 }
            }
        }
        result.reasons = reasons.sorted { $0.value != $1.value ? $0.value > $1.value : $0.key < $1.key }
        let rate = String(format: "%.2f", 100 * Double(result.quarantined) / Double(max(1, sample.records.count)))
        var line = "Sample: \(Count.text(result.mapped)) records map, \(Count.text(result.quarantined)) would be quarantined (\(rate) %)"
        if !result.reasons.isEmpty { line += ": " + result.reasons.prefix(4).map { "\($0.0) \(Count.text($0.1))" }.joined(separator: ", ") }
        draft.body.header.append(line + ".")
        if let first = notObjects.first {
            draft.body.header.append("CHECK: \(Count.text(notObjects.count)) of the sampled records are not JSON objects (record \(first.offset + 1) is a JSON \(first.element.kindName)); they are quarantined (rule record) at every sync.")
        }
        result.text = DraftWriter.render(original: original, draft: draft.body)
        _ = try verify(result.text, dataset: dataset)
        result.checks = result.text.split(separator: "\n").filter { $0.contains("CHECK:") }
            .map { String($0).trimmingWhitespace }
        return result
    }

    /// A draft from the catalogue entry alone (no sample): metadata, fields from 信息项, all CHECK.
    func catalogueOnly(_ dataset: DatasetConfig, resource: CatalogueResource, original: String, path: String, why: String) throws -> Result {
        let glossary = try Glossary.load(mappingsPath: project.mappingsPath, displayPrefix: (project.mappingsPath as NSString).lastPathComponent, environment: environment)
        guard !resource.items.isEmpty else {
            throw DraftError("\(dataset.name): \(why), and catalogue entry \(resource.code) lists no 信息项 to draft from")
        }
        var body = CatalogueDraft.fields(of: resource, glossary: glossary, dictionaries: project.dictionaries)
        body.metadata = CatalogueDraft.metadata(resource, missingFrom: original)
        body.header = ["Drafted by `dataflow draft --from-catalogue \(resource.code)` on \(Timestamp.format(now).prefix(10)) from the catalogue's 信息项: \(why).",
                       "Every field is a CHECK until a sample refines it: dataflow draft \(dataset.name) --from-catalogue \(resource.code) --force"]
        var result = Result(dataset: dataset.name, path: path, text: DraftWriter.render(original: original, draft: body))
        _ = try verify(result.text, dataset: dataset)
        result.checks = result.text.split(separator: "\n").filter { $0.contains("CHECK:") }.map { String($0).trimmingWhitespace }
        return result
    }

    /// The inferred body and, if found, the cursor (the probe needs a client).
    struct Inferred {
        var body = DraftWriter.DatasetDraft()
        var incrementalCursor: (cursor: Inference<String>, format: DatePattern, sorted: Bool)?
        var keepIncremental: Bool {
            get { body.keepIncremental }
            set { body.keepIncremental = newValue }
        }
    }

    /// Profiles the records and runs every inferrer (no network).
    func infer(dataset: DatasetConfig, records: [JSONValue]) throws -> Inferred {
        let glossary = try Glossary.load(mappingsPath: project.mappingsPath, displayPrefix: (project.mappingsPath as NSString).lastPathComponent, environment: environment)
        return DatasetDrafter.infer(records: records, glossary: glossary, dictionaries: project.dictionaries)
    }

    /// The inference on a sample alone: profiles → fields → roles. Pure; unit-tested.
    static func infer(records: [JSONValue], glossary: Glossary, dictionaries: Dictionaries) -> Inferred {
        let profiles = ColumnProfile.profiles(of: records)
        let checker = CheckInferrer(codes: dictionaries.codes)
        var fields: [FieldDraft] = []
        var types: [String: TypeInferrer.Decision] = [:]
        var checks: [String: CheckInferrer.Decision] = [:]
        for p in profiles {
            let (field, type, check) = FieldDraft.infer(p, glossary: glossary, checks: checker)
            fields.append(field)
            types[p.name] = type
            checks[p.name] = check
        }
        let roles = RoleInferrer(dictionaries: dictionaries).infer(profiles, types: types, checks: checks)
        var inferred = Inferred()
        inferred.body.key = roles.key
        inferred.body.keyHint = roles.keyHint
        inferred.body.deleted = roles.deleted
        inferred.body.matter = roles.matter
        if let cursor = roles.cursor, let format = types[cursor.value]?.format {
            inferred.incrementalCursor = (cursor, format, roles.cursorSorted)
        }
        let roleFields = Set([roles.deleted?.value.field, roles.matter?.value].compactMap { $0 })
        var used: Set<String> = []
        for var field in fields {
            if roleFields.contains(field.source) {
                inferred.body.omitted.append("\(field.source) is not a column: it is the dataset's \(field.source == roles.matter?.value ? "matter field (stored as _matter)" : "deleted flag (stored as _deleted)")")
                continue
            }
            var name = field.column.value
            if used.contains(name) {
                var i = 2
                while used.contains("\(name)_\(i)") { i += 1 }
                name = "\(name)_\(i)"
                field.column = Inference(name, "\(field.source): '\(field.column.value)' is taken by another field; named \(name)", .uncertain)
            }
            used.insert(name)
            if roles.key?.value.contains(field.source) == true { field.required = true }
            inferred.body.fields.append(field)
        }
        return inferred
    }

    /// Loads `text` through the strict dataset loader; a draft that fails is a drafter bug. The
    /// text is parsed in memory: a draft holds the sample's field names and masked evidence, and
    /// no copy of it goes to a file (the shared temporary folder least of all).
    func verify(_ text: String, dataset: DatasetConfig) throws -> DatasetConfig {
        let loader = DatasetLoader(interpolator: Interpolator(environment: environment), sources: project.sources, dictionaries: project.dictionaries)
        do {
            return try loader.load(text: text, display: dataset.file)
        } catch {
            throw DraftError("the draft of \(dataset.name) does not validate (\(error)); nothing was written. Please report this with the output of --dry-run")
        }
    }
}
