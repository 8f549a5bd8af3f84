"""The only code that speaks DuckDB: migrations, the writer, read-only readers, the snapshot,
log ingestion and the SQL the dashboard runs."""
