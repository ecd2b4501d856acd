import DataflowCore

/// The warehouse metadata schema for PostgreSQL: the same tables, columns and versions as
/// `WarehouseMigrations` (SQLite), in PostgreSQL's types. Never edit a shipped one: add a new one
/// with the same version number on both backends.
public enum PostgresMigrations {
    public static let all: [Migration] = [
        Migration(version: 1, name: "metadata tables", sql: """
        CREATE TABLE _dataflow_meta (name text PRIMARY KEY, value text);
        CREATE TABLE _dataflow_state (
            dataset text PRIMARY KEY,
            watermark bigint,
            watermark_text text,
            pass_max bigint,
            rows bigint NOT NULL DEFAULT 0,
            deleted_rows bigint NOT NULL DEFAULT 0,
            updated_at text
        );
        CREATE TABLE _dataflow_runs (
            run_id bigserial PRIMARY KEY,
            started_at text NOT NULL,
            finished_at text,
            status text NOT NULL,
            exit_code bigint,
            datasets text,
            pid bigint,
            host text,
            options text
        );
        CREATE TABLE _dataflow_run_datasets (
            run_id bigint NOT NULL,
            dataset text NOT NULL,
            status text NOT NULL,
            started_at text NOT NULL,
            finished_at text,
            fetched bigint NOT NULL DEFAULT 0,
            inserted bigint NOT NULL DEFAULT 0,
            updated bigint NOT NULL DEFAULT 0,
            unchanged bigint NOT NULL DEFAULT 0,
            deleted bigint NOT NULL DEFAULT 0,
            rejected bigint NOT NULL DEFAULT 0,
            pages bigint NOT NULL DEFAULT 0,
            requests bigint NOT NULL DEFAULT 0,
            seconds double precision,
            error text,
            PRIMARY KEY (run_id, dataset)
        );
        CREATE INDEX _dataflow_run_datasets_by_dataset ON _dataflow_run_datasets (dataset, run_id);
        CREATE TABLE _dataflow_changes (
            seq bigserial PRIMARY KEY,
            run_id bigint NOT NULL,
            dataset text NOT NULL,
            key text NOT NULL,
            op text NOT NULL CHECK (op IN ('I','U','D')),
            hash text NOT NULL,
            at text NOT NULL
        );
        CREATE INDEX _dataflow_changes_by_dataset ON _dataflow_changes (dataset, seq);
        CREATE TABLE _dataflow_rejects (
            id bigserial PRIMARY KEY,
            dataset text NOT NULL,
            key text,
            record text NOT NULL,
            record_hash text NOT NULL,
            reasons text NOT NULL,
            first_run_id bigint NOT NULL,
            last_run_id bigint NOT NULL,
            first_seen text NOT NULL,
            last_seen text NOT NULL,
            resolved_at text,
            resolved_run_id bigint,
            UNIQUE (dataset, record_hash)
        );
        CREATE INDEX _dataflow_rejects_open ON _dataflow_rejects (dataset, resolved_at, key);
        CREATE TABLE _dataflow_schema (
            dataset text NOT NULL,
            field text NOT NULL,
            mapped bigint NOT NULL,
            first_seen text NOT NULL,
            last_seen text NOT NULL,
            PRIMARY KEY (dataset, field)
        );
        CREATE TABLE _dataflow_dataset_matters (
            dataset text NOT NULL,
            matter text NOT NULL,
            rows bigint NOT NULL DEFAULT 0,
            PRIMARY KEY (dataset, matter)
        );
        CREATE TABLE _dataflow_unresolved_matters (
            dataset text NOT NULL,
            code text NOT NULL,
            first_seen text NOT NULL,
            last_seen text NOT NULL,
            PRIMARY KEY (dataset, code)
        );
        CREATE TABLE _dataflow_matters (code text PRIMARY KEY, name text NOT NULL, type text NOT NULL, department text NOT NULL, version text NOT NULL);
        CREATE TABLE _dataflow_functions (code text PRIMARY KEY, department text NOT NULL, name text NOT NULL, version text NOT NULL);
        CREATE TABLE _dataflow_matter_functions (matter text NOT NULL, function text NOT NULL, PRIMARY KEY (matter, function));
        CREATE TABLE _dataflow_matter_aliases (alias text PRIMARY KEY, matter text NOT NULL);
        """),
        Migration(version: 2, name: "export log", sql: """
        CREATE TABLE _dataflow_exports (
            id bigserial PRIMARY KEY,
            at text NOT NULL,
            "user" text,
            dataset text NOT NULL,
            rows bigint NOT NULL,
            columns text NOT NULL,
            masked bigint NOT NULL,
            target text
        );
        """),
        Migration(version: 3, name: "export log: every clear view, with command, filter and format", sql: """
        ALTER TABLE _dataflow_exports ADD COLUMN command text NOT NULL DEFAULT 'export';
        ALTER TABLE _dataflow_exports ADD COLUMN filter text;
        ALTER TABLE _dataflow_exports ADD COLUMN format text;
        ALTER TABLE _dataflow_exports ADD COLUMN changes_since bigint;
        """),
    ] + [PostgresCatalogueMigration.migration]
}
