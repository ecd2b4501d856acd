import NIOCore

/// The province's resource catalogue (资源目录) as the sandbox publishes it: the resources it
/// serves (`licenses`, `cases`) and some it does not, with matter codes from the example
/// county's dictionary — as a catalogue API (`GET /catalogue/api`, a zj-irs-style envelope), an
/// Excel export (`/catalogue/export.xlsx`) and a CSV export (`/catalogue/export.csv`, GB18030 as
/// Windows tools write it). No credentials: the catalogue page is public in most provinces.
enum CatalogueExport {
    /// One resource row: code, name, provider, 信息项, share type, condition, method, cycle, published (Excel serial), matter codes.
    struct Resource {
        let code, name, provider, items, share, condition, method, cycle: String
        let published: Int
        let matters: [String]
        /// The sandbox dataset that serves it, if any.
        let served: String?
    }

    static let resources: [Resource] = [
        Resource(code: "330000-SCJG-0001", name: "企业营业执照信息", provider: "省市场监管局",
                 items: "统一社会信用代码(字符型C)；企业名称(字符型C)；法定代表人(字符型C)；成立日期(日期型D)；注册资本(数值型N)；行政区划代码(字符型C)；更新时间(日期时间型T)",
                 share: "有条件共享", condition: "用于政务服务和监管", method: "接口", cycle: "每日", published: 45292,
                 matters: MatterCatalog.licenceMatters.map(\.nationalCode), served: "licenses"),
        Resource(code: "330000-DSJ-0001", name: "政务服务办件信息", provider: "省大数据局",
                 items: "办件编号(字符型C)；事项编码(字符型C)；申请人姓名(字符型C)；申请人证件号码(字符型C)；受理时间(日期时间型T)；办结时间(日期型D)；办理状态(字符型C)",
                 share: "有条件共享", condition: "限本县政务服务", method: "接口", cycle: "每日", published: 45310,
                 matters: MatterCatalog.caseMatters.map(\.nationalCode), served: "cases"),
        Resource(code: "330000-SCJG-0002", name: "市场监管行政处罚信息", provider: "省市场监管局",
                 items: "处罚决定书文号(字符型C)；当事人名称(字符型C)；统一社会信用代码(字符型C)；处罚日期(日期型D)",
                 share: "无条件共享", condition: "", method: "接口", cycle: "每周", published: 45350, matters: ["000205001000", "000605001000"], served: nil),
        Resource(code: "330000-GA-0001", name: "居民户籍信息", provider: "省公安厅",
                 items: "公民身份号码(字符型C)；姓名(字符型C)；户籍地址(字符型C)", share: "不予共享", condition: "涉及个人隐私",
                 method: "", cycle: "实时", published: 45000, matters: ["000107002000"], served: nil),
        Resource(code: "330000-ZRZY-0001", name: "不动产登记信息", provider: "省自然资源厅",
                 items: "不动产单元号(字符型C)；权利人(字符型C)；坐落(字符型C)；登记日期(日期型D)", share: "有条件共享",
                 condition: "限不动产相关业务", method: "前置库", cycle: "每日", published: 45120, matters: ["000715002000"], served: nil),
        Resource(code: "330000-JT-0001", name: "道路运输经营许可信息", provider: "省交通运输厅",
                 items: "许可证号(字符型C)；经营者名称(字符型C)；有效期至(日期型D)", share: "无条件共享", condition: "",
                 method: "接口", cycle: "每月", published: 45200, matters: [], served: nil),
        Resource(code: "330000-YB-0001", name: "医保待遇支付信息", provider: "省医疗保障局",
                 items: "公民身份号码(字符型C)；支付金额(数值型N)；支付日期(日期型D)", share: "有条件共享",
                 condition: "限医保经办", method: "接口", cycle: "每月", published: 45260, matters: ["000522001000"], served: nil),
    ]

    static let header = ["资源代码", "资源名称", "提供方", "信息项", "共享类型", "共享条件", "共享方式", "更新周期", "发布日期", "关联事项编码"]

    static func row(_ r: Resource) -> [String] {
        [r.code, r.name, r.provider, r.items, r.share, r.condition, r.method, r.cycle, date(r.published), r.matters.joined(separator: ";")]
    }

    /// An Excel serial day as yyyy-MM-dd.
    static func date(_ serial: Int) -> String {
        let (y, m, d) = CivilTime.date(days: Int64(serial - 25_569))
        return "\(y)-\(m < 10 ? "0" : "")\(m)-\(d < 10 ? "0" : "")\(d)"
    }

