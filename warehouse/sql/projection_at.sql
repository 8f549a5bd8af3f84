-- The projected threshold of one router nearest the one asked for (the slider moves in
-- steps of 0.01, the projection may be coarser). Ties go to the lower threshold.
-- $1: router, $2: threshold, $3: dataset, $4: segment_by, $5: segment.
SELECT *
FROM routing_projection
WHERE router = $1 AND dataset = $3 AND segment_by = $4 AND segment = $5
ORDER BY abs(threshold - $2), threshold
LIMIT 1;
