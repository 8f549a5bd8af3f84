-- The latest Dagster runs as of the publish (pipeline_runs), newest first, with their duration.
-- The publishing run itself shows as STARTED. $1: how many.
SELECT run_id, job_name, status, partition, backfill_id, launched_by,
       created_at, started_at, ended_at,
       epoch(ended_at) - epoch(started_at) AS duration_s
FROM pipeline_runs
ORDER BY created_at DESC, run_id
LIMIT $1;
