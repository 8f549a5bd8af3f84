-- 021: beside quality kept estimated with reviews (kept_small, migration 018), what the automatic
-- labels alone say (issue 23: the estimate with and without reviews, each labelled). NULL where no
-- review is in the estimate (kept_small is then that figure).
ALTER TABLE routing_projection ADD COLUMN kept_without_reviews DOUBLE;
