-- Every projected threshold of one router, in threshold order (the dashboard's curve), for one
-- dataset and segment (the pipeline's whole window by default).
-- $1: router, $2: dataset, $3: segment_by, $4: segment.
SELECT *
FROM routing_projection
WHERE router = $1 AND dataset = $2 AND segment_by = $3 AND segment = $4
ORDER BY threshold;
