-- The segments of an imported set's stored pairs, and how many pairs it stores: the Examples
-- page's filters. $1: dataset. segment_by 'pairs' carries the count in segment.
SELECT 'pairs' AS segment_by, CAST(count(*) AS VARCHAR) AS segment FROM imported_pairs WHERE dataset = $1
UNION ALL
SELECT DISTINCT 'surface', surface FROM imported_pairs WHERE dataset = $1 AND surface IS NOT NULL
UNION ALL
SELECT DISTINCT 'mode', mode FROM imported_pairs WHERE dataset = $1 AND mode IS NOT NULL
UNION ALL
SELECT DISTINCT 'language', language FROM imported_pairs WHERE dataset = $1 AND language IS NOT NULL
ORDER BY segment_by, segment;
