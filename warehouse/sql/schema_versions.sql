-- The migrations the snapshot was published with.
SELECT version FROM schema_migrations ORDER BY version;
