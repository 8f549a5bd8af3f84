-- The migrations this code has that the snapshot was published without (an older Plan B
-- published it, and the dashboard's queries may need their tables). $1: every migration's number.
SELECT version::BIGINT AS version
FROM unnest($1::INTEGER[]) AS known(version)
WHERE version NOT IN (SELECT version FROM schema_migrations)
ORDER BY version;
