-- Every router's whole-window curve, by router and threshold, with `frontier`: the point is on
-- the Pareto frontier of GPU-hours saved against agreement among requests routed small, over
-- all routers but the oracle (an upper bound no deployment has): no other point saves at least
-- as much with higher agreement. Savings are GPU-hours a day, or dollars a day where GPU-hours are
-- unknown (an imported set priced per token, whose rows have none).
-- $1: dataset.
WITH curves AS (
    SELECT *
    FROM routing_projection
    WHERE dataset = $1 AND segment_by = 'all'
), ranked AS (
    SELECT *,
           max(agreement_small) OVER (
               ORDER BY coalesce(gpu_hours_saved_per_day, dollars_saved_per_day) DESC, agreement_small DESC
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING) AS best_agreement_saving_more
    FROM curves
    WHERE router <> 'oracle' AND agreement_small IS NOT NULL
      AND coalesce(gpu_hours_saved_per_day, dollars_saved_per_day) IS NOT NULL
)
SELECT c.*,
       r.router IS NOT NULL AND coalesce(r.agreement_small > r.best_agreement_saving_more
                                         OR r.best_agreement_saving_more IS NULL, false) AS frontier
FROM curves c
LEFT JOIN ranked r USING (router, threshold, threshold_source)
ORDER BY c.router, c.threshold;
