import Foundation

/// Reads the first worksheet of an Excel `.xlsx` workbook into rows of text: shared strings,
/// inline strings, numbers, booleans, dates stored as serial numbers (by the cell's number format)
/// as `yyyy-MM-dd`, and merged ranges filled with their first cell's value.
///
/// ```swift
/// let sheet = try XLSXReader.firstSheet(bytes: Array(data), file: "catalogue.xlsx")
/// sheet.rows[0].cells   // ["资源名称", "资源代码", …]
/// ```
public enum XLSXReader {
    /// One worksheet's rows, each with its 1-based row number in the workbook.
    public struct Sheet: Sendable {
        public var name: String
        public var rows: [(number: Int, cells: [String])]
        /// The workbook counts serial days from 1904: a number under a date header that is not
        /// formatted as a date is read in that system too (`CatalogueImporter.date`).
        public var date1904 = false
    }

    /// Built-in number formats that show dates (ECMA-376 §18.8.30).
    static let dateFormatIDs: Set<Int> = [14, 15, 16, 17, 18, 19, 20, 21, 22, 45, 46, 47]

    public static func firstSheet(bytes: [UInt8], file: String) throws -> Sheet {
        let zip = try ZipArchive(bytes: bytes, file: file)
        let workbook = try zip.member("xl/workbook.xml")
        let (name, path) = try firstSheetPath(zip, workbook: workbook)
        let strings = try zip.contains("xl/sharedStrings.xml") ? sharedStrings(validUTF8(try zip.member("xl/sharedStrings.xml"), "the shared strings table", file)) : []
        let dateStyles = zip.contains("xl/styles.xml") ? dateStyleIndexes(try zip.member("xl/styles.xml")) : []
        return try sheet(try zip.member(path), name: name, strings: strings, dateStyles: dateStyles, file: file,
                         date1904: uses1904Dates(workbook))
    }

    /// Whether the workbook counts its serial days from 1904 (`<workbookPr date1904="1"/>`, old
    /// Mac workbooks): its serials are 1,462 days less for the same day.
    static func uses1904Dates(_ workbook: [UInt8]) -> Bool {
        var scanner = XMLScanner(workbook)
        while let event = scanner.next() {
            if case .start("workbookPr", let a) = event { return ["1", "true"].contains(a["date1904"]?.lowercased() ?? "") }
        }
        return false
    }

    /// `bytes` when they are UTF-8 (SpreadsheetML is): other bytes would come out as U+FFFD.
    static func validUTF8(_ bytes: [UInt8], _ what: String, _ file: String) throws -> [UInt8] {
        guard String(validating: bytes, as: UTF8.self) != nil else { throw ZipArchive.ZipError(description: "\(file): \(what) is not valid UTF-8 XML") }
        return bytes
    }

    /// The first sheet's name and member path, through workbook.xml and its relationships.
    static func firstSheetPath(_ zip: ZipArchive, workbook: [UInt8]) throws -> (String, String) {
        var scanner = XMLScanner(workbook)
        var first: (name: String, id: String)?
        while let event = scanner.next() {
            if case .start("sheet", let a) = event { first = (a["name"] ?? "Sheet1", a["id"] ?? ""); break }
        }
        guard let first else { throw ZipArchive.ZipError(description: "\(zip.file): the workbook has no sheet") }
        if zip.contains("xl/_rels/workbook.xml.rels") {
            var rels = XMLScanner(try zip.member("xl/_rels/workbook.xml.rels"))
            while let event = rels.next() {
                if case .start("Relationship", let a) = event, a["Id"] == first.id, let target = a["Target"] {
                    return (first.name, target.hasPrefix("/") ? String(target.dropFirst()) : "xl/" + target)
                }
            }
        }
        return (first.name, "xl/worksheets/sheet1.xml")
    }

    /// The shared string table: each `<si>`'s text runs joined (phonetic runs left out).
    static func sharedStrings(_ bytes: [UInt8]) -> [String] {
        var scanner = XMLScanner(bytes)
        var strings: [String] = []
        var current = ""
        var inText = false, inPhonetic = false
        while let event = scanner.next() {
            switch event {
            case .start("si", _): current = ""
            case .end("si"): strings.append(unescaped(current))
            case .start("rPh", _): inPhonetic = true
            case .end("rPh"): inPhonetic = false
            case .start("t", _): inText = true
            case .end("t"): inText = false
            case .text(let t) where inText && !inPhonetic: current += t
            default: break
            }
        }
        return strings
    }

