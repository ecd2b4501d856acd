import Foundation

/// A sync run's outcome in Prometheus text exposition format (version 0.0.4), for node_exporter's
/// textfile collector: the run (time, duration, exit code), per dataset (last success time, this
/// run's outcome, duration, records by operation, pages, rows now, open rejects, freshness) and the
/// catalogue coverage. Written atomically by `dataflow sync --metrics-file PATH`.
///
/// ```swift
/// let text = try PrometheusMetrics(summary: summary, startedAt: start, finishedAt: Date(),
///                                  db: warehouse.db, coverage: report, redactor: redactor).render()
/// try AtomicFile.write(Data(text.utf8), to: "/var/lib/node_exporter/textfile/dataflow.prom")
/// ```
public struct PrometheusMetrics {
    public var summary: RunSummary
    public var startedAt: Date
    public var finishedAt: Date
    public var db: WarehouseReader
    public var coverage: CoverageReport
    /// Every label value passes it (the file is read by monitoring, often by more people than the warehouse).
    public var redactor: Redactor

    public init(summary: RunSummary, startedAt: Date, finishedAt: Date, db: WarehouseReader, coverage: CoverageReport, redactor: Redactor) {
        self.redactor = redactor
        self.summary = summary
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.db = db
        self.coverage = coverage
    }

    public func render() throws -> String {
        var out = ""
        func family(_ name: String, _ help: String, _ samples: [(labels: [(String, String)], value: String)]) {
            guard !samples.isEmpty else { return }
            out += "# HELP \(name) \(help)\n# TYPE \(name) gauge\n"
            for s in samples {
                let labels = s.labels.isEmpty ? "" : "{" + s.labels.map { "\($0.0)=\"\(Self.escape(redactor.redact($0.1)))\"" }.joined(separator: ",") + "}"
                out += name + labels + " " + s.value + "\n"
            }
        }
        func number(_ d: Double) -> String { d == d.rounded() && abs(d) < 1e15 ? String(Int64(d)) : String(format: "%.3f", d) }
        func perDataset(_ values: [(String, Double)]) -> [(labels: [(String, String)], value: String)] {
            values.map { ([("dataset", $0.0)], number($0.1)) }
        }

        family("dataflow_run_last_timestamp_seconds", "Unix time the last sync run finished.",
               [([], number(finishedAt.timeIntervalSince1970.rounded()))])
        family("dataflow_run_duration_seconds", "Wall-clock duration of the last sync run.",
               [([], String(format: "%.3f", finishedAt.timeIntervalSince(startedAt)))])
        family("dataflow_run_exit_code", "Exit code of the last sync run (0 ok, 1 some datasets failed).", [([], String(summary.exitCode))])
        family("dataflow_run_id", "Warehouse run id of the last sync run.", [([], String(summary.runID))])
        family("dataflow_run_datasets_failed", "Datasets that failed in the last sync run.",
               [([], String(summary.datasets.filter { $0.status != "ok" }.count))])

        family("dataflow_dataset_last_run_success", "1 when the dataset's part of the last run succeeded, else 0.",
               perDataset(summary.datasets.map { ($0.dataset, $0.status == "ok" ? 1 : 0) }))
        family("dataflow_dataset_duration_seconds", "Seconds the dataset took in the last run.",
               summary.datasets.map { ([("dataset", $0.dataset)], String(format: "%.3f", $0.seconds)) })
        var records: [(labels: [(String, String)], value: String)] = []
        for d in summary.datasets {
            for (op, n) in [("fetched", d.fetched), ("inserted", d.counts.inserted), ("updated", d.counts.updated),
                            ("unchanged", d.counts.unchanged), ("deleted", d.counts.deleted), ("rejected", d.counts.rejected)] {
                records.append(([("dataset", d.dataset), ("op", op)], String(n)))
            }
        }
        family("dataflow_dataset_records", "Records the dataset's part of the last run fetched, inserted, updated, left unchanged, deleted or rejected.", records)
        family("dataflow_dataset_pages", "Pages the dataset's part of the last run committed.", perDataset(summary.datasets.map { ($0.dataset, Double($0.pages)) }))

        // From the warehouse and the catalogue: every dataset, not only those in this run.
        var lastSuccess: [(String, Double)] = []
        try db.forEachRow("SELECT dataset, max(finished_at) FROM _dataflow_run_datasets WHERE status = 'ok' GROUP BY dataset ORDER BY dataset", []) { st in
            if let name = st.text(0), let date = st.text(1).flatMap(Timestamp.parse) { lastSuccess.append((name, date.timeIntervalSince1970)) }
        }
        family("dataflow_dataset_last_success_timestamp_seconds", "Unix time of the dataset's last successful sync.", perDataset(lastSuccess))
        family("dataflow_dataset_rows", "Live (not deleted) rows in the dataset's warehouse table.",
               perDataset(coverage.datasets.map { ($0.dataset, Double($0.rows)) }))
        family("dataflow_dataset_deleted_rows", "Tombstoned rows in the dataset's warehouse table.",
               perDataset(coverage.datasets.map { ($0.dataset, Double($0.deletedRows)) }))
        family("dataflow_dataset_open_rejects", "Quarantined records not yet resolved.",
               perDataset(coverage.datasets.map { ($0.dataset, Double($0.openRejects)) }))
        family("dataflow_dataset_fresh", "1 when the dataset's last success is within its update cycle, else 0.",
               perDataset(coverage.datasets.map { ($0.dataset, $0.freshness == "fresh" ? 1 : 0) }))

        family("dataflow_matters_total", "Matters in the county's catalogue.", [([], String(coverage.matters.total))])
        family("dataflow_matters_covered", "Matters with at least one fresh, non-empty dataset.", [([], String(coverage.matters.covered))])
        family("dataflow_matter_coverage_ratio", "Covered matters / all matters (0 to 1).",
               [([], String(format: "%.4f", coverage.matters.total == 0 ? 0 : Double(coverage.matters.covered) / Double(coverage.matters.total)))])
        family("dataflow_function_coverage_ratio", "Covered functions / all functions (0 to 1).",
               [([], String(format: "%.4f", coverage.functions.total == 0 ? 0 : Double(coverage.functions.covered) / Double(coverage.functions.total)))])
        family("dataflow_department_matter_coverage_ratio", "Covered matters / all matters of a department (0 to 1).",
               coverage.departments.map { ([("department", $0.department)],
                                           String(format: "%.4f", $0.matters.total == 0 ? 0 : Double($0.matters.covered) / Double($0.matters.total))) })
        family("dataflow_gaps", "Matters with no fresh data (the gap list).", [([], String(coverage.gaps.count))])
        return out
    }

    /// Label values escape backslash, double quote and line feed (the format's own escapes); any
    /// other control character is written as `Redactor.escapingControls` does, its backslash escaped.
    static func escape(_ s: String) -> String {
        var out = ""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": out += "\\\\"
            case "\"": out += "\\\""
            case "\n": out += "\\n"
            default:
                if Redactor.needsEscape(scalar) {
                    out += Redactor.escapingControls(String(scalar)).replacingOccurrences(of: "\\", with: "\\\\")
                } else {
                    out.unicodeScalars.append(scalar)
                }
            }
        }
        return out
    }
}
