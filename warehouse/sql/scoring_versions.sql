-- The agreement rules the snapshot has scores under, the latest first, with the pairs each scored.
SELECT v.scoring_version, v.rule, v.first_scored_at, count(a.request_id) AS pairs
FROM scoring_versions v
LEFT JOIN agreement a USING (scoring_version)
GROUP BY ALL
ORDER BY v.first_scored_at DESC;
