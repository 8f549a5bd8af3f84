-- 014: the recommended threshold's guarantee (fixed-sequence test, learn-then-test) and
-- RouteLLM's own CPT (np.interp over the operating points) beside the measured one.

-- routing_projection: per threshold, what the recommendation tests. Quality kept among the
-- requests routed small: agreement, or for imported scores the mean of 1 - max(0, large - small)
-- (imported correctness: the share whose small answer is right or whose large one is wrong);
-- unscored pairs left out.
ALTER TABLE routing_projection ADD COLUMN kept_small DOUBLE;
-- p-value of "kept among routed small < the target" (exact binomial at Kish's effective size for
-- 0 / 1 scores, Hoeffding-Bentkus for scores in [0, 1]); NULL where too few are routed small to
-- certify the target even if all were kept (not tested).
ALTER TABLE routing_projection ADD COLUMN kept_p_value DOUBLE;
-- Certified: this threshold and every stricter tested one reject "kept < target" at the
-- recommendation_risk level; the recommendation is the most saving certified threshold.
ALTER TABLE routing_projection ADD COLUMN certified BOOLEAN DEFAULT false;

-- router_metrics: RouteLLM's evaluate.py CPT (np.interp of the target PGR over the operating
-- points sorted by calls to the large model), with 95% intervals, beside the measured cpt50/80/95.
ALTER TABLE router_metrics ADD COLUMN cpt50_routellm DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt50_routellm_lo DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt50_routellm_hi DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt80_routellm DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt80_routellm_lo DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt80_routellm_hi DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt95_routellm DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt95_routellm_lo DOUBLE;
ALTER TABLE router_metrics ADD COLUMN cpt95_routellm_hi DOUBLE;
-- What the recommendation certifies: 'agreement', or 'quality kept (imported ...)'.
ALTER TABLE router_metrics ADD COLUMN gate_measure VARCHAR;
-- The chance that the recommended threshold's true kept share is below agreement_target (0.05).
ALTER TABLE router_metrics ADD COLUMN recommendation_risk DOUBLE;
-- The sample-size cost: effective requests routed small it takes to certify the target, all kept
-- (target^n <= risk: 59 for 95%), and the smallest share routed small this sample could certify
-- (its strictest tested threshold; NULL: no threshold routes that many).
ALTER TABLE router_metrics ADD COLUMN certify_min_routed DOUBLE;
ALTER TABLE router_metrics ADD COLUMN certifiable_share_small DOUBLE;
