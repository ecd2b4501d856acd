import Foundation
import Testing
@testable import DataflowCore

/// Personal data in free text (a gateway's error page, an envelope message) is masked by shape
/// and by personal member names, and what an operator needs to read stays readable.
@Suite("PII masking in gateway text")
struct PIITextTests {
    @Test func citizenIDsAreMaskedWhereverTheyStand() {
        #expect(PIIText.masked("身份证330782199001011234号不存在") == "身份证330782***********4号不存在")
        #expect(PIIText.masked("sfzh=11010519491231002X&x=1") == "sfzh=110105***********X&x=1")
        #expect(PIIText.masked("<td>11010519491231002x</td>") == "<td>110105***********x</td>")
        #expect(PIIText.masked("legacy 330782900101423.") == "legacy 330782*********.")
        // Longer digit runs are not IDs (an order number), and neither is a run with a leading 0.
        #expect(PIIText.masked("order 33078219900101123456") == "order 33078219900101123456")
        #expect(PIIText.masked("seq 033078219900101123") == "seq 033078219900101123")
    }

    @Test func phoneNumbersAndEmailsAreMaskedInEveryWrittenForm() {
        #expect(PIIText.masked("请联系13812345678。") == "请联系138****5678。")
        #expect(PIIText.masked("tel +86 138 1234 5678 now") == "tel +86 138 **** 5678 now")
        #expect(PIIText.masked("0086-138-1234-5678") == "0086-138-****-5678")
        #expect(PIIText.masked("电话0579-85123456-808") == "电话0579-******56-808")
        #expect(PIIText.masked("(010-62751234)") == "(010-******34)")
        #expect(PIIText.masked("mail zhang.san@example.gov.cn.") == "mail z********@example.gov.cn.")
    }

    @Test func personalMembersAreMaskedByTheirKindEvenWhenCutShort() {
        let page = #"{"list":[{"id":"K0001","name":"张三丰","phone":"13812345678","sfzh":"330782199001011234"},"#
        #expect(PIIText.masked(page) == #"{"list":[{"id":"K0001","name":"张**","phone":"138****5678","sfzh":"330782***********4"},"#)
        #expect(PIIText.masked(#"{"XM" : "赵六", "FDDBR":"欧阳娜娜", "姓名":"李四", "lxr":"王小明", "dz":"浙江省义乌市稠城街道县前街1号"}"#)
                == #"{"XM" : "赵*", "FDDBR":"欧***", "姓名":"李*", "lxr":"王**", "dz":"浙江省义乌**********"}"#)
        // A number, a wrong-shaped value, a value an excerpt cut short, an escaped quote.
        #expect(PIIText.masked(#"{"lxdh":13912345678,"zjhm":"E1234567"}"#) == #"{"lxdh":139****5678,"zjhm":"E******7"}"#)
        #expect(PIIText.masked(#"[{"xm":"司马相"#) == #"[{"xm":"司**"#)
        #expect(PIIText.masked(#"{"name":"a\"bc","msg":"x"}"#) == #"{"name":"a****","msg":"x"}"#)
    }

    /// What a gateway or a person types around the plain forms: member names with JSON escapes
    /// (Python's and PHP's default for Chinese), full-width digits from a Chinese input method, an
    /// ID written in groups, a combining mark right after a quote.
    @Test func personalDataIsFoundInTheFormsGatewaysAndPeopleWriteIt() {
        #expect(PIIText.masked(#"{"\u59d3\u540d":"\u5f20\u4e09","code":"01"}"#) == #"{"\u59d3\u540d":"\***********","code":"01"}"#)
        #expect(PIIText.masked(#"{"\u59D3\u540D":"李四"}"#) == #"{"\u59D3\u540D":"李*"}"#)
        let fullWidth = "身份证号３３０７８２１９９００１０１４２３９已存在"
        let masked = PIIText.masked(fullWidth)
        #expect(PIIText.masked("手机１３８１２３４５６７８") != "手机１３８１２３４５６７８")
        #expect(PIIText.masked("编号１２３") == "编号１２３", "a full-width number that is no ID is left as written")
        // Not the plain ID's shape, so masked by the generic rule, which keeps less.
        #expect(PIIText.masked("id 330782 19900101 4239 ok") == "id 33****************39 ok")
        #expect(PIIText.masked("id 330782-1990-0101-423X.") == "id 33*****************3X.")
        #expect(masked == "身份证号３３**************３９已存在")
        #expect(PIIText.masked("orders 330782 19900101 42391 and 12 345") == "orders 330782 19900101 42391 and 12 345", "19 digits in groups is no ID")
        let combining = "{\"xm\":\"\u{0301}张三\",\"sfzh\":\"330782199001011234\"}"
        let maskedCombining = PIIText.masked(combining)
        #expect(!maskedCombining.contains("张三") && !maskedCombining.contains("199001011234"), "\(maskedCombining)")
    }

