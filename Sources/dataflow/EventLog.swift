import DataflowCore
import DataflowHTTP
import Foundation

/// Renders sync progress: human lines or JSON events on stderr, and a progress line on a terminal.
final class EventLog: SyncObserver {
    let format: LogFormat
    let quiet: Bool
    let verbose: Bool
    let progress: Bool
    private var datasetStart = Date()
    private var fetched = 0

    init(format: LogFormat, quiet: Bool, verbose: Bool) {
        self.format = format
        self.quiet = quiet
        self.verbose = verbose
        progress = !quiet && format == .text && Console.stderrIsTerminal
    }

    private func event(_ name: String, _ fields: [(String, String?)], level: String = "info") {
        if format == .json {
            var line = "{\"ts\":" + JSONValue.quoted(Timestamp.now()) + ",\"level\":" + JSONValue.quoted(level) + ",\"event\":" + JSONValue.quoted(name)
            for (k, v) in fields { line += "," + JSONValue.quoted(k) + ":" + (v.map(JSONValue.quoted) ?? "null") }
            Console.stderr(line + "}\n")
        }
    }

    private func text(_ line: String, always: Bool = false) {
        guard format == .text, !quiet || always else { return }
        if progress { Console.stderr("\r\u{1B}[K") }
        Console.stderr(line + "\n")
    }

    func runStarted(runID: Int64, datasets: [String]) {
        event("run_start", [("run_id", String(runID)), ("datasets", datasets.joined(separator: ","))])
        text("run \(runID): syncing \(datasets.joined(separator: ", "))")
    }

    func datasetStarted(_ dataset: String, watermark: String?) {
        datasetStart = Date()
        fetched = 0
        event("dataset_start", [("dataset", dataset), ("watermark", watermark)])
        if verbose { text("\(dataset): starting from \(watermark.map { "watermark \($0)" } ?? "the beginning (full sync)")") }
    }

    func pageCommitted(_ dataset: String, page: Int, fetched: Int, counts: PageCounts, total: Int?) {
        self.fetched += fetched
        if verbose {
            event("page", [("dataset", dataset), ("page", String(page)), ("records", String(fetched)), ("inserted", String(counts.inserted)),
                           ("updated", String(counts.updated)), ("unchanged", String(counts.unchanged)), ("deleted", String(counts.deleted)),
                           ("rejected", String(counts.rejected))], level: "debug")
            text("\(dataset): page \(page): \(fetched) records (+\(counts.inserted) ~\(counts.updated) -\(counts.deleted) =\(counts.unchanged) !\(counts.rejected))")
        } else if progress {
            let rate = Double(self.fetched) / max(0.001, Date().timeIntervalSince(datasetStart))
            Console.stderr("\r\u{1B}[K\(dataset): \(page) pages, \(self.fetched) records, \(Int(rate)) records/s")
        }
    }

    func retry(_ dataset: String, event e: RetryEvent) {
        event("retry", [("dataset", dataset), ("attempt", String(e.attempt)), ("reason", e.reason), ("delay_s", String(format: "%.2f", e.delay))], level: "warning")
        if verbose { text("\(dataset): retry \(e.attempt) in \(String(format: "%.2f", e.delay))s: \(e.reason)") }
    }

    func datasetFinished(_ s: DatasetSummary) {
        event("dataset_end", [("dataset", s.dataset), ("status", s.status), ("fetched", String(s.fetched)),
                              ("inserted", String(s.counts.inserted)), ("updated", String(s.counts.updated)),
                              ("unchanged", String(s.counts.unchanged)), ("deleted", String(s.counts.deleted)),
                              ("rejected", String(s.counts.rejected)), ("pages", String(s.pages)), ("requests", String(s.requests)),
                              ("seconds", String(format: "%.3f", s.seconds)), ("watermark", s.watermark), ("error", s.error),
                              ("page_cap", s.pageCap.map(String.init))],
              level: s.status == "ok" ? "info" : "error")
        if s.status == "ok" {
            if let cap = s.pageCap {
                text("\(s.dataset): note — the gateway served at most \(cap) records per page, fewer than asked; the walk read on to the end, nothing was skipped")
            }
            text("\(s.dataset): ok — \(s.fetched) fetched, \(s.counts.inserted) inserted, \(s.counts.updated) updated, \(s.counts.unchanged) unchanged, \(s.counts.deleted) deleted, \(s.counts.rejected) rejected, \(s.pages) pages in \(String(format: "%.2f", s.seconds))s")
        } else {
            text("\(s.dataset): FAILED — \(s.error ?? "unknown error")", always: true)
        }
    }

    func runFinished(_ summary: RunSummary) {
        event("run_end", [("run_id", String(summary.runID)), ("exit_code", String(summary.exitCode)),
                          ("failed", summary.datasets.filter { $0.status != "ok" }.map(\.dataset).joined(separator: ","))],
              level: summary.exitCode == 0 ? "info" : "error")
        let failed = summary.datasets.filter { $0.status != "ok" }.count
        text("run \(summary.runID): \(failed == 0 ? "all \(summary.datasets.count) datasets ok" : "\(failed) of \(summary.datasets.count) datasets failed")", always: failed > 0)
    }
}
