-- An imported set's stored pairs (imported_pairs) for the Examples page, with the chosen router's
-- score. Every filter is a bound parameter; NULL means "any".
-- $1: dataset, $2: router, $3: label (the small answer at least as good; true / false / NULL),
-- $4: surface, $5: mode, $6: language, $7: most pairs returned.
-- The clearest losses first: the largest quality gap (large minus small) leads, unscored last.
SELECT p.request_id, p.prompt, p.small_output, p.large_output, p.quality_small, p.quality_large, p.label,
       p.surface, p.mode, p.language, s.score
FROM imported_pairs p
LEFT JOIN imported_router_scores s ON s.dataset = p.dataset AND s.request_id = p.request_id AND s.router = $2
WHERE p.dataset = $1
  AND ($3 IS NULL OR p.label = $3)
  AND ($4 IS NULL OR p.surface = $4)
  AND ($5 IS NULL OR p.mode = $5)
  AND ($6 IS NULL OR p.language = $6)
ORDER BY p.quality_large - p.quality_small DESC NULLS LAST, p.request_id
LIMIT $7;
