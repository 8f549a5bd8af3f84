-- Each model's latency in the replay, per device: a request waits for its whole batch, so its
-- latency is its batch's wall time (quantiles over requests); throughput is the batches' output
-- tokens over their seconds. Measured at the replay's batch sizes on the replay's device.
SELECT coalesce(m.name, r.model_key) AS model, r.role, r.device, count(*) AS requests,
       count(DISTINCT r.batch_id) AS batches, avg(b.batch_size) AS mean_batch_size,
       quantile_cont(b.seconds, 0.5) AS p50_seconds, quantile_cont(b.seconds, 0.95) AS p95_seconds,
       sum(r.output_tokens) / sum(r.seconds) AS output_tokens_per_second
FROM replays r
JOIN replay_batches b USING (batch_id, model_key)
LEFT JOIN (SELECT model_key, any_value(name) AS name FROM models GROUP BY model_key) m USING (model_key)
WHERE r.error IS NULL
GROUP BY ALL
ORDER BY r.role DESC, r.device;
