-- The agreement rules the snapshot has scores under, the latest first, with the pairs each scored:
-- labelled (agree true or false) and unscored (agree NULL: open-ended answers with no judge
-- configured, left out of agreement).
SELECT v.scoring_version, v.rule, v.first_scored_at, count(a.request_id) AS pairs,
       count(a.agree) AS labelled, count(a.request_id) - count(a.agree) AS unscored
FROM scoring_versions v
LEFT JOIN agreement a USING (scoring_version)
GROUP BY ALL
ORDER BY v.first_scored_at DESC;