    static func respond(to request: GatewayRequest) -> GatewayResponse? {
        switch request.path {
        case "/catalogue/api": return .json(api())
        case "/catalogue/export.xlsx":
            return GatewayResponse(status: .ok, contentType: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", body: .complete(ByteBuffer(bytes: xlsx())))
        case "/catalogue/export.csv":
            return GatewayResponse(status: .ok, contentType: "text/csv; charset=gb18030", body: .complete(ByteBuffer(bytes: csv())))
        default: return nil
        }
    }

    static func api() -> ByteBuffer {
        var out = JSONOutput(capacity: 8192)
        out.raw("{\"code\":\"00\",\"msg\":\"success\",\"datas\":{\"total\":")
        out.raw(text: String(resources.count))
        out.raw(",\"list\":[")
        for (i, r) in resources.enumerated() {
            if i > 0 { out.raw(",") }
            out.raw("{")
            for (j, (key, value)) in zip(header, row(r)).enumerated() {
                if j > 0 { out.raw(",") }
                out.string(key)
                out.raw(":")
                out.string(value)
            }
            out.raw("}")
        }
        out.raw("]}}")
        return out.buffer
    }

    /// `s` with each character in `map` replaced (this target has no Foundation).
    static func replacing(_ s: String, _ map: [Character: String]) -> String {
        var out = ""
        for c in s { if let r = map[c] { out += r } else { out.append(c) } }
        return out
    }

    /// UTF-8 text as GB18030 is what a Windows export gives; the sandbox writes UTF-8 with a BOM
    /// instead (no GB18030 encoder here), which the importer reads the same way.
    static func csv() -> [UInt8] {
        func field(_ s: String) -> String { s.contains(where: { ",\"\n".contains($0) }) ? "\"" + replacing(s, ["\"": "\"\""]) + "\"" : s }
        let lines = ([header] + resources.map(row)).map { $0.map(field).joined(separator: ",") }
        return [0xEF, 0xBB, 0xBF] + Array((lines.joined(separator: "\r\n") + "\r\n").utf8)
    }

    /// A one-sheet workbook: inline strings, the publication date as a serial number with a date style.
    static func xlsx() -> [UInt8] {
        func escape(_ s: String) -> String { replacing(s, ["&": "&amp;", "<": "&lt;", ">": "&gt;"]) }
        func column(_ i: Int) -> String { String(UnicodeScalar(UInt8(65 + i))) }
        var rows = "<row r=\"1\">" + header.enumerated().map { "<c r=\"\(column($0.offset))1\" t=\"inlineStr\"><is><t>\(escape($0.element))</t></is></c>" }.joined() + "</row>"
        for (i, r) in resources.enumerated() {
            let n = i + 2
            var cells = ""
            for (j, value) in row(r).enumerated() {
                if j == 8 { cells += "<c r=\"\(column(j))\(n)\" s=\"1\"><v>\(r.published)</v></c>"; continue }
                cells += "<c r=\"\(column(j))\(n)\" t=\"inlineStr\"><is><t>\(escape(value))</t></is></c>"
            }
            rows += "<row r=\"\(n)\">\(cells)</row>"
        }
        let ns = "xmlns=\"http://schemas.openxmlformats.org/spreadsheetml/2006/main\""
        let members: [(String, String)] = [
            ("[Content_Types].xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\"><Default Extension=\"rels\" ContentType=\"application/vnd.openxmlformats-package.relationships+xml\"/><Default Extension=\"xml\" ContentType=\"application/xml\"/><Override PartName=\"/xl/workbook.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/><Override PartName=\"/xl/worksheets/sheet1.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/><Override PartName=\"/xl/styles.xml\" ContentType=\"application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/></Types>"),
            ("_rels/.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument\" Target=\"xl/workbook.xml\"/></Relationships>"),
            ("xl/workbook.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><workbook \(ns) xmlns:r=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships\"><sheets><sheet name=\"资源目录\" sheetId=\"1\" r:id=\"rId1\"/></sheets></workbook>"),
            ("xl/_rels/workbook.xml.rels", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><Relationships xmlns=\"http://schemas.openxmlformats.org/package/2006/relationships\"><Relationship Id=\"rId1\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet\" Target=\"worksheets/sheet1.xml\"/><Relationship Id=\"rId2\" Type=\"http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles\" Target=\"styles.xml\"/></Relationships>"),
            ("xl/styles.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><styleSheet \(ns)><cellXfs count=\"2\"><xf numFmtId=\"0\"/><xf numFmtId=\"14\" applyNumberFormat=\"1\"/></cellXfs></styleSheet>"),
            ("xl/worksheets/sheet1.xml", "<?xml version=\"1.0\" encoding=\"UTF-8\"?><worksheet \(ns)><sheetData>\(rows)</sheetData></worksheet>"),
        ]
        return StoredZip.archive(members.map { ($0.0, Array($0.1.utf8)) })
    }
}
