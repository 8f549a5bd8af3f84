-- 012: bad input contained at the smallest unit (a record, a line, or a file).

-- Files that could not be read as a whole: a truncated or corrupt .gz, zstd named .gz, a fake
-- .parquet, a headerless CSV, a symlink loop, an unreachable object-storage URL. The other files
-- of the same ingest call land; a quarantined file is not registered in ingested_files, so once
-- fixed (new bytes, new sha256) it is ingested. One row per file version and reason.
CREATE TABLE quarantined_files (
    path            VARCHAR NOT NULL,    -- as listed: a local path or an object-storage URL
    size            BIGINT,              -- bytes as stored; NULL when it could not be listed
    sha256          VARCHAR,             -- of the bytes as stored; NULL when they could not be read
    format          VARCHAR,             -- the format it was read as, when known
    reason          VARCHAR NOT NULL,    -- unreadable, corrupt_compression, not_parquet, not_csv, bad_file
    detail          VARCHAR NOT NULL,    -- one line: what failed, as the reader said it
    quarantined_at  TIMESTAMP NOT NULL   -- UTC, the first time this version was quarantined
);

-- The version of the file a rejected record came from (with source_file), as in chat_logs: a
-- file whose ingestion fails half-way takes its rejected records back out with its rows, and a
-- file read again under another format replaces them. NULL for rows written before 012.
ALTER TABLE rejected_log_rows ADD COLUMN source_sha256 VARCHAR;
