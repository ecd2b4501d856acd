#!/usr/bin/env python3
"""Writes the catalogue import fixtures in Fixtures/catalogue/ (run from the repository root).

The .xlsx files are written by hand with zipfile, so each feature the importer must handle is
visible here: shared strings, inline strings, a header over two rows with merged cells, and a
publication date stored as an Excel serial number with a date style. Re-run after editing;
the files are committed.
"""
import os
import zipfile
from xml.sax.saxutils import escape

OUT = "Fixtures/catalogue"

# (code, name, provider, items, share type, condition, method, cycle, published (serial / text), matters)
RESOURCES = [
    ("330000-SCJG-0001", "企业营业执照信息", "省市场监管局", "统一社会信用代码(字符型C)；企业名称(字符型C)；法定代表人(字符型C)；成立日期(日期型D)",
     "有条件共享", "用于政务服务办理", "接口", "每日", 45292, "000105001000;000105002000;000105003000"),
    ("330000-SCJG-0002", "食品经营许可证信息", "省市场监管局", "许可证编号(字符型C)；经营者名称(字符型C)",
     "无条件共享", "", "接口", "每周", 45300, "000105004000"),
    ("330000-GA-0001", "居民户籍信息", "省公安厅", "公民身份号码(字符型C)；姓名(字符型C)；户籍地址(字符型C)",
     "不予共享", "涉及个人隐私", "", "实时", 45000, "000107002000"),
    ("330000-RS-0001", "失业保险金发放信息", "省人力社保厅", "公民身份号码(字符型C)；发放金额(数值型N)",
     "有条件共享", "限本县受理业务", "前置库", "每月", 45100, "000111001000"),
]


def col(i):
    s = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        s = chr(65 + r) + s
    return s


def xlsx(path, rows, merges, inline_columns, date_columns):
    """rows: list of lists; str → shared string (or inline in inline_columns), int → number."""
    shared, index = [], {}
    sheet = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, v in enumerate(row):
            ref = f"{col(c)}{r}"
            if v is None or v == "":
                continue
            if isinstance(v, int):
                style = ' s="1"' if c in date_columns and r > 2 else ""
                cells.append(f'<c r="{ref}"{style}><v>{v}</v></c>')
            elif c in inline_columns and r > 2:
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(v)}</t></is></c>')
            else:
                if v not in index:
                    index[v] = len(shared)
                    shared.append(v)
                cells.append(f'<c r="{ref}" t="s"><v>{index[v]}</v></c>')
        sheet.append(f'<row r="{r}">{"".join(cells)}</row>')
    merge_xml = "".join(f'<mergeCell ref="{m}"/>' for m in merges)
    merge_xml = f'<mergeCells count="{len(merges)}">{merge_xml}</mergeCells>' if merges else ""
    ns = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
    rel = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'
    files = {
        "[Content_Types].xml": '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
        '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
        '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
        '<Override PartName="/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/></Types>',
        "_rels/.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>',
        "xl/workbook.xml": f'<?xml version="1.0" encoding="UTF-8"?><workbook {ns} {rel}><sheets><sheet name="资源目录" sheetId="1" r:id="rId1"/></sheets></workbook>',
        "xl/_rels/workbook.xml.rels": '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
        '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet" Target="worksheets/sheet1.xml"/>'
        '<Relationship Id="rId2" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
        '<Relationship Id="rId3" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles" Target="styles.xml"/></Relationships>',
        "xl/styles.xml": f'<?xml version="1.0" encoding="UTF-8"?><styleSheet {ns}><numFmts count="1"><numFmt numFmtId="176" formatCode="yyyy&quot;年&quot;m&quot;月&quot;d&quot;日&quot;"/></numFmts>'
        '<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="176" applyNumberFormat="1"/></cellXfs></styleSheet>',
        "xl/sharedStrings.xml": f'<?xml version="1.0" encoding="UTF-8"?><sst {ns} count="{len(shared)}" uniqueCount="{len(shared)}">'
        + "".join(f"<si><t>{escape(s)}</t></si>" if i % 5 else f'<si><r><t>{escape(s[:1])}</t></r><r><t>{escape(s[1:])}</t></r></si>' for i, s in enumerate(shared))
        + "</sst>",
        "xl/worksheets/sheet1.xml": f'<?xml version="1.0" encoding="UTF-8"?><worksheet {ns}><sheetData>{"".join(sheet)}</sheetData>{merge_xml}</worksheet>',
    }
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in files.items():
            z.writestr(name, text.encode("utf-8"))


def main():
    os.makedirs(OUT, exist_ok=True)
    # Two header rows: group labels merged across (资源信息 A1:C1, 共享属性 E1:G1), field labels below;
    # 信息资源名称 and 资源提供方 are a province's spellings (Mappings/catalogue.yml).
    group = ["资源信息", "", "", "信息项", "共享属性", "", "", "更新周期", "发布日期", "关联事项编码", "备注"]
    labels = ["资源代码", "信息资源名称", "资源提供方", "", "共享类型", "共享条件", "共享方式", "", "", "", ""]
    body = [[c, n, p, i, s, cond, m, cyc, pub, mat, "省级目录2024版"] for c, n, p, i, s, cond, m, cyc, pub, mat in RESOURCES]
    merges = ["A1:C1", "E1:G1", "D1:D2", "H1:H2", "I1:I2", "J1:J2", "K1:K2"]
    xlsx(f"{OUT}/catalogue.xlsx", [group, labels] + body, merges, inline_columns={1, 5}, date_columns={8})
    # The same catalogue, a year on: one resource changed, one withdrawn, one added.
    later = [list(r) for r in body if r[0] != "330000-RS-0001"]
    later[1][4] = "有条件共享"
    later.append(["330000-MZ-0001", "最低生活保障对象信息", "省民政厅", "公民身份号码(字符型C)；保障金额(数值型N)", "有条件共享", "限社会救助业务", "接口", "每月", 45400, "000113001000", ""])
    xlsx(f"{OUT}/catalogue-2025.xlsx", [group, labels] + later, merges, inline_columns=set(), date_columns={8})
    # A bad share type on the third resource (row 5, column E).
    bad = [list(r) for r in body]
    bad[2][4] = "部分共享"
    xlsx(f"{OUT}/catalogue-bad-share-type.xlsx", [group, labels] + bad, merges, inline_columns=set(), date_columns={8})

    header = "资源名称,资源代码,提供方,信息项,共享类型,共享条件,共享方式,更新周期,发布日期,关联事项编码\n"
    def csv_line(r):
        c, n, p, i, s, cond, m, cyc, pub, mat = r
        return ",".join([n, c, p, f'"{i}"', s, cond, m, cyc, "2024-01-0%d" % (1 + pub % 7), f'"{mat}"']) + "\n"
    text = header + "".join(csv_line(r) for r in RESOURCES)
    with open(f"{OUT}/catalogue-utf8-bom.csv", "wb") as f:
        f.write(b"\xef\xbb\xbf" + text.encode("utf-8"))
    with open(f"{OUT}/catalogue-gb18030.csv", "wb") as f:
        f.write(text.encode("gb18030"))
    bad_csv = header + csv_line(RESOURCES[0]) + csv_line(("",) + RESOURCES[1][1:])
    with open(f"{OUT}/catalogue-empty-code.csv", "wb") as f:
        f.write(bad_csv.encode("utf-8"))


if __name__ == "__main__":
    main()
