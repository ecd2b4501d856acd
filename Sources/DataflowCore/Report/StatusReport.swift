import Foundation

/// Recent runs and, per dataset, what each did.
public struct StatusReport: Sendable, Encodable {
    /// One dataset's part of a run.
    public struct DatasetRun: Sendable, Encodable {
        public var dataset: String
        public var status: String
        public var fetched: Int
        public var inserted: Int
        public var updated: Int
        public var unchanged: Int
        public var deleted: Int
        public var rejected: Int
        public var pages: Int
        public var requests: Int
        public var seconds: Double?
        public var error: String?
    }

    /// One run.
    public struct Run: Sendable, Encodable {
        public var runID: Int64
        public var startedAt: String
        public var finishedAt: String?
        /// ok | failed | running | interrupted (never finished: killed or crashed).
        public var status: String
        public var exitCode: Int?
        /// Wall-clock seconds from start to finish (nil while running or interrupted).
        public var seconds: Double?
        public var datasets: [DatasetRun]
        /// Sums over the run's datasets.
        public var totals: Totals { Totals(datasets) }

        enum CodingKeys: String, CodingKey { case runID, startedAt, finishedAt, status, exitCode, seconds, datasets, totals }
        public func encode(to encoder: Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(runID, forKey: .runID)
            try c.encode(startedAt, forKey: .startedAt)
            try c.encodeIfPresent(finishedAt, forKey: .finishedAt)
            try c.encode(status, forKey: .status)
            try c.encodeIfPresent(exitCode, forKey: .exitCode)
            try c.encodeIfPresent(seconds, forKey: .seconds)
            try c.encode(datasets, forKey: .datasets)
            try c.encode(totals, forKey: .totals)
        }
    }

    /// Counts summed over a run's datasets.
    public struct Totals: Sendable, Encodable, Equatable {
        public var fetched = 0, inserted = 0, updated = 0, unchanged = 0, deleted = 0, rejected = 0, pages = 0, requests = 0
        /// Datasets that failed, and datasets a killed run left unfinished (they were counted as
        /// failed, which a run with none failed contradicted).
        public var failed = 0, interrupted = 0

        init(_ runs: [DatasetRun]) {
            for d in runs {
                fetched += d.fetched; inserted += d.inserted; updated += d.updated; unchanged += d.unchanged
                deleted += d.deleted; rejected += d.rejected; pages += d.pages; requests += d.requests
                if d.status == "interrupted" { interrupted += 1 } else if d.status != "ok" && d.status != "running" { failed += 1 }
            }
        }
    }

    /// Current state per dataset.
    public struct DatasetState: Sendable, Encodable {
        public var dataset: String
        public var rows: Int
        public var deletedRows: Int
        public var watermark: String?
        public var openRejects: Int
        public var unresolvedMatterCodes: Int
        public var unmappedSourceFields: [String]
        /// When the dataset last synced successfully, and how its latest attempt ended.
        public var lastSuccess: String?
        public var lastStatus: String?
        public var lastError: String?
    }

    /// Bumped only when a key is removed or changes meaning (docs/operations.md).
    public var schemaVersion = 1
    public var warehouse: String
    public var runs: [Run]
    public var datasets: [DatasetState]

