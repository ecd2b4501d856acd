/// Drafting from the provincial catalogue (`dataflow draft --from-catalogue CODE`): the dataset's
/// metadata (title, provider, update cycle, share type, resource code) from the catalogue entry,
/// and — before the gateway answers — its fields from the entry's 信息项 (name and type), each a
/// `# CHECK:` until a sample refines it.
///
/// ```swift
/// let lines = CatalogueDraft.metadata(resource, missingFrom: dataset)   // ["title: 政务服务办件信息", …]
/// var body = CatalogueDraft.fields(of: resource, glossary: glossary, dictionaries: d)
/// ```
public enum CatalogueDraft {
    /// Top-level lines for what the request-only file does not say yet.
    public static func metadata(_ r: CatalogueResource, missingFrom original: String) -> [String] {
        let present = Set(original.split(whereSeparator: \.isLineBreak).compactMap { line -> String? in
            guard let first = line.first, first.isLetter else { return nil }
            return line.split(separator: ":", maxSplits: 1).first.map(String.init)
        })
        var lines: [String] = []
        if !present.contains("title") { lines.append("title: \(DraftWriter.quoted(r.name))          # 资源名称 (catalogue \(r.code))") }
        if !present.contains("provider"), !r.provider.isEmpty { lines.append("provider: \(DraftWriter.quoted(r.provider))") }
        if !present.contains("resource_code") { lines.append("resource_code: \(DraftWriter.quoted(r.code))") }
        if !present.contains("update_cycle"), let cycle = updateCycle(r.updateCycle) {
            lines.append("update_cycle: \(cycle.value.rawValue)" + (cycle.confidence == .uncertain ? "   # CHECK: \(cycle.evidence)" : "   # 更新周期 \(r.updateCycle)"))
        }
        if !present.contains("share_type") { lines.append("share_type: \(shareTypeKey(r.shareType))   # 共享类型 \(r.shareType.chinese)" + (r.shareCondition.isEmpty ? "" : "; 共享条件 \(r.shareCondition)")) }
        return lines
    }

    static func shareTypeKey(_ t: ShareType) -> String { t.rawValue }

    /// 更新周期 in the catalogue's words → `update_cycle`.
    static func updateCycle(_ text: String) -> Inference<UpdateCycle>? {
        let t = text.trimmingWhitespace
        if let exact = UpdateCycle.allCases.first(where: { $0.chinese == t }) { return Inference(exact, "更新周期 \(t)") }
        if t == "每半年" { return Inference(.yearly, "更新周期 每半年 has no own cycle: yearly keeps it fresh; quarterly would call it stale", .uncertain) }
        return nil
    }

    /// The guide's data type of a 信息项 → a field type (字符型C → text, 日期型D → date …).
    static func type(_ item: CatalogueResource.Item) -> (FieldType, DatePattern?) {
        let t = (item.type ?? "").uppercased()
        func has(_ words: String...) -> Bool { words.contains { t.contains($0) } }
        if has("日期时间", "T") && !has("TEXT") { return (.datetime, try? DatePattern("yyyy-MM-dd HH:mm:ss")) }
        if has("日期", "D") && !has("DECIMAL", "DOUBLE") { return (.date, try? DatePattern("yyyy-MM-dd")) }
        if has("整型", "I", "INT") { return (.int, nil) }
        if has("数值", "货币", "双精度", "浮点", "N", "Y", "B", "F", "DECIMAL", "NUMBER") { return (.decimal, nil) }
        if has("逻辑", "L", "BOOL") { return (.bool, nil) }
        if has("备注", "M") { return (.text, nil) }
        return (.text, nil)
    }

    /// Fields, key and matters from the 信息项 alone: every one a CHECK (the gateway's own field
    /// names and formats are unknown until it answers).
    public static func fields(of r: CatalogueResource, glossary: Glossary, dictionaries: Dictionaries) -> DraftWriter.DatasetDraft {
        var body = DraftWriter.DatasetDraft()
        var used: Set<String> = []
        for item in r.items {
            var column = glossary.columnName(for: item.name).value
            if used.contains(column) { var i = 2; while used.contains("\(column)_\(i)") { i += 1 }; column = "\(column)_\(i)" }
            used.insert(column)
            let (type, format) = type(item)
            var field = FieldDraft(source: item.name, column: Inference(column, "信息项 \(item.name)"),
                                   type: Inference(type, "信息项 \(item.name)\(item.type.map { " (\($0))" } ?? ""): the gateway's field name and format are not known until it answers", .uncertain),
                                   format: format)
            if let term = glossary.term(for: item.name), term.pii {
                field.pii = Inference(true, "personal data by name (glossary: \(item.name))")
                field.piiKind = term.kind
            }
            if column == "uscc" { field.checks = [Inference(.named(.uscc), "a credit code by name; confirm with a sample", .uncertain)] }
            if column == "citizen_id" || column == "applicant_id" {
                field.checks = [Inference(.named(.citizenID), "a citizen ID by name; confirm with a sample", .uncertain)]
                field.pii = Inference(true, "citizen ID numbers")
            }
            body.fields.append(field)
        }
        let keyOrder = ["uscc", "case_id", "citizen_id"]
        if let key = keyOrder.lazy.compactMap({ k in body.fields.firstIndex { $0.column.value == k } }).first
            ?? body.fields.firstIndex(where: { f in ["编号", "代码", "号码", "单元号", "证号", "文号"].contains { f.source.contains($0) } }) {
            body.fields[key].required = true
            body.key = Inference([body.fields[key].source], "\(body.fields[key].source) names the record; a sample must show it is unique", .uncertain)
        }
        if let matterItem = body.fields.firstIndex(where: { $0.column.value == "matter_code" }) {
            body.matter = Inference(body.fields[matterItem].source, "信息项 \(body.fields[matterItem].source) carries the matter code", .uncertain)
            body.fields.remove(at: matterItem)
        }
        let resolved = r.matters.compactMap { dictionaries.resolve($0)?.code }
        if body.matter == nil, !resolved.isEmpty {
            body.fixedMatters = Inference(resolved, "关联事项编码 of \(r.code); a field with each record's matter is better when the gateway sends one", .uncertain)
        }
        body.snapshotReason = Inference("snapshot", "no sample yet: incremental sync is drafted once the gateway answers (dataflow draft \(r.code.isEmpty ? "" : "… ")--force)", .uncertain)
        return body
    }

    /// Catalogue 信息项 the sample has no field for (matched through the glossary's column names).
    public static func missingItems(_ r: CatalogueResource, fields: [FieldDraft], glossary: Glossary) -> [String] {
        let columns = Set(fields.map(\.column.value)).union(fields.map(\.source))
        return r.items.filter { item in
            let column = glossary.columnName(for: item.name).value
            return !columns.contains(column) && !columns.contains(item.name)
        }.map { "CHECK: the catalogue lists 信息项 \($0.name)\($0.type.map { " (\($0))" } ?? ""), but the sample has no field for it" }
    }
}
