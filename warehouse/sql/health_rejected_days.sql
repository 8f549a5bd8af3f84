-- Rejected log rows per day and reason (day NULL: no readable timestamp), by day then reason.
SELECT day, reason, count(*) AS rows
FROM rejected_log_rows
GROUP BY day, reason
ORDER BY day NULLS FIRST, reason;
