-- Two reviewers' agreement on the pairs both judged, as the latest pipeline run computed it, with
-- how far the review sample has got as of that run.
SELECT a.pairs, a.kappa, a.kappa_lo, a.kappa_hi, a.same_preference, a.note, a.computed_at,
       (SELECT count(*) FROM review_labels WHERE review_inclusion IS NOT NULL) AS drawn,
       (SELECT count(*) FROM review_labels WHERE review_inclusion IS NOT NULL AND reviewers > 0) AS reviewed,
       (SELECT count(*) FROM review_labels WHERE review_inclusion IS NOT NULL AND reviewers_wanted = 2) AS double_assigned
FROM review_agreement a
ORDER BY a.computed_at DESC
LIMIT 1;