    /// Text with the spreadsheet format's own escapes read: `_xHHHH_` is the character U+HHHH
    /// (Excel writes a carriage return in a cell as `_x000D_`), and `_x005F_` an underscore, so
    /// `_x005F_x000D_` is the text `_x000D_` itself (ECMA-376, `ST_Xstring`).
    static func unescaped(_ text: String) -> String {
        guard text.utf8.count >= 7, text.contains("_x") else { return text }
        let bytes = Array(text.utf8)
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == UInt8(ascii: "_"), i + 6 < bytes.count, bytes[i + 1] == UInt8(ascii: "x"), bytes[i + 6] == UInt8(ascii: "_"),
               let code = hex4(bytes[(i + 2)..<(i + 6)]), let scalar = Unicode.Scalar(code) {
                out += Array(String(scalar).utf8)
                i += 7
            } else {
                out.append(bytes[i])
                i += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Four hex digits' value, or nil (no sign, no other character: `UInt32(_:radix:)` takes a `+`).
    private static func hex4(_ digits: ArraySlice<UInt8>) -> UInt32? {
        var value: UInt32 = 0
        for d in digits {
            let lower = d | 0x20
            guard (0x30...0x39).contains(d) || (0x61...0x66).contains(lower) else { return nil }
            value = value << 4 | UInt32(d <= 0x39 ? d - 0x30 : lower - 0x61 + 10)
        }
        return value
    }

    /// Indexes into `cellXfs` whose number format shows a date.
    static func dateStyleIndexes(_ bytes: [UInt8]) -> Set<Int> {
        var scanner = XMLScanner(bytes)
        var customDates: Set<Int> = []
        var inCellXfs = false
        var index = 0
        var result: Set<Int> = []
        while let event = scanner.next() {
            switch event {
            case .start("numFmt", let a):
                if let id = a["numFmtId"].flatMap(Int.init), let code = a["formatCode"], isDateFormat(code) { customDates.insert(id) }
            case .start("cellXfs", _): inCellXfs = true
            case .end("cellXfs"): inCellXfs = false
            case .start("xf", let a) where inCellXfs:
                let id = a["numFmtId"].flatMap(Int.init) ?? 0
                if dateFormatIDs.contains(id) || customDates.contains(id) { result.insert(index) }
                index += 1
            default: break
            }
        }
        return result
    }

    /// A custom format shows a date when, outside quotes and brackets, it has y, d, or m with no h/s (minutes).
    static func isDateFormat(_ code: String) -> Bool {
        var plain = ""
        var quoted = false, bracket = false
        for c in code {
            if c == "\"" { quoted.toggle(); continue }
            if c == "[" { bracket = true; continue }
            if c == "]" { bracket = false; continue }
            if !quoted && !bracket { plain.append(c) }
        }
        let lower = plain.lowercased()
        return lower.contains("y") || lower.contains("d")
    }

    /// Excel's limits: columns A…XFD, rows 1…1,048,576. A reference outside them is refused,
    /// not computed (a long run of letters overflowed the column number).
    static let maxColumns = 16_384, maxRows = 1_048_576
    /// At most this many cells (rows × the widest row) in a sheet, merged areas filled included:
    /// a catalogue has a few hundred thousand; one cell far out to the right, or thousands of
    /// large merged areas, would otherwise ask for gigabytes or minutes.
    static let maxCells = 2_000_000

    /// `A` → 0, `AB` → 27 from a cell reference like `AB12`; nil without letters or past `XFD`.
    static func columnIndex(_ reference: String) -> Int? {
        var n = 0
        var letters = 0
        for scalar in reference.unicodeScalars {
            guard ("A"..."Z").contains(scalar) else { break }
            letters += 1
            guard letters <= 3 else { return nil }
            n = n * 26 + Int(scalar.value - 64)
        }
        return letters == 0 || n > maxColumns ? nil : n - 1
    }

    /// The row number of a cell reference like `AB12`, or nil when it is not 1…1,048,576.
    static func rowIndex(_ reference: Substring) -> Int? {
        guard let n = Int(reference.drop(while: { $0.isLetter })), (1...maxRows).contains(n) else { return nil }
        return n
    }

    /// The column letters of a 0-based index (for error messages).
    public static func columnLetters(_ index: Int) -> String {
        var n = index + 1
        var out = ""
        while n > 0 { let r = (n - 1) % 26; out = String(UnicodeScalar(UInt8(65 + r))) + out; n = (n - 1) / 26 }
        return out
    }

    /// An Excel serial day number (1900 date system) as `yyyy-MM-dd`, with the time if it has one.
    public static func date(serial text: String, date1904: Bool = false) -> String? {
        guard let read = Double(text), read >= 0, read < 2_958_466 else { return nil }
        let serial = date1904 ? read + 1_462 : read
        guard serial >= 1, serial < 2_958_466 else { return nil }
        let seconds = Int(((serial - 25_569) * 86_400).rounded())
        let civil = CivilTime(epochSeconds: seconds, offset: 0)
        let day = String(format: "%04d-%02d-%02d", civil.year, civil.month, civil.day)
        return seconds % 86_400 == 0 ? day : day + String(format: " %02d:%02d:%02d", civil.hour, civil.minute, civil.second)
    }

    static func sheet(_ bytes: [UInt8], name: String, strings: [String], dateStyles: Set<Int>, file: String, date1904: Bool = false) throws -> Sheet {
        var scanner = XMLScanner(try validUTF8(bytes, "sheet \(name)", file))
        var rows: [Int: [Int: String]] = [:]
        var merges: [(Int, Int, Int, Int)] = []
        var rowNumber = 0
        var cell: (column: Int, type: String, style: Int)?
        var value = ""
        var inValue = false, inInline = false, inText = false, inPhonetic = false
        while let event = scanner.next() {
            switch event {
            case .start("row", let a):
                if let r = a["r"] {
                    guard let n = Int(r), (1...maxRows).contains(n) else {
                        throw ZipArchive.ZipError(description: "\(file): sheet \(name): row number '\(Redactor.escapingControls(String(r.prefix(40))))' is not 1 to \(maxRows)")
                    }
                    rowNumber = n
                } else {
                    guard rowNumber < maxRows else { throw ZipArchive.ZipError(description: "\(file): sheet \(name): more than \(maxRows) rows") }
                    rowNumber += 1
                }
            case .start("c", let a):
                let column: Int
                if let r = a["r"] {
                    guard let c = columnIndex(r) else {
                        throw ZipArchive.ZipError(description: "\(file): sheet \(name), row \(rowNumber): cell reference '\(Redactor.escapingControls(String(r.prefix(40))))' is not a column A to XFD")
                    }
                    column = c
                } else {
                    column = rows[rowNumber]?.keys.max().map { $0 + 1 } ?? 0
                    guard column < maxColumns else { throw ZipArchive.ZipError(description: "\(file): sheet \(name), row \(rowNumber): more than \(maxColumns) columns") }
                }
                cell = (column, a["t"] ?? "n", a["s"].flatMap(Int.init) ?? 0)
                value = ""
            case .start("v", _): inValue = true
            case .end("v"): inValue = false
            case .start("is", _): inInline = true
            case .end("is"): inInline = false
            case .start("t", _) where inInline && !inPhonetic: inText = true
            case .end("t"): inText = false
            // A phonetic run (`<rPh>`, the reading of Japanese text) is not the cell's text.
            case .start("rPh", _): inPhonetic = true
            case .end("rPh"): inPhonetic = false
            case .text(let t) where inValue || (inInline && inText && !inPhonetic): value += t
            case .end("c"):
                guard let c = cell else { break }
                var text = value
                switch c.type {
                case "s":
                    guard let index = Int(value), strings.indices.contains(index) else {
                        throw ZipArchive.ZipError(description: "\(file): row \(rowNumber), column \(columnLetters(c.column)): shared string \(value) does not exist")
                    }
                    text = strings[index]
                case "b": text = value == "1" ? "TRUE" : "FALSE"
                case "n": if dateStyles.contains(c.style), let d = date(serial: value, date1904: date1904) { text = d }
                case "inlineStr", "str": text = unescaped(value)
                case "e":
                    throw ZipArchive.ZipError(description: "\(file): sheet \(name), row \(rowNumber), column \(columnLetters(c.column)): the cell holds the error \(Redactor.escapingControls(String(value.prefix(20)))) (a formula that failed); correct it in the workbook")
                default: break
                }
                if !text.isEmpty { rows[rowNumber, default: [:]][c.column] = text }
                cell = nil
            case .start("mergeCell", let a):
                let ref = a["ref"] ?? ""
                let parts = ref.split(separator: ":").map(String.init)
                guard parts.count == 2, let c1 = columnIndex(parts[0]), let c2 = columnIndex(parts[1]),
                      let r1 = rowIndex(parts[0][...]), let r2 = rowIndex(parts[1][...]) else {
                    throw ZipArchive.ZipError(description: "\(file): sheet \(name): merged range '\(Redactor.escapingControls(String(ref.prefix(40))))' is not two cells A1 to XFD1048576")
                }
                // A range written from its far corner is the same range.
                merges.append((min(r1, r2), min(c1, c2), max(r1, r2), max(c1, c2)))
            default: break
            }
        }
        // Each merged area takes its first cell's value; the areas together may cover at most
        // `maxCells` cells (thousands of overlapping large areas were minutes of filling).
        var filled = 0
        for (r1, c1, r2, c2) in merges {
            guard let v = rows[r1]?[c1] else { continue }
            filled += (r2 - r1 + 1) * (c2 - c1 + 1)
            guard filled <= maxCells else {
                throw ZipArchive.ZipError(description: "\(file): sheet \(name): its merged areas cover more than \(maxCells) cells; a catalogue sheet has far fewer")
            }
            for r in r1...r2 { for c in c1...c2 where rows[r]?[c] == nil { rows[r, default: [:]][c] = v } }
        }
        let width = (rows.values.compactMap { $0.keys.max() }.max() ?? -1) + 1
        guard width * rows.count <= maxCells else {
            throw ZipArchive.ZipError(description: "\(file): sheet \(name): \(rows.count) rows × \(width) columns (to column \(columnLetters(width - 1))) is more than \(maxCells) cells; a catalogue sheet has far fewer — is a cell far out to the right?")
        }
        let ordered = rows.keys.sorted().map { number -> (number: Int, cells: [String]) in
            let r = rows[number] ?? [:]
            return (number, (0..<width).map { r[$0] ?? "" })
        }
        return Sheet(name: name, rows: ordered, date1904: date1904)
    }
}
