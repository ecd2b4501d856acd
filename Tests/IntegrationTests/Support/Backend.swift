import DataflowCore
import DataflowPostgres
import Foundation
import Testing

/// The warehouse backends the conformance suite runs against.
enum Backend: String, CaseIterable, Sendable, CustomTestStringConvertible {
    case sqlite, postgres

    var testDescription: String { rawValue }
}

/// The throwaway PostgreSQL server that `make test` (scripts/with-postgres.sh) starts.
enum TestPostgres {
    static let variable = "DATAFLOW_TEST_POSTGRES_URL"

    struct Missing: Error, CustomStringConvertible {
        var description: String {
            "\(TestPostgres.variable) is not set: PostgreSQL tests need a server. Run `make test`, or `bash scripts/with-postgres.sh swift test`."
        }
    }

    /// The server's URL; a missing one fails the test (it is never skipped).
    static func url() throws -> String {
        guard let url = ProcessInfo.processInfo.environment[variable], !url.isEmpty else { throw Missing() }
        return url
    }

    /// A fresh, unique schema name for one test project.
    static func freshSchema() -> String {
        "t_" + UUID().uuidString.replacingOccurrences(of: "-", with: "").lowercased().prefix(16)
    }

    static func location(schema: String) throws -> PostgresLocation {
        try PostgresLocation.parse(url(), schema: schema, what: variable)
    }

    static func dropSchema(_ schema: String) {
        guard let location = try? location(schema: "public"), let pg = try? PostgresConnection(location: location) else { return }
        try? pg.execute("DROP SCHEMA IF EXISTS \(Identifier.quoted(schema)) CASCADE")
    }
}
