-- Each segment of one kind (day, surface, mode, language, query_length) at the projected
-- threshold nearest the one asked for (ties to the lower), in the order of their meaning: query
-- length buckets by their first number (1-4, 5-8, 9-16, 17+), the others by name (days by date).
-- $1: router, $2: threshold, $3: dataset, $4: segment_by.
SELECT * EXCLUDE (nearest)
FROM (
    SELECT *, row_number() OVER (PARTITION BY segment ORDER BY abs(threshold - $2), threshold) AS nearest
    FROM routing_projection
    WHERE router = $1 AND dataset = $3 AND segment_by = $4
)
WHERE nearest = 1
ORDER BY try_cast(regexp_extract(segment, '^(\d+)', 1) AS INTEGER) NULLS LAST, segment;
