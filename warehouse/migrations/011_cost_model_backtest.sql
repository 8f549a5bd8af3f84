-- 011: each cost model's backtest (fitted on part of its batches, predicting the seconds of the
-- rest), the split of its per-output-token cost into a per-slot and a per-step part with the batch
-- sizes it was measured at (so a request can be charged at the batch size production serves at),
-- and the basis the projection's costs used. Rows written before 011 keep these NULL.

-- Output tokens: b seconds per output slot (batch_size x decode_steps) + d seconds per decode step;
-- seconds_per_output_token = b + d / mean_batch_size. At a serving batch size S: b + d / S.
ALTER TABLE cost_models ADD COLUMN seconds_per_output_slot DOUBLE;
ALTER TABLE cost_models ADD COLUMN seconds_per_decode_step DOUBLE;
ALTER TABLE cost_models ADD COLUMN mean_batch_size DOUBLE;
ALTER TABLE cost_models ADD COLUMN min_batch_size INTEGER;
ALTER TABLE cost_models ADD COLUMN max_batch_size INTEGER;

-- The backtest: 'source replay': 5 folds by batch_id, each fitted on the other four;
-- 'source calibrate-gpu': each measured batch size predicted from the others. Every held-out
-- batch is predicted once. NULL figures with backtest_note saying why when there are too few
-- batches (under 10) or batch sizes (under 3).
ALTER TABLE cost_models ADD COLUMN backtest_method VARCHAR;
-- (predicted - measured) / measured seconds summed over the held-out batches (signed).
ALTER TABLE cost_models ADD COLUMN backtest_total_error DOUBLE;
-- median over the held-out batches of |predicted - measured| seconds, and of that / measured.
ALTER TABLE cost_models ADD COLUMN backtest_median_abs_error DOUBLE;
ALTER TABLE cost_models ADD COLUMN backtest_median_rel_error DOUBLE;
ALTER TABLE cost_models ADD COLUMN backtest_batches INTEGER;
ALTER TABLE cost_models ADD COLUMN backtest_note VARCHAR;

-- Per role, the batch size output tokens were charged at and why (pricing.serving_batch_size,
-- else the measured batches' mean), e.g. 'small: serving batch 32 (measured 1-32); large: ...'.
ALTER TABLE routing_projection ADD COLUMN cost_basis VARCHAR;
