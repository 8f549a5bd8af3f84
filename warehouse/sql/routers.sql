-- Routers that have a projection of a dataset in the snapshot, for the dashboard's router picker.
-- $1: dataset.
SELECT DISTINCT router
FROM routing_projection
WHERE dataset = $1
ORDER BY router;
