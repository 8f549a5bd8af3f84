-- The latest publish: when the snapshot was made and how much log it covers.
SELECT published_at, days, chat_log_rows
FROM snapshot_log
ORDER BY published_at DESC
LIMIT 1;
