-- 016: each pair's predicted probability of quality parity (the small answer at least as good as the
-- large one), from the default predictor (scoring/agreement/parity.py) for every pair, open or not,
-- beside its label: what the projection can weigh reviews against. NULL on rows scored before this
-- migration (their scoring_version had no predictor; the agreement asset re-scores them).
ALTER TABLE agreement ADD COLUMN p_parity DOUBLE;
