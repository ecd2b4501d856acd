import DataflowCore
import DataflowHTTP
import Foundation
import Logging

/// Renders sync progress: human lines or JSON events on stderr (one object per line, each with
/// `ts`, `level` and `event`; counts are JSON numbers), and a progress bar on a terminal only.
/// Every text passes the run's redactor; text lines also have control characters escaped, so a
/// gateway's newline or ANSI escape cannot forge a line.
final class EventLog: SyncObserver {
    let format: LogFormat
    let redactor: Redactor
    let quiet: Bool
    let verbose: Bool
    let progress: Bool
    /// A progress line per dataset in flight (several at once with `--jobs`), in start order.
    private var bars: [ProgressBar] = []
    /// Lines of the progress block now on the terminal, and when it was last drawn.
    private var drawnLines = 0
    private var lastDraw = Date.distantPast
    private var runStart = Date()

    init(format: LogFormat, quiet: Bool, verbose: Bool, redactor: Redactor, isTerminal: Bool = Console.stderrIsTerminal) {
        self.format = format
        self.redactor = redactor
        self.quiet = quiet
        self.verbose = verbose
        progress = !quiet && !verbose && format == .text && isTerminal
    }

    /// A JSON field value: a number (already formatted), a string, or null.
    enum Field {
        case number(String)
        case text(String?)

        static func int(_ n: Int) -> Field { .number(String(n)) }
        static func int64(_ n: Int64) -> Field { .number(String(n)) }
        static func seconds(_ s: Double) -> Field { .number(String(format: "%.3f", s)) }
    }

    /// JSON events go through swift-log with the JSON-lines handler (docs/operations.md).
    private lazy var logger = Logger(label: "dataflow.sync") { [redactor] _ in JSONLinesLogHandler(redactor: redactor) }

    private func event(_ name: String, _ fields: [(String, Field)], level: String = "info") {
        guard format == .json else { return }
        logger.log(level: Logger.Level(rawValue: level) ?? .info, Logger.Message(stringLiteral: name), metadata: Self.metadata(fields))
    }

    static func metadata(_ fields: [(String, Field)]) -> Logger.Metadata {
        var metadata: Logger.Metadata = [:]
        for (key, value) in fields {
            switch value {
            case .number(let n): metadata[key] = .stringConvertible(JSONNumber(raw: n))
            case .text(let t): metadata[key] = t.map { .string($0) } ?? .stringConvertible(JSONNumber(null: ()))
            }
        }
        return metadata
    }

    /// One JSON event line (also used by the sync command for errors before a run starts).
    static func jsonLine(_ name: String, _ fields: [(String, Field)], level: String, redactor: Redactor) -> String {
        JSONLinesLogHandler.line(level: Logger.Level(rawValue: level) ?? .info, event: name, metadata: metadata(fields), redactor: redactor)
    }

    /// Erases the progress block (the cursor ends at the start of its first line).
    private func clearProgress() {
        guard progress, drawnLines > 0 else { return }
        Console.stderr("\r\u{1B}[K" + String(repeating: "\u{1B}[1A\u{1B}[K", count: drawnLines - 1))
        drawnLines = 0
    }

    /// Draws a line per dataset in flight that has committed a page (no newline after the last),
    /// each cut to the terminal's width and no more lines than it has rows: a line that wrapped
    /// would take two rows, and `clearProgress` would leave the second one behind at every redraw.
    private func drawProgress(now: Date = Date()) {
        guard progress else { return }
        var lines = bars.filter { $0.pages > 0 }.map { $0.line(now: now) }
        guard !lines.isEmpty else { return }
        if let size = Self.terminalSize() {
            let room = max(1, size.rows - 1)
            if lines.count > room {
                let shown = room - 1
                lines = Array(lines.prefix(shown)) + ["… and \(lines.count - shown) more dataset\(lines.count - shown == 1 ? "" : "s") in flight"]
            }
            lines = lines.map { TextTable.fitted($0, columns: max(1, size.columns - 1)) }
        }
        // Every draw starts at the start of a cleared line, the first one too: a sync fast
        // enough to draw only once still draws in place, never after text left on the line.
        Console.stderr("\r\u{1B}[K" + lines.joined(separator: "\n"))
        drawnLines = lines.count
        lastDraw = now
    }

