-- 018: quality kept among the requests routed small from the automatic labels (predictions) and
-- the human reviews (issue 23; scoring/quality/ppi.py), per threshold of routing_projection.

-- What kept_small rests on: 'predictions' (the rule's / judge's labels or p_parity alone, as
-- before reviews: no review routed small here), 'predictions and reviews' (PPI++: the predictions
-- corrected by the reviews) or 'reviews' (no predictor: the reviews alone). kept_p_value is then
-- the betting test's (scoring/quality/betting.py) on the prediction-powered values.
ALTER TABLE routing_projection ADD COLUMN kept_source VARCHAR;
-- 95% interval of kept_small where it rests on reviews (NULL under 10 reviews routed small, and
-- where it rests on predictions alone: their errors are unknown).
ALTER TABLE routing_projection ADD COLUMN kept_small_lo DOUBLE;
ALTER TABLE routing_projection ADD COLUMN kept_small_hi DOUBLE;
-- Reviewed pairs routed small that the estimate used, and PPI++'s power-tuning lambda (0: the
-- reviews alone; 1: plain PPI).
ALTER TABLE routing_projection ADD COLUMN kept_reviews INTEGER;
ALTER TABLE routing_projection ADD COLUMN kept_lambda DOUBLE;
-- On the best candidate's row only (the most saving threshold not certified whose estimate is
-- above the target and beats every certified one): how many more reviews, drawn as these were,
-- would certify it if they looked like those so far. NULL elsewhere, and where no number of
-- reviews would (estimate at or below the target) or more than 100,000 would.
ALTER TABLE routing_projection ADD COLUMN reviews_to_certify INTEGER;
