/// The imported provincial resource catalogue (`dataflow catalog import`): one row per resource
/// code, withdrawn ones kept with the import that withdrew them, and one row per import. Written
/// once in SQLite's types, as every migration (each dialect's `migrationSQL` translates it).
public enum CatalogueMigration {
    public static let version = 4

    public static let migration = Migration(version: version, name: "resource catalogue", sql: """
    CREATE TABLE _dataflow_catalogue (
        code TEXT PRIMARY KEY,
        name TEXT NOT NULL,
        provider TEXT NOT NULL,
        provider_code TEXT NOT NULL,
        category TEXT NOT NULL,
        summary TEXT NOT NULL,
        items TEXT NOT NULL,
        share_type TEXT NOT NULL,
        share_condition TEXT NOT NULL,
        share_method TEXT NOT NULL,
        open_attribute TEXT NOT NULL,
        update_cycle TEXT NOT NULL,
        published TEXT NOT NULL,
        matters TEXT NOT NULL,
        extra TEXT NOT NULL,
        first_import INTEGER NOT NULL,
        last_import INTEGER NOT NULL,
        withdrawn_import INTEGER
    );
    CREATE TABLE _dataflow_catalogue_imports (
        id INTEGER PRIMARY KEY,
        at TEXT NOT NULL,
        file TEXT NOT NULL,
        resources INTEGER NOT NULL,
        added INTEGER NOT NULL,
        changed INTEGER NOT NULL,
        withdrawn INTEGER NOT NULL,
        unchanged INTEGER NOT NULL
    );
    """)
}
