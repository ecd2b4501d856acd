import DataflowCore

/// `CatalogueMigration` in PostgreSQL's types (same tables, same version).
public enum PostgresCatalogueMigration {
    public static let migration = Migration(version: CatalogueMigration.version, name: "resource catalogue", sql: """
    CREATE TABLE _dataflow_catalogue (
        code text PRIMARY KEY,
        name text NOT NULL,
        provider text NOT NULL,
        provider_code text NOT NULL,
        category text NOT NULL,
        summary text NOT NULL,
        items text NOT NULL,
        share_type text NOT NULL,
        share_condition text NOT NULL,
        share_method text NOT NULL,
        open_attribute text NOT NULL,
        update_cycle text NOT NULL,
        published text NOT NULL,
        matters text NOT NULL,
        extra text NOT NULL,
        first_import bigint NOT NULL,
        last_import bigint NOT NULL,
        withdrawn_import bigint
    );
    CREATE TABLE _dataflow_catalogue_imports (
        id bigint PRIMARY KEY,
        at text NOT NULL,
        file text NOT NULL,
        resources bigint NOT NULL,
        added bigint NOT NULL,
        changed bigint NOT NULL,
        withdrawn bigint NOT NULL,
        unchanged bigint NOT NULL
    );
    """)
}
