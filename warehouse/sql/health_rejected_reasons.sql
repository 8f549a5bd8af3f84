-- Rejected log rows by reason, most first: how many, on how many days (rows without a readable
-- timestamp have no day and count apart), and one example of the parser's message and place.
SELECT reason,
       count(*) AS rows,
       count(DISTINCT day) AS days,
       count(*) FILTER (WHERE day IS NULL) AS rows_without_day,
       arg_min(detail, (source_file, source_line)) AS example_detail,
       arg_min(source_file || ':' || source_line, (source_file, source_line)) AS example_source
FROM rejected_log_rows
GROUP BY reason
ORDER BY rows DESC, reason;
