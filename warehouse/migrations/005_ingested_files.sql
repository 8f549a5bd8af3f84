-- 005: log ingestion in several formats, each landing file once.

-- Conversation formats keep the turns before each user turn (and OpenAI logs the messages before
-- the last user message): a JSON list of {role, content}, PII-redacted, at most
-- ingest.context_turns long. NULL for flat records.
ALTER TABLE chat_logs ADD COLUMN context VARCHAR;
-- sha256 of the landing file the row came from (with source_file and source_line: which version
-- of that file); NULL for rows written before 005.
ALTER TABLE chat_logs ADD COLUMN source_sha256 VARCHAR;

-- One row per landing file ingested. A file whose sha256 is here is never ingested again, under
-- any path; re-ingesting a day reads again the files whose `days` hold it.
CREATE TABLE ingested_files (
    path         VARCHAR NOT NULL,     -- as given: a local path or an object-storage URL
    size         BIGINT NOT NULL,      -- bytes as stored (compressed size for .gz / .zst)
    sha256       VARCHAR NOT NULL,     -- of the bytes as stored
    format       VARCHAR NOT NULL,     -- flat, openai, conversation, csv, parquet
    ingested_at  TIMESTAMP NOT NULL,  -- UTC
    records      BIGINT NOT NULL,      -- records read (a conversation counts one per user turn)
    accepted     BIGINT NOT NULL,      -- rows added to chat_logs
    rejected     BIGINT NOT NULL,      -- rows added to rejected_log_rows
    duplicates   BIGINT NOT NULL,      -- records dropped as duplicates (request id, or session + ts + query)
    redacted     VARCHAR NOT NULL,     -- JSON counts of redacted PII by kind: email, card, ip, phone
    days         DATE[] NOT NULL       -- UTC days of its records, accepted or rejected
);