    /// Reads the last `limit` runs from the warehouse. Stored errors pass `redactor` again: rows
    /// written before redaction existed (or by another tool) may still hold a secret.
    public static func load(db: WarehouseReader, warehouse: String, limit: Int, lockHeld: Bool, redactor: Redactor) throws -> StatusReport {
        var runs: [Run] = []
        try db.forEachRow("SELECT run_id, started_at, finished_at, status, exit_code FROM _dataflow_runs ORDER BY run_id DESC LIMIT ?",
                          [.integer(Int64(limit))]) { r in
            var status = r.text(3) ?? "?"
            // A run still marked running while nobody holds the lock was killed or crashed.
            if status == "running" && !lockHeld { status = "interrupted" }
            var seconds: Double?
            if let start = r.text(1).flatMap(Timestamp.parse), let end = r.text(2).flatMap(Timestamp.parse) {
                seconds = end.timeIntervalSince(start)
            }
            runs.append(Run(runID: r.int(0), startedAt: r.text(1) ?? "", finishedAt: r.text(2), status: status,
                            exitCode: r.isNull(4) ? nil : Int(r.int(4)), seconds: seconds, datasets: []))
        }
        for i in runs.indices {
            try db.forEachRow("""
            SELECT dataset, status, fetched, inserted, updated, unchanged, deleted, rejected, pages, requests, seconds, error
            FROM _dataflow_run_datasets WHERE run_id = ? ORDER BY started_at, dataset
            """, [.integer(runs[i].runID)]) { d in
                var status = d.text(1) ?? "?"
                if status == "running" && runs[i].status == "interrupted" { status = "interrupted" }
                runs[i].datasets.append(DatasetRun(
                    dataset: d.text(0) ?? "", status: status, fetched: Int(d.int(2)), inserted: Int(d.int(3)), updated: Int(d.int(4)),
                    unchanged: Int(d.int(5)), deleted: Int(d.int(6)), rejected: Int(d.int(7)), pages: Int(d.int(8)),
                    requests: Int(d.int(9)), seconds: d.isNull(10) ? nil : d.double(10), error: d.text(11).map(redactor.redactingStoredError)))
            }
        }
        var states: [DatasetState] = []
        try db.forEachRow("""
            SELECT s.dataset, s.rows, s.deleted_rows, s.watermark_text,
              (SELECT count(*) FROM _dataflow_rejects r WHERE r.dataset = s.dataset AND r.resolved_at IS NULL),
              (SELECT count(*) FROM _dataflow_unresolved_matters u WHERE u.dataset = s.dataset),
              (SELECT \(db.stringAggregate("field", separator: ",")) FROM (SELECT field FROM _dataflow_schema c WHERE c.dataset = s.dataset AND c.mapped = 0 ORDER BY field) AS f),
              (SELECT max(finished_at) FROM _dataflow_run_datasets d WHERE d.dataset = s.dataset AND d.status = 'ok'),
              (SELECT status FROM _dataflow_run_datasets d WHERE d.dataset = s.dataset ORDER BY run_id DESC LIMIT 1),
              (SELECT error FROM _dataflow_run_datasets d WHERE d.dataset = s.dataset ORDER BY run_id DESC LIMIT 1)
            FROM _dataflow_state s ORDER BY s.dataset
            """, []) { s in
            states.append(DatasetState(dataset: s.text(0) ?? "", rows: Int(s.int(1)), deletedRows: Int(s.int(2)), watermark: s.text(3),
                                       openRejects: Int(s.int(4)), unresolvedMatterCodes: Int(s.int(5)),
                                       unmappedSourceFields: s.text(6).map { $0.split(separator: ",").map(String.init) } ?? [],
                                       lastSuccess: s.text(7), lastStatus: s.text(8), lastError: s.text(9).map(redactor.redactingStoredError)))
        }
        return StatusReport(warehouse: warehouse, runs: runs, datasets: states)
    }

    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self) + "\n"
    }

    public func table() -> String {
        var out = "Warehouse: \(warehouse)\n\n"
        if runs.isEmpty { out += "No runs yet.\n" }
        for run in runs {
            out += "Run \(run.runID)  \(run.status)  started \(run.startedAt)\(run.finishedAt.map { "  finished \($0)" } ?? "")"
            out += "\(run.seconds.map { "  (\(Self.duration($0)))" } ?? "")\(run.exitCode.map { "  exit \($0)" } ?? "")\n"
            out += TextTable.render(headers: ["dataset", "status", "fetched", "inserted", "updated", "unchanged", "deleted", "rejected", "pages", "requests", "seconds", "error"],
                                    rows: run.datasets.map {
                [$0.dataset, $0.status, String($0.fetched), String($0.inserted), String($0.updated), String($0.unchanged), String($0.deleted),
                 String($0.rejected), String($0.pages), String($0.requests), $0.seconds.map { String(format: "%.2f", $0) } ?? "-",
                 $0.error == nil ? "" : "see below"]
            })
            // Whole, wrapped, under the table: the gateway's own words often come last
            // (`…: 签名错误`), so cutting the column would hide the one that says what happened.
            for d in run.datasets { if let error = d.error { out += Self.wrapped("\(d.dataset) error: " + Redactor.escapingControls(error)) } }
            let t = run.totals
            out += "  total: \(t.fetched) fetched, \(t.inserted) inserted, \(t.updated) updated, \(t.unchanged) unchanged, \(t.deleted) deleted, \(t.rejected) rejected, \(t.pages) pages"
            out += (t.failed > 0 ? ", \(t.failed) failed" : "") + (t.interrupted > 0 ? ", \(t.interrupted) interrupted" : "") + "\n\n"
        }
        out += "Datasets now:\n"
        out += TextTable.render(headers: ["dataset", "rows", "deleted", "watermark", "last success", "last outcome", "open rejects", "unresolved matters", "unmapped fields"],
                                rows: datasets.map {
            [$0.dataset, String($0.rows), String($0.deletedRows), $0.watermark ?? "-", $0.lastSuccess ?? "never", $0.lastStatus ?? "-",
             String($0.openRejects), String($0.unresolvedMatterCodes), $0.unmappedSourceFields.isEmpty ? "-" : $0.unmappedSourceFields.joined(separator: ",")]
        })
        return out
    }

    /// `text` as lines of at most `width` terminal columns (`TextTable.displayWidth`: a Chinese
    /// character takes two), breaking at a space where one is in the line's second half, else
    /// between two characters; indented by two, continuation lines by four.
    static func wrapped(_ text: String, width: Int = 100) -> String {
        var out = ""
        var rest = Substring(text)
        var indent = "  "
        while !rest.isEmpty {
            let room = max(1, width - indent.count)
            // The longest prefix that fits (at least one character, so a line always moves on).
            var end = rest.startIndex, used = 0, lastSpace: (index: Substring.Index, used: Int)?
            while end < rest.endIndex {
                let w = TextTable.displayWidth(String(rest[end]))
                if used + w > room, end > rest.startIndex { break }
                if rest[end] == " " { lastSpace = (end, used) }
                used += w
                end = rest.index(after: end)
            }
            if end < rest.endIndex, let space = lastSpace, space.used > room / 2 { end = space.index }
            out += indent + rest[..<end].trimmingCharacters(in: .whitespaces) + "\n"
            rest = rest[end...].drop(while: { $0 == " " })
            indent = "    "
        }
        return out
    }

    /// `42.1s`, `3m05s`, `1h02m`.
    static func duration(_ seconds: Double) -> String {
        if seconds < 60 { return String(format: "%.1fs", seconds) }
        let s = Int(seconds.rounded())
        if s < 3600 { return String(format: "%dm%02ds", s / 60, s % 60) }
        return String(format: "%dh%02dm", s / 3600, (s % 3600) / 60)
    }
}