    /// Columns and rows of the terminal on stderr, or nil when it does not say (a pseudo-terminal
    /// nobody sized): the lines are then drawn whole.
    static func terminalSize() -> (columns: Int, rows: Int)? {
        var size = winsize()
        guard ioctl(2, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return nil }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    private func text(_ line: String, always: Bool = false) {
        guard format == .text, !quiet || always else { return }
        clearProgress()
        // Our own lines are single lines: any control character in one came from a gateway. Every
        // line passes the redactor here, so no caller has to remember it.
        Console.stderr(redactor.printable(line) + "\n")
        drawProgress()
    }

    func runStarted(runID: Int64, datasets: [String]) {
        runStart = Date()
        event("run_start", [("run_id", .int64(runID)), ("datasets", .text(datasets.joined(separator: ","))), ("dataset_count", .int(datasets.count))])
        text("run \(runID): syncing \(datasets.joined(separator: ", "))")
    }

    func datasetStarted(_ dataset: String, watermark: String?) {
        if progress { bars.append(ProgressBar(dataset: dataset)) }
        event("dataset_start", [("dataset", .text(dataset)), ("watermark", .text(watermark))])
        if verbose { text("\(dataset): starting from \(watermark.map { "watermark \(redactor.redact($0))" } ?? "the beginning (full sync)")") }
    }

    func pageCommitted(_ dataset: String, page: Int, fetched: Int, counts: PageCounts, total: Int?) {
        if verbose {
            event("page", [("dataset", .text(dataset)), ("page", .int(page)), ("records", .int(fetched)), ("inserted", .int(counts.inserted)),
                           ("updated", .int(counts.updated)), ("unchanged", .int(counts.unchanged)), ("deleted", .int(counts.deleted)),
                           ("rejected", .int(counts.rejected)), ("total", total.map(Field.int) ?? .text(nil))], level: "debug")
            text("\(dataset): page \(page): \(fetched) records (+\(counts.inserted) ~\(counts.updated) -\(counts.deleted) =\(counts.unchanged) !\(counts.rejected))")
        } else if progress, let index = bars.firstIndex(where: { $0.dataset == dataset }) {
            let now = Date()
            _ = bars[index].page(records: fetched, total: total, now: now)
            // At most ten redraws a second, however many datasets are in flight.
            if now.timeIntervalSince(lastDraw) >= 0.1 {
                clearProgress()
                drawProgress(now: now)
            }
        }
    }

    func retry(_ dataset: String, event e: RetryEvent) {
        event("retry", [("dataset", .text(dataset)), ("attempt", .int(e.attempt)), ("cause", .text(e.cause)), ("reason", .text(e.reason)),
                        ("delay_s", .seconds(e.delay))], level: "warning")
        if verbose { text("\(dataset): retry \(e.attempt) in \(String(format: "%.2f", e.delay))s (\(e.cause)): \(redactor.redact(e.reason))") }
    }

    func datasetFinished(_ s: DatasetSummary) {
        clearProgress()
        bars.removeAll { $0.dataset == s.dataset }
        event("dataset_end", [("dataset", .text(s.dataset)), ("status", .text(s.status)), ("fetched", .int(s.fetched)),
                              ("inserted", .int(s.counts.inserted)), ("updated", .int(s.counts.updated)),
                              ("unchanged", .int(s.counts.unchanged)), ("deleted", .int(s.counts.deleted)),
                              ("rejected", .int(s.counts.rejected)), ("rejects_seen_again", .int(s.rejectsSeenAgain)),
                              ("pages", .int(s.pages)), ("requests", .int(s.requests)),
                              ("seconds", .seconds(s.seconds)), ("watermark", .text(s.watermark)), ("error", .text(s.error)),
                              ("page_cap", s.pageCap.map(Field.int) ?? .text(nil)),
                              ("tied_cursor", .text(s.tiedCursor)), ("tied_cursor_kept", .text(s.tiedCursor == nil ? nil : String(s.tiedCursorKept))),
                              ("reconciled_deletes", s.reconciledDeletes.map(Field.int) ?? .text(nil)),
                              ("incomplete_pass", .text(s.incompletePass)),
                              ("refused_tombstones", s.refusedTombstones.map(Field.int) ?? .text(nil))],
              level: s.status == "ok" ? "info" : "error")
        if let r = s.replay {
            event("rejects_replayed", [("dataset", .text(s.dataset)), ("replayed", .int(r.replayed)), ("resolved", .int(r.resolved)),
                                       ("still_rejected", .int(r.stillRejected))], level: "info")
            text("\(s.dataset): retried \(r.replayed) open rejects — \(r.resolved) now load, \(r.stillRejected) still rejected")
        }
        if s.status == "ok" {
            if let gone = s.reconciledDeletes {
                text("\(s.dataset): reconciled — a complete pass of the key set; \(gone) keys gone upstream were tombstoned")
            }
            if let tied = s.tiedCursor {
                text("\(s.dataset): note — more records share the cursor value \(tied) than a page holds, so the walk paged inside them, where a record that changes meanwhile can push another past it; "
                     + (s.tiedCursorKept ? "one of them changed during this run, so the watermark stays at \(tied) and the next run reads them again" : "none changed during this run")
                     + " (a page size above their number avoids this)")
            }
            if let cap = s.pageCap {
                text("\(s.dataset): note — the gateway served at most \(cap) records per page, fewer than asked; the walk read on to the end, nothing was skipped")
            }
            text("\(s.dataset): ok — \(s.fetched) fetched, \(s.counts.inserted) inserted, \(s.counts.updated) updated, \(s.counts.unchanged) unchanged, \(s.counts.deleted) deleted, \(s.counts.rejected) rejected\(s.rejectsSeenAgain > 0 ? " (+\(s.rejectsSeenAgain) already quarantined, read again)" : ""), \(s.pages) pages in \(String(format: "%.2f", s.seconds))s")
        } else {
            text("\(s.dataset): FAILED — \(s.error.map(redactor.redact) ?? "unknown error")", always: true)
        }
    }

    func runFinished(_ summary: RunSummary) {
        let d = summary.datasets
        func sum(_ f: (DatasetSummary) -> Int) -> Field { .int(d.reduce(0) { $0 + f($1) }) }
        event("run_end", [("run_id", .int64(summary.runID)), ("exit_code", .int(Int(summary.exitCode))),
                          ("datasets", .int(d.count)), ("failed_count", .int(d.filter { $0.status != "ok" }.count)),
                          ("failed", .text(d.filter { $0.status != "ok" }.map(\.dataset).joined(separator: ","))),
                          ("fetched", sum(\.fetched)), ("inserted", sum(\.counts.inserted)), ("updated", sum(\.counts.updated)),
                          ("unchanged", sum(\.counts.unchanged)), ("deleted", sum(\.counts.deleted)), ("rejected", sum(\.counts.rejected)),
                          ("pages", sum(\.pages)), ("requests", sum(\.requests)), ("seconds", .seconds(Date().timeIntervalSince(runStart)))],
              level: summary.exitCode == 0 ? "info" : "error")
        let failed = summary.datasets.filter { $0.status != "ok" }.count
        text("run \(summary.runID): \(failed == 0 ? "all \(summary.datasets.count) datasets ok" : "\(failed) of \(summary.datasets.count) datasets failed")", always: failed > 0)
    }
}
