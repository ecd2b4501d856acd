import DataflowCore
import Foundation
import Testing

/// Personal data the gateway sends where nobody declared it never leaves in clear: an error
/// page's excerpt (stderr, the JSON log, `status`, the warehouse's error column, `catalog -o`
/// files) and members or records the mapping does not read (`rejects`, `check`). The pages are
/// served by Python's http.server on an ephemeral loopback port.
@Suite("Personal data in gateway errors and unread members is masked")
struct GatewayPersonalDataTests {

    /// Every string in the JSON values of `text`'s lines (a JSON log line may escape Chinese).
    static func strings(inJSONLines text: String) -> String {
        func collect(_ value: JSONValue, into out: inout String) {
            switch value {
            case .string(let s): out += s + "\n"
            case .array(let items): items.forEach { collect($0, into: &out) }
            case .object(let o): o.members.forEach { collect($0.value, into: &out) }
            default: break
            }
        }
        var out = ""
        if let value = try? JSONParser.parse(Array(text.utf8)) { collect(value, into: &out); return out }
        for line in text.split(separator: "\n") {
            if let value = try? JSONParser.parse(Array(line.utf8)) { collect(value, into: &out) }
        }
        return out
    }

    /// Text without spaces and line breaks, so a value a table wrapped over two lines is found
    /// whole (values and phrases are compared in this form).
    static func squeezed(_ text: String) -> String {
        text.replacingOccurrences(of: "\n", with: "").replacingOccurrences(of: " ", with: "")
    }

