-- 008: the Dagster runs and asset check results as of a publish, copied from the Dagster
-- instance by the published_snapshot asset, so the dashboard's Data health page reads them
-- from the snapshot alone. Both tables are replaced whole at every publish; the instance
-- stays the record (the UI shows everything), these are what the snapshot saw.

-- The latest runs of the instance (at most 50), newest first by created_at. The publishing run
-- itself is among them, still STARTED.
CREATE TABLE pipeline_runs (
    run_id       VARCHAR NOT NULL,   -- Dagster's run id
    job_name     VARCHAR NOT NULL,   -- e.g. planb_daily, planb_window, planb_nightly, ingest_landing
    status       VARCHAR NOT NULL,   -- Dagster's run status: QUEUED, STARTED, SUCCESS, FAILURE, CANCELED ...
    partition    VARCHAR,            -- the run's partition (tag dagster/partition), e.g. 2026-11-01; NULL for the window
    backfill_id  VARCHAR,            -- tag dagster/backfill (a UI backfill) or planb/backfill (`planb run`); NULL otherwise
    launched_by  VARCHAR,            -- schedule:NAME, sensor:NAME, backfill, or manual (the UI, `planb run` without backfill)
    created_at   TIMESTAMP NOT NULL, -- UTC, when the run was submitted
    started_at   TIMESTAMP,          -- UTC; NULL while queued
    ended_at     TIMESTAMP           -- UTC; NULL while running
);

-- The latest evaluation of each (asset check, partition) the instance holds. Checks that run
-- after the publish (those on published_snapshot) show their result from the publish before.
CREATE TABLE asset_check_results (
    asset         VARCHAR NOT NULL,   -- the checked asset's key, e.g. chat_logs (path parts joined by /)
    check_name    VARCHAR NOT NULL,   -- e.g. chat_logs_rows_and_schema
    partition     VARCHAR,            -- the checked partition (a day); NULL for window assets
    passed        BOOLEAN NOT NULL,
    severity      VARCHAR NOT NULL,   -- ERROR (a failure blocks downstream when blocking) or WARN
    blocking      BOOLEAN,            -- the check stops downstream steps when it fails; NULL if not recorded
    description   VARCHAR,            -- what the check found, in words
    run_id        VARCHAR NOT NULL,   -- the run that evaluated it
    evaluated_at  TIMESTAMP NOT NULL  -- UTC
);
