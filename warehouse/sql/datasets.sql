-- The datasets with a projection: the pipeline's own first, then imported replay sets by name.
SELECT DISTINCT dataset
FROM routing_projection
ORDER BY dataset <> 'pipeline', dataset;
