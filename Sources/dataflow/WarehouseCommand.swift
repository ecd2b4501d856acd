import ArgumentParser
import DataflowCore
import DataflowPostgres
import Foundation

/// `dataflow warehouse` — operations on the warehouse itself.
struct WarehouseCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "warehouse",
        abstract: "Operate on the warehouse itself (copy it to PostgreSQL).",
        discussion: """
        Examples:
          dataflow warehouse copy --to postgres://dw@db:5432/dw --schema county_330782
        """,
        subcommands: [WarehouseCopyCommand.self]
    )
}

/// `dataflow warehouse copy --to postgres://…` — move a county from SQLite to PostgreSQL.
struct WarehouseCopyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "copy",
        abstract: "Copy the project's SQLite warehouse into an empty PostgreSQL schema.",
        discussion: """
        Copies every dataset table and all of dataflow's own tables (runs, state and \
        watermarks, change feed, rejects, drift, dictionaries, export log) in one PostgreSQL \
        transaction, from one consistent snapshot of the SQLite file, holding the target's \
        sync lock. Afterwards point `warehouse:` (and `schema:`) in dataflow.yml at \
        PostgreSQL: the next sync continues from the copied watermarks. See docs/warehouse.md.

        The password comes from ${ENV} in the URL, PGPASSWORD or ~/.pgpass; it is never printed.

        Examples:
          dataflow warehouse copy --to postgres://dw@db:5432/dw --schema county_330782
          dataflow warehouse copy --to 'postgres://dw@db/dw?sslmode=require'

        Exit codes: 0 copied, 1 the copy failed (nothing was committed), 2 bad usage or \
        configuration, 3 a sync holds the target's lock.
        """
    )

    @OptionGroup var global: GlobalOptions

    @Option(help: ArgumentHelp("The PostgreSQL database to copy into.", valueName: "postgres://user@host:port/db"))
    var to: String

    @Option(help: ArgumentHelp("The schema in that database (default: the URL's ?schema= or public).", valueName: "name"))
    var schema: String?

    func run() throws {
        let project = try global.loadProject()
        guard case .sqlite(let path) = project.warehouse else {
            Console.error("warehouse copy reads an SQLite warehouse; this project's warehouse is \(project.warehouse)")
            throw ExitCode(ExitCodes.badConfig)
        }
        let environment = ProcessInfo.processInfo.environment
        let location: PostgresLocation
        do {
            location = try PostgresLocation.parse(Interpolator(environment: environment).resolve(to, at: SourcePosition(file: "--to", line: 1, column: 1)), schema: schema, what: "--to")
        } catch {
            Console.error("\(error)")
            throw ExitCode(ExitCodes.badConfig)
        }
        do {
            let counts = try WarehouseCopier(project: project).copy(from: path, to: location) { count in
                if !global.quiet { Console.info("copied \(count.rows) rows of \(count.table)\n") }
            }
            let total = counts.reduce(0) { $0 + $1.rows }
            if !global.quiet { Console.out("copied \(counts.count) tables, \(total) rows into \(location)\n") }
        } catch let held as WarehouseLock.Held {
            Console.error(held.description)
            throw ExitCode(ExitCodes.locked)
        } catch {
            Console.error("warehouse copy failed, nothing was committed: \(error)")
            throw ExitCode(ExitCodes.datasetsFailed)
        }
    }
}
