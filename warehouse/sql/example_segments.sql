-- The surfaces, modes and languages of the scored pairs, for the Examples page's filters.
SELECT DISTINCT 'surface' AS segment_by, l.surface AS segment FROM agreement a JOIN chat_logs l USING (day, request_id) WHERE l.surface IS NOT NULL
UNION SELECT DISTINCT 'mode', l.mode FROM agreement a JOIN chat_logs l USING (day, request_id) WHERE l.mode IS NOT NULL
UNION SELECT DISTINCT 'language', l.language FROM agreement a JOIN chat_logs l USING (day, request_id) WHERE l.language IS NOT NULL
ORDER BY segment_by, segment;
