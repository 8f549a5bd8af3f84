-- The pairs drawn for side-by-side review, in queue order (open pairs first), each with its
-- request and context and both answers; which answer is shown left is the draw's small_side.
SELECT r.queue_rank, r.day, r.request_id, r.kind, r.small_side, r.reviewers_wanted, r.inclusion_prob,
       l.query, l.context, small.output AS small_answer, large.output AS large_answer
FROM review_sample r
JOIN chat_logs l USING (day, request_id)
LEFT JOIN replays small ON small.request_id = r.request_id AND small.model_key = r.small_key
LEFT JOIN replays large ON large.request_id = r.request_id AND large.model_key = r.large_key
ORDER BY r.queue_rank;
