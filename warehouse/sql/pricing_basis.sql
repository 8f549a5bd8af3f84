-- How a dataset's dollars were made: the device its costs were measured on, the price per
-- GPU-hour and utilisation used, whether the large model was priced per token, and the
-- dollars per million tokens of each model priced per token (token_prices, NULL: none is).
-- $1: dataset.
SELECT any_value(device) AS device,
       any_value(dollars_per_gpu_hour) AS dollars_per_gpu_hour,
       any_value(utilisation) AS utilisation,
       bool_or(coalesce(large_hosted, false)) AS large_hosted,
       any_value(price_note) AS price_note,
       any_value(token_prices) AS token_prices
FROM routing_projection
WHERE dataset = $1 AND segment_by = 'all';