    @Test func errorPagesStayReadable() {
        for text in [#"{"code":"97","msg":"缺少参数"}"#,
                     #"{"code":"500","message":"系统繁忙，请稍后再试","timestamp":"2026-12-02 03:40:36","total":13}"#,
                     "<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>nginx/1.20.1</center></body></html>",
                     "request 1764646836123 at 1764646836 took 12.5s, 10737418240 bytes, trace 9f86d081884c7d65"] {
            #expect(PIIText.masked(text) == text)
        }
    }

    @Test func theKindOfAWholeValue() {
        #expect(PIIText.kind(of: "330782199001011234") == .citizenID)
        #expect(PIIText.kind(of: "+86 138 1234 5678") == .phone)
        #expect(PIIText.kind(of: "0579-85123456") == .phone)
        #expect(PIIText.kind(of: "z@example.cn") == .email)
        #expect(PIIText.kind(of: "赵六") == nil)
        #expect(PIIText.kind(of: "call 13812345678") == nil)
        #expect(PIIText.kind(of: "2026-12-02") == nil)
    }

    /// Every member the shipped glossary marks personal is masked in a snippet by its kind.
    @Test func everyPersonalGlossaryTermIsAPersonalMember() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let glossary = try Glossary.load(mappingsPath: root.appendingPathComponent("Mappings").path, displayPrefix: "Mappings")
        let personal = glossary.terms.filter(\.value.pii)
        #expect(personal.count >= 20)
        for (name, term) in personal {
            #expect(PIIText.personalMembers[name] == (term.kind ?? .generic), "glossary term \(name)")
        }
    }

    @Test func aSnippetIsMaskedBeforeItIsCut() {
        let body = Array((#"{"msg":"bad","rows":[{"xm":"张三丰","sfzh":"330782199001011234"}]}"#).utf8)
        #expect(ResponseText.snippet(body, redactor: Redactor()) == #"{"msg":"bad","rows":[{"xm":"张**","sfzh":"330782***********4"}]}"#)
        // The 300-character cut falls inside the ID: only its masked start shows.
        let long = ResponseText.snippet(Array((String(repeating: "x", count: 290) + " 330782199001011234 tail").utf8), redactor: Redactor())
        #expect(long.hasSuffix(" 330782***…"), "\(long.suffix(20))")
        #expect(ResponseText.snippet(Array(#"{"code":"97","msg":"缺少参数"}"#.utf8), redactor: Redactor()) == #"{"code":"97","msg":"缺少参数"}"#)
    }

    /// Masking a masked text changes nothing: a stored excerpt is masked again on its way out of
    /// `status` and `catalog` (rows from before excerpts were masked), and must not lose the part
    /// its mask keeps readable.
    @Test func maskingAMaskedTextChangesNothing() {
        let texts = [#"{"xm":"张三丰","sfzh":"330782199001011234","lxdh":"13812345678","dh":"0579-85123456","email":"zhang.san@example.com"}"#,
                     #"{"name":"张三","phone":13812345678,"zjhm":"11010519491231002X"} and 330782199001011234, 138 1234 5678"#,
                     #"{"XM":"欧阳娜娜","mobile":"+86 138-1234-5678"}"#, "<html>502 Bad Gateway</html>"]
        for text in texts {
            let once = PIIText.masked(text)
            #expect(once != text || text.hasPrefix("<html>"), "\(text)")
            #expect(PIIText.masked(once) == once, "\(text) → \(once) → \(PIIText.masked(once))")
        }
    }
}