    @Test func anErrorPageEchoingRecordsIsMaskedInEveryOutput() throws {
        // Malformed JSON (the list is cut short), and a valid page without the records member.
        let gateway = try StaticGateway(files: [
            "broken.json": #"{"list":[{"id":"K0001","name":"张三丰","phone":"13812345678","sfzh":"330782199001011234"},"#,
            "other.json": #"{"code":"97","msg":"缺少参数","data":{"xm":"李四光","lxdh":"0579-85123456","zjhm":"11010519491231002X"}}"#,
        ])
        let root = try StaticGateway.county(at: gateway, datasets: [("broken", "{ path: /broken.json, records: list, pagination: { type: none } }"),
                                                                           ("other", "{ path: /other.json, records: list, pagination: { type: none } }")],
                                                   sourceOptions: ["retries: 0"])
        defer { try? FileManager.default.removeItem(at: root) }
        let clear = ["330782199001011234", "13812345678", "张三丰", "11010519491231002X", "85123456", "李四光"]
        let masked = ["330782***********4", "138****5678", "张**", "110105***********X", "0579-******56", "李**"]

        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(sync.status == 1, "\(sync.output)")
        let json = try Command.run(Binaries.dataflow, ["sync", "--log-format", "json", "--project", root.path], in: root)
        #expect(json.status == 1, "\(json.output)")
        let status = try Command.run(Binaries.dataflow, ["status", "--project", root.path], in: root)
        let statusJSON = try Command.run(Binaries.dataflow, ["status", "--format", "json", "--project", root.path], in: root)
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        let stored = try db.scalarText("SELECT group_concat(error, ' | ') FROM _dataflow_run_datasets", []) ?? ""
        var outputs: [(String, String)] = [("sync", sync.output), ("sync --log-format json", Self.strings(inJSONLines: json.output)),
                                           ("status", status.output), ("status --format json", Self.strings(inJSONLines: statusJSON.output)),
                                           ("_dataflow_run_datasets.error", stored)]
        for format in ["html", "csv"] {
            let file = root.appendingPathComponent("catalogue.\(format)")
            let catalog = try Command.run(Binaries.dataflow, ["catalog", "--format", format, "-o", file.path, "--project", root.path], in: root)
            #expect(catalog.status == 0 || catalog.status == 4, "\(catalog.output)")
            outputs.append(("catalog -o catalogue.\(format)", try String(contentsOf: file, encoding: .utf8)))
        }
        for (place, output) in outputs {
            let text = Self.squeezed(output)
            #expect(text.contains("responseisnotvalidJSON") && text.contains("norecordsat"), "\(place): \(output)")
            for value in clear { #expect(!text.contains(value), "\(place) shows \(value) in clear: \(text)") }
            for value in masked { #expect(text.contains(value), "\(place) lacks \(value): \(text)") }
            // What an operator needs stays readable.
            #expect(text.contains(#""msg":"缺少参数""#) || text.contains("&quot;msg&quot;:&quot;缺少参数&quot;") || text.contains(#"""msg"":""缺少参数"""#),
                    "\(place): \(text)")
        }
    }

    /// An error row stored before excerpts were masked (or by another tool) is masked on its way
    /// out of `status` and `catalog`, as a new excerpt is; a masked one is shown as it was stored.
    @Test func anOldStoredErrorIsMaskedWhenShown() throws {
        let gateway = try StaticGateway(files: ["ok.json": #"{"list":[{"id":"K0001","name":"义乌甲"}]}"#])
        let root = try StaticGateway.county(at: gateway, datasets: [("shops", "{ path: /ok.json, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        #expect(try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root).status == 0)
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        try db.exec(#"UPDATE _dataflow_run_datasets SET status = 'failed', error = 'response is not valid JSON: {"xm":"张三丰","sfzh":"330782199001011234","lxdh":"13812345678"}'"#)
        var outputs: [(String, String)] = []
        for format in ["table", "json"] {
            let status = try Command.run(Binaries.dataflow, ["status", "--format", format, "--project", root.path], in: root)
            outputs.append(("status --format \(format)", format == "json" ? Self.strings(inJSONLines: status.stdout) : status.stdout))
        }
        let file = root.appendingPathComponent("catalogue.csv")
        let catalog = try Command.run(Binaries.dataflow, ["catalog", "--format", "csv", "-o", file.path, "--project", root.path], in: root)
        #expect(catalog.status == 0 || catalog.status == 4, "\(catalog.output)")
        outputs.append(("catalog -o catalogue.csv", try String(contentsOf: file, encoding: .utf8)))
        for (place, output) in outputs {
            let text = Self.squeezed(output)
            #expect(text.contains("responseisnotvalidJSON"), "\(place): \(output)")
            for value in ["330782199001011234", "13812345678", "张三丰"] { #expect(!text.contains(value), "\(place) shows \(value) in clear: \(text)") }
            for value in ["330782***********4", "138****5678", "张**"] { #expect(text.contains(value), "\(place) lacks \(value): \(text)") }
        }
    }

    @Test func unreadMembersAndAListRecordAreMaskedInRejectsAndCheck() throws {
        let page = #"{"list":[{"id":"K0001","name":"义乌甲"},{"name":"义乌丁","sfzh":"330782199001011234","lxdh":"13912345678","xm":"赵六"},["330782199001011234","13912345678","赵六"]]}"#
        let gateway = try StaticGateway(files: ["extra.json": page])
        let root = try StaticGateway.county(at: gateway, datasets: [("extra", "{ path: /extra.json, records: list, pagination: { type: none } }")])
        defer { try? FileManager.default.removeItem(at: root) }
        let sync = try Command.run(Binaries.dataflow, ["sync", "--project", root.path], in: root)
        #expect(sync.status == 0, "\(sync.output)")

        var outputs: [(String, String)] = []
        for format in ["table", "json", "csv"] {
            let rejects = try Command.run(Binaries.dataflow, ["rejects", "extra", "--format", format, "--project", root.path], in: root)
            #expect(rejects.status == 0, "\(rejects.output)")
            outputs.append(("rejects --format \(format)", Self.squeezed(rejects.stdout)))
        }
        let check = try Command.run(Binaries.dataflow, ["check", "extra", "--format", "json", "--records", "3", "--project", root.path], in: root)
        #expect(check.status == 0, "\(check.output)")
        outputs.append(("check --format json", Self.squeezed(check.stdout)))
        let checkText = try Command.run(Binaries.dataflow, ["check", "extra", "--records", "3", "--project", root.path], in: root)
        outputs.append(("check", Self.squeezed(checkText.stdout)))
        for (place, text) in outputs {
            for value in ["330782199001011234", "13912345678", "赵六"] { #expect(!text.contains(value), "\(place) shows \(value) in clear: \(text)") }
            // The table lists reasons, not records.
            guard place != "rejects --format table" else { continue }
            for value in ["330782***********4", "139****5678", "义乌丁"] { #expect(text.contains(value), "\(place) lacks \(value): \(text)") }
        }
        guard case .array(let checked) = try JSONParser.parse(Array(check.stdout.utf8)), case .array(let raw)? = checked.first?["raw"] else {
            Issue.record("no raw records: \(check.stdout)"); return
        }
        #expect(raw.count == 3)
        #expect(raw.first == (try JSONParser.parse(Array(#"{"id":"K0001","name":"义乌甲"}"#.utf8))), "members the mapping reads stay as they are")
        #expect(raw.dropFirst().first?["xm"]?.text == "**")
        #expect(raw.last == .array([.string("330782***********4"), .string("139****5678"), .string("**")]))

        // The clear view still shows them, and is logged before it does.
        let revealed = try Command.run(Binaries.dataflow, ["rejects", "extra", "--format", "json", "--reveal-pii", "--all", "--project", root.path], in: root)
        #expect(revealed.status == 0, "\(revealed.output)")
        #expect(revealed.stdout.contains(#""sfzh":"330782199001011234","lxdh":"13912345678","xm":"赵六""#), "\(revealed.stdout)")
        #expect(revealed.stdout.contains(#"["330782199001011234","13912345678","赵六"]"#), "\(revealed.stdout)")
        let db = try SQLiteDatabase(path: root.appendingPathComponent("warehouse/county.db").path)
        #expect(try db.scalarInt("SELECT count(*) FROM _dataflow_exports WHERE command = 'rejects' AND masked = 0", []) == 1)
    }
}
