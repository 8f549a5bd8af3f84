-- The cost models: device-seconds per request, prompt token and output token of each model on
-- each device it was measured on, with the fit's quality, its backtest on batches it did not see
-- (NULL figures with backtest_note when there were too few), and where it comes from.
SELECT coalesce(m.name, c.model_key) AS model, c.role, c.device, c.source,
       c.seconds_per_request, c.seconds_per_prompt_token, c.seconds_per_output_token,
       c.r2, c.n_batches, c.min_batch_size, c.max_batch_size, c.mean_batch_size,
       c.seconds_per_output_slot, c.seconds_per_decode_step,
       c.backtest_method, c.backtest_total_error, c.backtest_median_abs_error, c.backtest_median_rel_error,
       c.backtest_batches, c.backtest_note, c.fitted_at, c.model_key
FROM cost_models c
LEFT JOIN (SELECT model_key, any_value(name) AS name FROM models GROUP BY model_key) m USING (model_key)
ORDER BY c.role DESC, c.device, c.source;
