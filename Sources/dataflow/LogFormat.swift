import ArgumentParser

/// How log lines are written: text for a person, JSON lines for cron and a log shipper.
enum LogFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}
