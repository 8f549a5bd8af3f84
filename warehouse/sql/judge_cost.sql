-- The judge's cost under the latest agreement rule, per judge model: the analysis's own cost
-- (counted like a replay: its batches are in replay_batches under its model_key too).
SELECT coalesce(m.name, j.judge_key) AS judge, count(*) AS calls,
       count(DISTINCT (j.day, j.request_id)) AS pairs,
       coalesce(sum(j.prompt_tokens), 0) AS prompt_tokens, coalesce(sum(j.output_tokens), 0) AS output_tokens,
       coalesce(sum(j.seconds), 0) AS device_seconds, any_value(j.device) AS device
FROM judge_calls j
LEFT JOIN models m ON m.model_key = j.judge_key
WHERE j.scoring_version = (SELECT scoring_version FROM scoring_versions ORDER BY first_scored_at DESC LIMIT 1)
GROUP BY ALL
ORDER BY device_seconds DESC;
