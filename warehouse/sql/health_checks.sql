-- The latest result of each asset check and partition as of the publish (asset_check_results),
-- failures first (blocking errors, then warnings), then by asset, check and partition.
SELECT asset, check_name, partition, passed, severity, blocking, description, run_id, evaluated_at
FROM asset_check_results
QUALIFY row_number() OVER (PARTITION BY asset, check_name, partition ORDER BY evaluated_at DESC) = 1
ORDER BY passed, severity = 'WARN', asset, check_name, partition NULLS FIRST;
