import Foundation

/// One dataset's progress line for a terminal: a bar when the gateway reported a total, pages,
/// records and rate (and an ETA with a total). Redrawn in place with `\r`, at most ten times a
/// second; `EventLog` only uses it when stderr is a terminal.
struct ProgressBar {
    let dataset: String
    let started: Date
    var pages = 0
    var records = 0
    var total: Int?
    private var lastDraw = Date.distantPast

    init(dataset: String, started: Date = Date()) {
        self.dataset = dataset
        self.started = started
    }

    /// Adds a committed page; returns the line to draw, or nil when the last draw was < 100 ms ago.
    mutating func page(records n: Int, total: Int?, now: Date = Date()) -> String? {
        pages += 1
        records += n
        // The first page's total is the pass's; a cursor walk's later totals count only what remains.
        if self.total == nil, let total { self.total = total }
        guard now.timeIntervalSince(lastDraw) >= 0.1 else { return nil }
        lastDraw = now
        return line(now: now)
    }

    func line(now: Date = Date(), width: Int = 24) -> String {
        let elapsed = max(0.001, now.timeIntervalSince(started))
        let rate = Double(records) / elapsed
        var out = dataset + " "
        if let total, total > 0 {
            let fraction = min(1, Double(records) / Double(total))
            let filled = Int((fraction * Double(width)).rounded(.down))
            out += "[" + String(repeating: "#", count: filled) + String(repeating: "-", count: width - filled) + "] "
            out += String(format: "%3d%% ", Int(fraction * 100))
            out += "\(records)/\(total) records, \(pages) pages, \(Int(rate)) records/s"
            if rate > 0, records < total { out += ", ETA \(Int((Double(total - records) / rate).rounded(.up)))s" }
        } else {
            out += "\(records) records, \(pages) pages, \(Int(rate)) records/s"
        }
        return out
    }
}
