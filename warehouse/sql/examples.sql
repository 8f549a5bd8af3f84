-- Scored pairs with both answers side by side, filtered and ordered for the Examples page.
-- Every filter is a bound parameter; NULL means "any".
-- $1: scoring_version, $2: agree (true / false / NULL), $3: surface, $4: mode, $5: language,
-- $6: metric to filter and order by (token_f1, rouge_l, content_containment, cosine, judge),
-- $7, $8: its lowest and highest value kept, $9: most pairs returned, $10: the router whose score
-- is shown (NULL: none).
WITH scored AS (
    SELECT a.*,
           CASE $6 WHEN 'token_f1' THEN a.token_f1 WHEN 'rouge_l' THEN a.rouge_l
                   WHEN 'content_containment' THEN a.content_containment WHEN 'cosine' THEN a.cosine
                   WHEN 'judge' THEN a.judge END AS metric
    FROM agreement a
    WHERE a.scoring_version = $1
)
SELECT s.day, s.request_id, l.surface, l.mode, l.language, l.query,
       small.output AS small_answer, large.output AS large_answer,
       s.kind, s.agree, s.decided_by, s.exact, s.token_f1, s.rouge_l, s.content_containment, s.cosine, s.judge,
       r.score
FROM scored s
JOIN chat_logs l USING (day, request_id)
LEFT JOIN replays small ON small.day = s.day AND small.request_id = s.request_id AND small.model_key = s.small_key
LEFT JOIN replays large ON large.day = s.day AND large.request_id = s.request_id AND large.model_key = s.large_key
LEFT JOIN router_scores r ON r.day = s.day AND r.request_id = s.request_id AND r.router = $10
WHERE ($2 IS NULL OR s.agree = $2)
  AND ($3 IS NULL OR l.surface = $3)
  AND ($4 IS NULL OR l.mode = $4)
  AND ($5 IS NULL OR l.language = $5)
  AND s.metric BETWEEN $7 AND $8
ORDER BY s.metric, s.day, s.request_id
LIMIT $9;
