-- One row per router of a dataset, whole window: how well it ranks requests (AUC) and what it
-- recovers (RouteLLM's APGR and CPT), each with its 95% interval, and the projection at its
-- recommended threshold (NULL there when no threshold qualifies: see note). best_agreement_lo
-- is the highest lower bound of agreement any of its thresholds reaches. The recommendation's
-- guarantee (gate_measure kept >= agreement_target but for recommendation_risk) and its
-- sample-size cost (certify_min_routed, certifiable_share_small) come from migration 014.
-- $1: dataset.
SELECT m.router, m.cascade, m.n_sample, m.quality_measure, m.weak_quality, m.strong_quality,
       m.auc, m.auc_lo, m.auc_hi, m.apgr, m.apgr_lo, m.apgr_hi,
       m.cpt50, m.cpt50_lo, m.cpt50_hi, m.cpt80, m.cpt80_lo, m.cpt80_hi, m.cpt95, m.cpt95_lo, m.cpt95_hi,
       m.cpt50_routellm, m.cpt50_routellm_lo, m.cpt50_routellm_hi, m.cpt80_routellm, m.cpt80_routellm_lo,
       m.cpt80_routellm_hi, m.cpt95_routellm, m.cpt95_routellm_lo, m.cpt95_routellm_hi,
       m.gate_measure, m.recommendation_risk, m.certify_min_routed, m.certifiable_share_small,
       m.recommended_threshold, m.agreement_target, m.router_seconds_per_request, m.note,
       p.share_small, p.share_small_lo, p.share_small_hi, p.n_routed_small, p.kept_small, p.kept_p_value,
       p.agreement_small, p.agreement_small_lo, p.agreement_small_hi,
       p.unchanged_share, p.unchanged_lo, p.unchanged_hi,
       p.gpu_hours_saved_per_day, p.gpu_hours_saved_lo, p.gpu_hours_saved_hi,
       p.dollars_saved_per_day, p.dollars_saved_per_day_lo, p.dollars_saved_per_day_hi,
       p.dollars_saved_per_year, p.dollars_saved_per_year_lo, p.dollars_saved_per_year_hi,
       p.gpu_hours_saved_per_year, p.gpu_hours_saved_per_year_lo, p.gpu_hours_saved_per_year_hi,
       p.token_prices, p.token_savings_per_day, p.token_moments_per_day,
       best.best_agreement_lo
FROM router_metrics m
LEFT JOIN routing_projection p
  ON p.dataset = m.dataset AND p.router = m.router AND p.segment_by = 'all' AND p.recommended
LEFT JOIN (
    SELECT router, max(agreement_small_lo) AS best_agreement_lo
    FROM routing_projection
    WHERE dataset = $1 AND segment_by = 'all'
    GROUP BY router
) best ON best.router = m.router
WHERE m.dataset = $1 AND m.segment_by = 'all'
ORDER BY m.router;
