-- Data health, one row per day from the first to the last day the warehouse holds (days with
-- nothing show as zeros, so a missing partition is visible): what each stage holds for it.
-- Replays and agreement count distinct requests, whatever model configuration or scoring
-- version produced them.
WITH bounds AS (
    SELECT min(day) AS first_day, max(day) AS last_day
    FROM (
        SELECT day FROM chat_logs
        UNION ALL SELECT day FROM rejected_log_rows WHERE day IS NOT NULL
        UNION ALL SELECT day FROM replay_sample
    )
),
days AS (
    SELECT CAST(d AS DATE) AS day
    FROM bounds, generate_series(first_day, last_day, INTERVAL 1 DAY) AS series(d)
    WHERE first_day IS NOT NULL
),
logged AS (SELECT day, count(*) AS n FROM chat_logs GROUP BY day),
rejected AS (SELECT day, count(*) AS n FROM rejected_log_rows WHERE day IS NOT NULL GROUP BY day),
sampled AS (SELECT day, count(*) AS n FROM replay_sample GROUP BY day),
replayed AS (
    SELECT day,
           count(DISTINCT request_id) FILTER (WHERE role = 'small' AND error IS NULL) AS small,
           count(DISTINCT request_id) FILTER (WHERE role = 'large' AND error IS NULL) AS large,
           count(*) FILTER (WHERE error IS NOT NULL) AS errors
    FROM replays
    GROUP BY day
),
scored AS (SELECT day, count(DISTINCT request_id) AS n FROM agreement GROUP BY day)
SELECT days.day,
       coalesce(logged.n, 0) AS logged_rows,
       coalesce(rejected.n, 0) AS rejected_rows,
       coalesce(sampled.n, 0) AS sampled,
       coalesce(replayed.small, 0) AS replayed_small,
       coalesce(replayed.large, 0) AS replayed_large,
       coalesce(replayed.errors, 0) AS replay_errors,
       coalesce(scored.n, 0) AS scored
FROM days
LEFT JOIN logged USING (day)
LEFT JOIN rejected USING (day)
LEFT JOIN sampled USING (day)
LEFT JOIN replayed USING (day)
LEFT JOIN scored USING (day)
ORDER BY days.day;
