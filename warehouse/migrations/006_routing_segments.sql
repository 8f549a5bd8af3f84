-- 006: the projection per segment and for imported replay sets, the RouteLLM quality measures,
-- the Pareto frontier and the recommended threshold; router_metrics per router and segment;
-- the router's own cost in router_scores.

-- routing_projection: one row per (dataset, router, segment_by, segment, threshold).
-- Rows written before this migration are the pipeline's window rows.
ALTER TABLE routing_projection ADD COLUMN dataset VARCHAR DEFAULT 'pipeline';  -- 'pipeline', or the name given to `planb import-replays`
ALTER TABLE routing_projection ADD COLUMN segment_by VARCHAR DEFAULT 'all';    -- all / day / surface / mode / language / query_length
ALTER TABLE routing_projection ADD COLUMN segment VARCHAR DEFAULT 'all';       -- the segment's value: all, 2026-11-01, chat, en, 1-4 (query words) ...
ALTER TABLE routing_projection ADD COLUMN threshold_source VARCHAR DEFAULT 'grid'; -- grid (evenly spaced) or quantile (a percentile of the router's sample scores)
ALTER TABLE routing_projection ADD COLUMN n_routed_small INTEGER;              -- sampled requests routed small (agreement's sample)
-- Quality of all answers served, as RouteLLM's PGR uses it: the unchanged share under agreement,
-- the mean imported quality score (or correctness) for an imported set that has them.
ALTER TABLE routing_projection ADD COLUMN quality DOUBLE;
ALTER TABLE routing_projection ADD COLUMN quality_lo DOUBLE;
ALTER TABLE routing_projection ADD COLUMN quality_hi DOUBLE;
ALTER TABLE routing_projection ADD COLUMN pgr DOUBLE;                          -- performance gap recovered; NULL when large is not better than small
ALTER TABLE routing_projection ADD COLUMN gpu_hours_saved_per_30_days DOUBLE;
ALTER TABLE routing_projection ADD COLUMN gpu_hours_saved_per_30_days_lo DOUBLE;
ALTER TABLE routing_projection ADD COLUMN gpu_hours_saved_per_30_days_hi DOUBLE;
ALTER TABLE routing_projection ADD COLUMN gpu_hours_saved_per_year DOUBLE;
ALTER TABLE routing_projection ADD COLUMN gpu_hours_saved_per_year_lo DOUBLE;
ALTER TABLE routing_projection ADD COLUMN gpu_hours_saved_per_year_hi DOUBLE;
ALTER TABLE routing_projection ADD COLUMN dollars_saved_per_30_days DOUBLE;
ALTER TABLE routing_projection ADD COLUMN dollars_saved_per_30_days_lo DOUBLE;
ALTER TABLE routing_projection ADD COLUMN dollars_saved_per_30_days_hi DOUBLE;
ALTER TABLE routing_projection ADD COLUMN pareto BOOLEAN DEFAULT false;        -- no other threshold of the router saves more at no lower quality
ALTER TABLE routing_projection ADD COLUMN recommended BOOLEAN DEFAULT false;   -- the router's recommended threshold in this segment
ALTER TABLE routing_projection ADD COLUMN price_note VARCHAR;                  -- why dollars are NULL or zero (a GPU type without a price, a price of 0)
-- An interval is NULL when its figure rests on fewer sampled requests than
-- projection.min_sample_for_interval; dollars are NULL when a device's GPU type has no price.
ALTER TABLE routing_projection ALTER COLUMN share_small_lo DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN share_small_hi DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN unchanged_lo DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN unchanged_hi DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN gpu_hours_per_day DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN gpu_hours_always_large_per_day DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN gpu_hours_saved_per_day DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN gpu_hours_saved_lo DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN gpu_hours_saved_hi DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_saved_per_day DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_saved_per_day_lo DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_saved_per_day_hi DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_saved_per_year DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_saved_per_year_lo DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_saved_per_year_hi DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN device DROP NOT NULL;
ALTER TABLE routing_projection ALTER COLUMN dollars_per_gpu_hour DROP NOT NULL;

-- One row per (dataset, router, segment_by, segment): how well the router ranks requests and
-- what it recovers, each with its 95% bootstrap interval (NULL below the sample minimum).
CREATE TABLE router_metrics (
    dataset               VARCHAR NOT NULL,
    router                VARCHAR NOT NULL,
    segment_by            VARCHAR NOT NULL,
    segment               VARCHAR NOT NULL,
    cascade               BOOLEAN NOT NULL,  -- the small model runs on every request
    quality_measure       VARCHAR NOT NULL,  -- agreement, or imported (quality scores / correctness of an imported set)
    n_sample              INTEGER NOT NULL,  -- sampled requests of the segment
    weak_quality          DOUBLE,            -- quality of always-small (the agreement rate under agreement)
    strong_quality        DOUBLE,            -- quality of always-large (1 under agreement)
    auc                   DOUBLE,            -- P(score of a request whose small answer is good > score of one whose is not), ties half
    auc_lo                DOUBLE,
    auc_hi                DOUBLE,
    apgr                  DOUBLE,            -- RouteLLM's average performance gap recovered (docs/METHODS.md: RouteLLM metrics)
    apgr_lo               DOUBLE,
    apgr_hi               DOUBLE,
    cpt50                 DOUBLE,            -- RouteLLM's CPT(50%): least share of calls to the large model reaching PGR >= 50%
    cpt50_lo              DOUBLE,
    cpt50_hi              DOUBLE,
    cpt80                 DOUBLE,
    cpt80_lo              DOUBLE,
    cpt80_hi              DOUBLE,
    cpt95                 DOUBLE,
    cpt95_lo              DOUBLE,
    cpt95_hi              DOUBLE,
    recommended_threshold DOUBLE,            -- largest savings with agreement_small_lo >= agreement_target; NULL if none
    agreement_target      DOUBLE NOT NULL,
    router_seconds_per_request DOUBLE,       -- the router's own device-seconds per request (0 for free routers)
    note                  VARCHAR,           -- why a figure is NULL (too small a sample, one label only, no threshold qualifies, no price)
    computed_at           TIMESTAMP NOT NULL
);

-- The router's own measured device-seconds per request (NULL: free, e.g. a hash or a length).
ALTER TABLE router_scores ADD COLUMN seconds DOUBLE;
