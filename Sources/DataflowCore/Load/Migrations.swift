/// One named, ordered schema change of the warehouse's own tables. Never edit a shipped one:
/// add a new one.
public struct Migration: Sendable {
    public var version: Int
    public var name: String
    public var sql: String
    /// A change the canonical SQL cannot say, run after `sql` in the same transaction through the
    /// dialect (each backend its own way).
    public var step: (@Sendable (any WarehouseDialect) throws -> Void)?

    public init(version: Int, name: String, sql: String, step: (@Sendable (any WarehouseDialect) throws -> Void)? = nil) {
        self.version = version
        self.name = name
        self.sql = sql
        self.step = step
    }
}

/// The warehouse metadata schema, as versioned migrations (docs/warehouse.md), written once for
/// every backend: the text uses SQLite's types (`INTEGER`, `TEXT`, `REAL`, `INTEGER PRIMARY KEY
/// AUTOINCREMENT`) and each `WarehouseDialect.migrationSQL` turns it into its own.
public enum WarehouseMigrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "metadata tables", sql: """
        CREATE TABLE _dataflow_meta (name TEXT PRIMARY KEY, value TEXT);
        CREATE TABLE _dataflow_state (
            dataset TEXT PRIMARY KEY,
            watermark INTEGER,
            watermark_text TEXT,
            pass_max INTEGER,
            rows INTEGER NOT NULL DEFAULT 0,
            deleted_rows INTEGER NOT NULL DEFAULT 0,
            updated_at TEXT
        );
        CREATE TABLE _dataflow_runs (
            run_id INTEGER PRIMARY KEY AUTOINCREMENT,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            status TEXT NOT NULL,
            exit_code INTEGER,
            datasets TEXT,
            pid INTEGER,
            host TEXT,
            options TEXT
        );
        CREATE TABLE _dataflow_run_datasets (
            run_id INTEGER NOT NULL,
            dataset TEXT NOT NULL,
            status TEXT NOT NULL,
            started_at TEXT NOT NULL,
            finished_at TEXT,
            fetched INTEGER NOT NULL DEFAULT 0,
            inserted INTEGER NOT NULL DEFAULT 0,
            updated INTEGER NOT NULL DEFAULT 0,
            unchanged INTEGER NOT NULL DEFAULT 0,
            deleted INTEGER NOT NULL DEFAULT 0,
            rejected INTEGER NOT NULL DEFAULT 0,
            pages INTEGER NOT NULL DEFAULT 0,
            requests INTEGER NOT NULL DEFAULT 0,
            seconds REAL,
            error TEXT,
            PRIMARY KEY (run_id, dataset)
        );
        CREATE INDEX _dataflow_run_datasets_by_dataset ON _dataflow_run_datasets (dataset, run_id);
        CREATE TABLE _dataflow_changes (
            seq INTEGER PRIMARY KEY AUTOINCREMENT,
            run_id INTEGER NOT NULL,
            dataset TEXT NOT NULL,
            key TEXT NOT NULL,
            op TEXT NOT NULL CHECK (op IN ('I','U','D')),
            hash TEXT NOT NULL,
            at TEXT NOT NULL
        );
        CREATE INDEX _dataflow_changes_by_dataset ON _dataflow_changes (dataset, seq);
        CREATE TABLE _dataflow_rejects (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            dataset TEXT NOT NULL,
            key TEXT,
            record TEXT NOT NULL,
            record_hash TEXT NOT NULL,
            reasons TEXT NOT NULL,
            first_run_id INTEGER NOT NULL,
            last_run_id INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            resolved_at TEXT,
            resolved_run_id INTEGER,
            UNIQUE (dataset, record_hash)
        );
        CREATE INDEX _dataflow_rejects_open ON _dataflow_rejects (dataset, resolved_at, key);
        CREATE TABLE _dataflow_schema (
            dataset TEXT NOT NULL,
            field TEXT NOT NULL,
            mapped INTEGER NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (dataset, field)
        );
        CREATE TABLE _dataflow_dataset_matters (
            dataset TEXT NOT NULL,
            matter TEXT NOT NULL,
            rows INTEGER NOT NULL DEFAULT 0,
            PRIMARY KEY (dataset, matter)
        );
        CREATE TABLE _dataflow_unresolved_matters (
            dataset TEXT NOT NULL,
            code TEXT NOT NULL,
            first_seen TEXT NOT NULL,
            last_seen TEXT NOT NULL,
            PRIMARY KEY (dataset, code)
        );
        CREATE TABLE _dataflow_matters (code TEXT PRIMARY KEY, name TEXT NOT NULL, type TEXT NOT NULL, department TEXT NOT NULL, version TEXT NOT NULL);
        CREATE TABLE _dataflow_functions (code TEXT PRIMARY KEY, department TEXT NOT NULL, name TEXT NOT NULL, version TEXT NOT NULL);
        CREATE TABLE _dataflow_matter_functions (matter TEXT NOT NULL, function TEXT NOT NULL, PRIMARY KEY (matter, function));
        CREATE TABLE _dataflow_matter_aliases (alias TEXT PRIMARY KEY, matter TEXT NOT NULL);
        """),
        Migration(version: 2, name: "export log", sql: """
        CREATE TABLE _dataflow_exports (
            id INTEGER PRIMARY KEY AUTOINCREMENT,
            at TEXT NOT NULL,
            "user" TEXT,
            dataset TEXT NOT NULL,
            rows INTEGER NOT NULL,
            columns TEXT NOT NULL,
            masked INTEGER NOT NULL,
            target TEXT
        );
        """),
        Migration(version: 3, name: "export log: every clear view, with command, filter and format", sql: """
        ALTER TABLE _dataflow_exports ADD COLUMN command TEXT NOT NULL DEFAULT 'export';
        ALTER TABLE _dataflow_exports ADD COLUMN filter TEXT;
        ALTER TABLE _dataflow_exports ADD COLUMN format TEXT;
        ALTER TABLE _dataflow_exports ADD COLUMN changes_since INTEGER;
        """),
    ] + [CatalogueMigration.migration, changeFeedCheck]

    /// SQLite tests `op IN ('I','U','D')` through a temporary index for every change-feed row: a
    /// fifth of the feed's insert time in a side test, half of its instructions in callgrind
    /// (docs/performance.md, item 18). The same rule written as comparisons costs nothing extra.
    /// The rows already satisfy it, so the constraint is rewritten in place.
    static let changeFeedCheck = Migration(version: 5, name: "change feed: the op check in the form each backend tests fastest", sql: "") { dialect in
        try dialect.replaceCheck(table: "_dataflow_changes", old: "CHECK (op IN ('I','U','D'))", new: "CHECK (op = 'I' OR op = 'U' OR op = 'D')")
    }
}
