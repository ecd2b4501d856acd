import Testing
@testable import DataflowCore

@Suite("Warehouse and exchange locations: postgres:// URLs, schema, keyset SQL")
struct DatabaseLocationTests {
    @Test func aPostgresURLParsesWithPasswordFromTheEnvironmentAndNeverPrintsIt() throws {
        let config = TestProject.defaultConfig.replacingOccurrences(
            of: "warehouse: sqlite:warehouse/county.db",
            with: "warehouse: postgres://dataflow:${PG_PW}@db.county.local:6432/dw?sslmode=require\nschema: county_330782")
        let p = try TestProject(config: config)
        let project = try p.load(environment: ["PG_PW": "p@ss/word"])
        guard case .postgres(let location) = project.warehouse else { Issue.record("expected postgres, got \(project.warehouse)"); return }
        #expect(location.host == "db.county.local")
        #expect(location.port == 6432)
        #expect(location.database == "dw")
        #expect(location.user == "dataflow")
        #expect(location.sslMode == "require")
        #expect(location.schema == "county_330782")
        #expect(location.password?.revealed == "p@ss/word", "an environment password may hold @ and / unencoded")
        #expect(!project.warehouse.description.contains("p@ss"))
        #expect(project.warehouse.description.contains("postgres://dataflow:***@db.county.local:6432/dw?sslmode=require schema county_330782"))
    }

    @Test func aPercentEncodedPasswordIsDecodedAndTheDefaultsApply() throws {
        let location = try PostgresLocation.parse("postgresql://u:a%40b@127.0.0.1/db", schema: nil, what: "warehouse")
        #expect(location.password?.revealed == "a@b")
        #expect(location.port == 5432)
        #expect(location.schema == "public")
        #expect(location.sslMode == nil)
        let bare = try PostgresLocation.parse("postgres://127.0.0.1/db?schema=county_a", schema: nil, what: "warehouse")
        #expect(bare.user == nil && bare.password == nil, "PGPASSWORD / ~/.pgpass then apply (libpq)")
        #expect(bare.schema == "county_a")
        #expect(try PostgresLocation.parse("postgres://127.0.0.1/db?schema=county_a", schema: "county_b", what: "w").schema == "county_b",
                "schema: in dataflow.yml wins over the URL's")
    }

    @Test(arguments: [
        ("postgres://u:secret@127.0.0.1:5432/", "names no database"),
        ("postgres://u:secret@127.0.0.1/db?sslmode=sometimes", "sslmode 'sometimes' is not one of"),
        ("postgres://u:secret@127.0.0.1/db?pool=5", "unknown URL parameter 'pool'"),
        ("postgres://u:secret@127.0.0.1/db?schema=Bad-Name", "schema 'Bad-Name' must be"),
    ])
    func badURLsAreConfigErrorsAtTheKeyWithoutThePassword(_ url: String, _ message: String) throws {
        let config = TestProject.defaultConfig.replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db", with: "warehouse: \(url)")
        let p = try TestProject(config: config)
        let error = try #require(throws: ConfigError.self) { try p.load() }
        #expect(error.description.hasPrefix("dataflow.yml:3:"), "\(error)")
        #expect(error.description.contains(message), "\(error)")
        #expect(!error.description.contains("secret"), "\(error)")
    }

    @Test func schemaIsOnlyForPostgresAndOtherSchemesAreNamed() throws {
        let withSchema = TestProject.defaultConfig.replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db",
                                                                        with: "warehouse: sqlite:warehouse/county.db\nschema: county_a")
        let e1 = try #require(throws: ConfigError.self) { try TestProject(config: withSchema).load() }
        #expect(e1.description.contains("'schema' applies only to a postgres:// warehouse"), "\(e1)")
        let mysql = TestProject.defaultConfig.replacingOccurrences(of: "warehouse: sqlite:warehouse/county.db", with: "warehouse: mysql://u:pw@h/db")
        let e2 = try #require(throws: ConfigError.self) { try TestProject(config: mysql).load() }
        #expect(e2.description.contains("sqlite:PATH or postgres://"), "\(e2)")
        #expect(e2.description.contains("mysql://u:***@h/db"), "the password is redacted even in an unknown scheme: \(e2)")
    }

    @Test func exchangePagesAreKeysetQueriesNeverOffset() {
        let exchange = ExchangeQueryConfig(origin: .table("qzk.T_TAX_REG"), watermark: "UPDATE_TIME", key: ["REG_ID", "SEQ"], pageSize: 500)
        let first = ExchangeWalker.pageSQL(exchange, after: false, from: false)
        #expect(first == #"SELECT * FROM "qzk"."T_TAX_REG" src ORDER BY src."UPDATE_TIME", src."REG_ID", src."SEQ" LIMIT 500"#)
        let resume = ExchangeWalker.pageSQL(exchange, after: false, from: true)
        #expect(resume.contains(#"WHERE src."UPDATE_TIME" >= ?"#))
        let next = ExchangeWalker.pageSQL(exchange, after: true, from: true)
        #expect(next.contains(#"WHERE (src."UPDATE_TIME", src."REG_ID", src."SEQ") > (?, ?, ?)"#))
        for sql in [first, resume, next] { #expect(!sql.uppercased().contains("OFFSET")) }
        let query = ExchangeQueryConfig(origin: .query("SELECT a.*, b.X FROM A a JOIN B b ON b.ID = a.ID"), watermark: "TS", key: ["ID"], pageSize: 10)
        #expect(ExchangeWalker.pageSQL(query, after: true, from: false)
                == #"SELECT * FROM (SELECT a.*, b.X FROM A a JOIN B b ON b.ID = a.ID) src WHERE (src."TS", src."ID") > (?, ?) ORDER BY src."TS", src."ID" LIMIT 10"#)
    }

    @Test func watermarkValuesBindWithTheirType() {
        #expect(ExchangeWalker.bindable("1700000000") == .integer(1_700_000_000))
        #expect(ExchangeWalker.bindable("007") == .text("007"), "leading zeros stay text")
        #expect(ExchangeWalker.bindable("2024-03-01 08:00:00") == .text("2024-03-01 08:00:00"))
    }
}
