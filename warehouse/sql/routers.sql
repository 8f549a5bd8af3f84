-- Routers that have a projection in the snapshot, for the dashboard's router picker.
SELECT DISTINCT router
FROM routing_projection
ORDER BY router;
