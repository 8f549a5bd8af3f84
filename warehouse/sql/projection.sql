-- Every projected threshold of one router, in threshold order (the dashboard's curve).
-- $1: router.
SELECT *
FROM routing_projection
WHERE router = $1
ORDER BY threshold;
