import Foundation

/// Reads the provincial resource catalogue as provinces publish it — CSV (UTF-8 with or without
/// BOM, or GB18030), Excel `.xlsx`, or JSON from a gateway's catalogue API — into resources.
/// Headers may span two rows (a merged group label above the field labels); a bad file fails
/// with the file, row and column.
///
/// ```swift
/// let importer = CatalogueImporter(columns: try CatalogueColumnMap.load(mappingsPath: "Mappings", displayPrefix: "Mappings"))
/// let resources = try importer.read(path: "省资源目录.xlsx")
/// ```
public struct CatalogueImporter: Sendable {
    /// A problem in the file: where, and what to do.
    public struct ImportError: Error, Sendable, CustomStringConvertible {
        public var file: String
        public var row: Int?
        public var column: String?
        public var message: String
        public var description: String {
            var at = file
            if let row { at += ": row \(row)" }
            if let column { at += ", column \(column)" }
            return at + ": " + message
        }
    }

    public let columns: CatalogueColumnMap

    public init(columns: CatalogueColumnMap) { self.columns = columns }

    public func read(path: String) throws -> [CatalogueResource] {
        let file = (path as NSString).lastPathComponent
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportError(file: path, message: "cannot read the file (does it exist, and may this user read it?)")
        }
        return try read(bytes: Array(data), file: file)
    }

    public func read(bytes: [UInt8], file: String) throws -> [CatalogueResource] {
        let lower = file.lowercased()
        if lower.hasSuffix(".xlsx") || bytes.starts(with: [0x50, 0x4B, 0x03, 0x04]) {
            let sheet: XLSXReader.Sheet
            do { sheet = try XLSXReader.firstSheet(bytes: bytes, file: file) } catch let e as ZipArchive.ZipError {
                throw ImportError(file: file, message: e.description.replacingOccurrences(of: "\(file): ", with: ""))
            }
            return try resources(sheet: sheet, file: file)
        }
        if lower.hasSuffix(".xls") || bytes.starts(with: [0xD0, 0xCF, 0x11, 0xE0]) {
            throw ImportError(file: file, message: "this is an old Excel .xls file: save it as .xlsx (or CSV) and import that")
        }
        let text: [UInt8]
        do { text = try TextDecoding.utf8(bytes, encoding: nil) } catch {
            throw ImportError(file: file, message: "\(error)")
        }
        if lower.hasSuffix(".json") || text.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }).map({ $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "{") }) == true {
            return try json(text, file: file)
        }
        var parser = CSVReader.Parser()
        var rows: [(number: Int, cells: [String])] = []
        do {
            try text.withUnsafeBufferPointer { try parser.feed($0) { row, line in rows.append((line, row)) } }
            try parser.finish { row, line in rows.append((line, row)) }
        } catch let e as CSVReader.SyntaxError {
            throw ImportError(file: file, row: e.line, message: e.message)
        } catch let e as TruncatedBody {
            throw ImportError(file: file, message: "\(e)")
        }
        return try resources(rows: rows, file: file, columnName: { _ in nil })
    }

    /// The header: the row (or two rows, for a merged group label above) naming the most fields.
    func header(_ rows: [(number: Int, cells: [String])]) -> (labels: [String], dataStart: Int)? {
        var best: (labels: [String], dataStart: Int, score: Int)?
        for i in 0..<min(rows.count, 6) {
            let single = rows[i].cells
            let candidates: [([String], Int)] = [(single, i + 1)] + (i + 1 < rows.count ? [(combine(single, rows[i + 1].cells), i + 2)] : [])
            for (labels, start) in candidates {
                let score = Set(labels.compactMap(columns.field(for:))).count
                if score > (best?.score ?? 0) { best = (labels, start, score) }
            }
        }
        guard let best, best.score >= 2 else { return nil }
        return (best.labels, best.dataStart)
    }

    /// Two header rows as one: per column, the label that names a field, else the lower one.
    private func combine(_ upper: [String], _ lower: [String]) -> [String] {
        (0..<max(upper.count, lower.count)).map { i in
            let u = i < upper.count ? upper[i] : "", l = i < lower.count ? lower[i] : ""
            if columns.field(for: l) != nil { return l }
            if columns.field(for: u) != nil { return u }
            return l.isEmpty ? u : l
        }
    }

    /// The resources of a workbook's sheet: columns named by letter, serial dates in its date system.
    func resources(sheet: XLSXReader.Sheet, file: String) throws -> [CatalogueResource] {
        try resources(rows: sheet.rows, file: file, columnName: { XLSXReader.columnLetters($0) }, date1904: sheet.date1904)
    }

    func resources(rows: [(number: Int, cells: [String])], file: String, columnName: (Int) -> String?, date1904: Bool = false) throws -> [CatalogueResource] {
        guard let (labels, start) = header(rows) else {
            throw ImportError(file: file, row: rows.first?.number, message: "no header row names the catalogue's columns (expected labels such as 资源名称 and 资源代码; map your province's labels in Mappings/catalogue.yml)")
        }
        /// How errors name column `i`: its label and, in a spreadsheet, its letters.
        func column(_ i: Int) -> String {
            let label = i < labels.count && !labels[i].trimmingWhitespace.isEmpty ? labels[i] : nil
            let letters = columnName(i)
            switch (label, letters) {
            case let (label?, letters?): return "\(label) (\(letters))"
            case let (label?, nil): return label
            case let (nil, letters?): return letters
            case (nil, nil): return "\(i + 1)"
            }
        }
        var fields: [Int: CatalogueColumnMap.Field] = [:]
        var extras: [Int] = []
        for (i, label) in labels.enumerated() {
            if let f = columns.field(for: label) {
                // Two columns for one field: which one holds the catalogue's value is a guess.
                if let other = fields.first(where: { $0.value == f })?.key {
                    throw ImportError(file: file, row: rows[start - 1].number, message: "two columns are \(f.label): \(column(other)) and \(column(i)); keep one")
                }
                fields[i] = f
            } else if !label.trimmingWhitespace.isEmpty { extras.append(i) }
        }
        // The last labelled column: a row of a text file (CSV) that ends before it is missing cells.
        let lastLabelled = labels.lastIndex { !$0.trimmingWhitespace.isEmpty } ?? -1
        for required in [CatalogueColumnMap.Field.code, .name] where !fields.values.contains(required) {
            throw ImportError(file: file, row: rows[start - 1].number, message: "no \(required.label) column (the header has: \(labels.filter { !$0.isEmpty }.joined(separator: ", "))); map your province's label in Mappings/catalogue.yml")
        }
        var out: [CatalogueResource] = []
        var seen: [String: Int] = [:]
        for row in rows.dropFirst(start) where row.cells.contains(where: { !$0.trimmingWhitespace.isEmpty }) {
            // Every value sits under a header, and a text row has every labelled column: a value
            // under no header, or a row one cell short, was dropped or left blank without a word.
            for (i, cell) in row.cells.enumerated() where !cell.trimmingWhitespace.isEmpty && (i >= labels.count || labels[i].trimmingWhitespace.isEmpty) {
                throw ImportError(file: file, row: row.number, column: column(i),
                                  message: "'\(Redactor.escapingControls(String(cell.prefix(40))))' has no header above it (the header has \(labels.filter { !$0.isEmpty }.count) labelled columns); label the column or remove the value")
            }
            if row.cells.count <= lastLabelled {
                throw ImportError(file: file, row: row.number, message: "the row has \(row.cells.count) cells but the header has \(lastLabelled + 1) columns (a cell, a separator or a quote missing?)")
            }
            if let i = row.cells.firstIndex(where: { $0.contains("\u{0}") }) {
                throw ImportError(file: file, row: row.number, column: column(i),
                                  message: "the cell holds the character U+0000 (NUL)")
            }
            var values: [CatalogueColumnMap.Field: (String, Int)] = [:]
            for (i, f) in fields where i < row.cells.count { values[f] = (row.cells[i].trimmingWhitespace, i) }
            func where_(_ f: CatalogueColumnMap.Field) -> String { column(fields.first { $0.value == f }?.key ?? 0) }
            let code = values[.code]?.0 ?? "", name = values[.name]?.0 ?? ""
            guard !code.isEmpty else { throw ImportError(file: file, row: row.number, column: where_(.code), message: "empty resource code (every resource needs its 资源代码)") }
            guard !name.isEmpty else { throw ImportError(file: file, row: row.number, column: where_(.name), message: "empty resource name for \(code)") }
            if let first = seen[code] { throw ImportError(file: file, row: row.number, column: where_(.code), message: "resource code \(code) is also on row \(first)") }
            seen[code] = row.number
            var r = CatalogueResource(code: code, name: name)
            r.provider = values[.provider]?.0 ?? ""
            r.providerCode = values[.providerCode]?.0 ?? ""
            r.category = values[.category]?.0 ?? ""
            r.summary = values[.summary]?.0 ?? ""
            r.items = Self.items(values[.items]?.0 ?? "")
            if let share = values[.shareType]?.0, !share.isEmpty {
                guard let type = CatalogueResource.shareType(share) else {
                    throw ImportError(file: file, row: row.number, column: where_(.shareType), message: "'\(share)' is not a share type (expected 无条件共享, 有条件共享 or 不予共享)")
                }
                r.shareType = type
            }
            r.shareCondition = values[.shareCondition]?.0 ?? ""
            r.shareMethod = values[.shareMethod]?.0 ?? ""
            r.openAttribute = values[.openAttribute]?.0 ?? ""
            r.updateCycle = values[.updateCycle]?.0 ?? ""
            if let published = values[.published]?.0, !published.isEmpty {
                guard let date = Self.date(published, date1904: date1904) else {
                    throw ImportError(file: file, row: row.number, column: where_(.published), message: "'\(published)' is not a date (expected yyyy-MM-dd, yyyy/MM/dd, yyyyMMdd or an Excel date)")
                }
                r.published = date
            }
            r.matters = Self.list(values[.matters]?.0 ?? "")
            r.extra = extras.compactMap { i in i < row.cells.count && !row.cells[i].isEmpty ? (labels[i], row.cells[i]) : nil }
            out.append(r)
        }
        return out
    }

    /// A catalogue API's answer: an array of objects, or the first such array inside the body.
    func json(_ text: [UInt8], file: String) throws -> [CatalogueResource] {
        let body: JSONValue
        do { body = try JSONParser.parse(text) } catch { throw ImportError(file: file, message: "not valid JSON: \(error)") }
        func firstList(_ v: JSONValue, depth: Int) -> [JSONValue]? {
            switch v {
            case .array(let items) where items.contains(where: { if case .object = $0 { return true } else { return false } }): return items
            case .object(let o) where depth < 4:
                for m in o.members { if let found = firstList(m.value, depth: depth + 1) { return found } }
                return nil
            case .string(let s) where depth < 4:
                return (try? JSONParser.parse(Array(s.utf8))).flatMap { firstList($0, depth: depth + 1) }
            default: return nil
            }
        }
        guard let list = firstList(body, depth: 0) else { throw ImportError(file: file, message: "no list of resources found in the JSON") }
        var labels: [String] = []
        for item in list { if case .object(let o) = item { for m in o.members where !labels.contains(m.key) { labels.append(m.key) } } }
        let rows: [(number: Int, cells: [String])] = [(0, labels)] + list.enumerated().map { (i, item) in
            (i + 1, labels.map { key -> String in
                guard let v = item[key], !v.isNull else { return "" }
                switch v {
                case .array(let items):
                    return items.map { element -> String in
                        if let t = element.text { return t }
                        let name = element["name"]?.text ?? element["信息项名称"]?.text ?? element.serialized()
                        let type = element["type"]?.text ?? element["数据类型"]?.text
                        return type.map { "\(name)(\($0))" } ?? name
                    }.joined(separator: "；")
                default: return v.text ?? v.serialized()
                }
            })
        }
        return try resources(rows: rows, file: file, columnName: { _ in nil }).map { r in r }
    }

    /// 信息项 in one cell: `名称(类型)；名称2(类型)` — separators ；;、, or new lines; types in
    /// ASCII or full-width brackets or after a colon.
    static func items(_ text: String) -> [CatalogueResource.Item] {
        list(text).map { part in
            for (open, close) in [("(", ")"), ("（", "）"), ("[", "]")] {
                if let o = part.firstIndex(of: Character(open)), part.hasSuffix(close) {
                    return .init(name: String(part[..<o]).trimmingWhitespace, type: String(part[part.index(after: o)..<part.index(before: part.endIndex)]).trimmingWhitespace)
                }
            }
            for colon in [":", "："] {
                if let c = part.firstIndex(of: Character(colon)) {
                    return .init(name: String(part[..<c]).trimmingWhitespace, type: String(part[part.index(after: c)...]).trimmingWhitespace)
                }
            }
            return .init(name: part)
        }.filter { !$0.name.isEmpty }
    }

    /// A cell's list: split on ；;、，, and line breaks (a CRLF is one `Character`, which a list of
    /// "\n" and "\r" does not hold: a cell typed in a form's text box kept its lines together).
    static func list(_ text: String) -> [String] {
        text.split(whereSeparator: { $0.isNewline || "；;、，,".contains($0) }).map { String($0).trimmingWhitespace }.filter { !$0.isEmpty }
    }

    /// `yyyy-MM-dd` from the forms catalogues use, or an Excel serial day number (a cell whose
    /// number format is not a date's) — only digits, and only a day from 1949-10-01 to 2099-12-31
    /// (serials 18172…73050, or 16710…71588 in a workbook counting from 1904): a year (`2024`), a
    /// month (`202401`) or `0x1F` read as a serial was a wrong date, stored without a word.
    static func date(_ text: String, date1904: Bool = false) -> String? {
        let t = text.trimmingWhitespace
        for pattern in ["yyyy-MM-dd", "yyyy/MM/dd", "yyyyMMdd", "yyyy年MM月dd日", "yyyy-MM-dd HH:mm:ss", "yyyy/MM/dd HH:mm:ss"] {
            if let p = try? DatePattern(pattern), let c = p.parse(t) { return c.isoDate }
        }
        if let d = t.split(separator: " ").first, let p = try? DatePattern("yyyy-MM-dd"), let c = p.parse(String(d)) { return c.isoDate }
        let digits = t.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        if !t.isEmpty, digits.count <= 2, digits.allSatisfy({ !$0.isEmpty && $0.allSatisfy({ ("0"..."9").contains($0) }) }),
           let serial = Double(t), (date1904 ? 16_710...71_588 : 18_172...73_050).contains(serial),
           let d = XLSXReader.date(serial: t, date1904: date1904) { return String(d.prefix(10)) }
        return nil
    }
}
