-- The price table the projection used, the measured GPU type first.
SELECT gpu_type, dollars_per_hour, as_of, source, measured
FROM gpu_prices
ORDER BY NOT measured, gpu_type;
