-- 001: the first schema. Every table the pipeline writes; one row meaning per table.
-- Partitioned tables carry `day` (UTC day of the logged request); re-running a partition
-- deletes and re-inserts that day inside one transaction.

-- Normalised, PII-scrubbed search-chat requests: one row per accepted log record.
CREATE TABLE chat_logs (
    day               DATE NOT NULL,      -- UTC day of ts: the Dagster partition
    request_id        VARCHAR NOT NULL,   -- id from the log, unique in the table
    ts                TIMESTAMP NOT NULL, -- request time, UTC
    session_id        VARCHAR,
    user_hash         VARCHAR,            -- salted sha256 of the user id, never the id itself
    surface           VARCHAR,            -- where the request came from, e.g. chat / search
    mode              VARCHAR,            -- e.g. precise / balanced / creative
    language          VARCHAR,
    query             VARCHAR NOT NULL,
    response          VARCHAR,            -- the production (large) model's answer
    model             VARCHAR,            -- the production model's name
    prompt_tokens     INTEGER,            -- as logged by production
    completion_tokens INTEGER,
    latency_ms        DOUBLE,
    source_file       VARCHAR NOT NULL,   -- landing file the row came from
    source_line       INTEGER NOT NULL    -- 1-based line in that file
);

-- Log records that could not be accepted, with why. Nothing is dropped silently.
CREATE TABLE rejected_log_rows (
    day          DATE,                    -- NULL when the record has no readable timestamp
    source_file  VARCHAR NOT NULL,
    source_line  INTEGER NOT NULL,
    reason       VARCHAR NOT NULL,        -- e.g. invalid_json, empty_query, bad_timestamp
    detail       VARCHAR,                 -- the parser's message
    raw          VARCHAR                  -- the record, truncated to 2,000 characters
);

-- The stratified, seeded replay sample and what each sampled request stands for.
CREATE TABLE replay_sample (
    day                 DATE NOT NULL,
    request_id          VARCHAR NOT NULL,
    stratum             VARCHAR NOT NULL, -- e.g. "search|balanced"
    stratum_size        INTEGER NOT NULL, -- logged requests of the stratum that day (N_h)
    stratum_sample_size INTEGER NOT NULL, -- sampled requests of the stratum that day (n_h)
    inclusion_prob      DOUBLE NOT NULL,  -- n_h / N_h
    weight              DOUBLE NOT NULL,  -- 1 / inclusion_prob: logged requests it stands for
    seed                INTEGER NOT NULL
);

-- One row per model configuration; model_key is a hash of the whole configuration.
CREATE TABLE models (
    model_key  VARCHAR NOT NULL,
    name       VARCHAR NOT NULL,
    role       VARCHAR NOT NULL,          -- small / large
    backend    VARCHAR NOT NULL,
    spec_json  VARCHAR NOT NULL
);

-- Replayed answers, keyed by (request_id, model_key).
CREATE TABLE replays (
    day            DATE NOT NULL,
    request_id     VARCHAR NOT NULL,
    model_key      VARCHAR NOT NULL,
    role           VARCHAR NOT NULL,
    output         VARCHAR,
    prompt_tokens  INTEGER,               -- in the replayed model's tokenizer
    output_tokens  INTEGER,
    seconds        DOUBLE,                -- its batch's time shared out by tokens
    mean_logprob   DOUBLE,                -- mean log-probability of the generated tokens
    min_logprob    DOUBLE,
    mean_entropy   DOUBLE,                -- mean entropy (nats) of the next-token distributions
    batch_id       VARCHAR,
    device         VARCHAR NOT NULL,      -- e.g. cpu, cuda:NVIDIA H100 80GB HBM3
    error          VARCHAR                -- NULL when the replay succeeded
);

-- One row per generated batch: what the cost model is fitted on.
CREATE TABLE replay_batches (
    day            DATE NOT NULL,
    batch_id       VARCHAR NOT NULL,
    model_key      VARCHAR NOT NULL,
    device         VARCHAR NOT NULL,
    batch_size     INTEGER NOT NULL,
    prompt_tokens  INTEGER NOT NULL,      -- summed over the batch, without padding
    output_tokens  INTEGER NOT NULL,
    padded_prompt_tokens INTEGER NOT NULL, -- batch size x longest prompt (left padding included)
    decode_steps   INTEGER NOT NULL,      -- generation steps the batch ran (its longest answer)
    seconds        DOUBLE NOT NULL        -- wall time of the batch's generate call
);

-- Agreement of the small model's answer with the large model's, per sampled request.
CREATE TABLE agreement (
    day              DATE NOT NULL,
    request_id       VARCHAR NOT NULL,
    small_key        VARCHAR NOT NULL,
    large_key        VARCHAR NOT NULL,
    exact            DOUBLE NOT NULL,     -- 1.0 when the SQuAD-normalised answers are equal
    token_f1         DOUBLE NOT NULL,     -- SQuAD token F1 in [0, 1]
    containment      DOUBLE NOT NULL,     -- share of the large answer's tokens in the small one
    cosine           DOUBLE NOT NULL,     -- embedding cosine in [-1, 1]
    agree            BOOLEAN NOT NULL,    -- the agree label (rule in scoring/agreement/metrics.py)
    scoring_version  VARCHAR NOT NULL
);

-- Each router's score per request: its belief in [0, 1] that the small answer is good enough.
CREATE TABLE router_scores (
    day         DATE NOT NULL,
    request_id  VARCHAR NOT NULL,
    router      VARCHAR NOT NULL,
    score       DOUBLE NOT NULL,
    in_sample   BOOLEAN NOT NULL          -- true for requests of replay_sample
);

-- Seconds of a batch = c x batch size + a x padded prompt tokens + b x batch size x decode steps,
-- fitted on replay_batches by non-negative least squares; one row per model key and device.
-- A request then costs c + a x its prompt tokens + b x its output tokens (no padding waste).
CREATE TABLE cost_models (
    model_key                  VARCHAR NOT NULL,
    role                       VARCHAR NOT NULL,
    device                     VARCHAR NOT NULL,
    seconds_per_request        DOUBLE NOT NULL,
    seconds_per_prompt_token   DOUBLE NOT NULL,
    seconds_per_output_token   DOUBLE NOT NULL,
    r2                         DOUBLE,    -- fit quality on the batches; NULL with under 5 batches
    n_batches                  INTEGER NOT NULL,
    fitted_at                  TIMESTAMP NOT NULL
);

-- Projection of the whole logged population per router x threshold, with 95% intervals.
CREATE TABLE routing_projection (
    router                        VARCHAR NOT NULL,
    threshold                     DOUBLE NOT NULL,
    n_sample                      INTEGER NOT NULL, -- replayed requests behind the figures
    requests_per_day              DOUBLE NOT NULL,  -- logged requests per day in the window
    share_small                   DOUBLE NOT NULL,  -- share of requests routed to the small model
    share_small_lo                DOUBLE NOT NULL,
    share_small_hi                DOUBLE NOT NULL,
    agreement_small               DOUBLE,           -- agreement among requests routed small; NULL if none
    agreement_small_lo            DOUBLE,
    agreement_small_hi            DOUBLE,
    unchanged_share               DOUBLE NOT NULL,  -- share of all answers that stay the same
    unchanged_lo                  DOUBLE NOT NULL,
    unchanged_hi                  DOUBLE NOT NULL,
    gpu_hours_per_day             DOUBLE NOT NULL,  -- with routing at this threshold
    gpu_hours_always_large_per_day DOUBLE NOT NULL,
    gpu_hours_saved_per_day       DOUBLE NOT NULL,
    gpu_hours_saved_lo            DOUBLE NOT NULL,
    gpu_hours_saved_hi            DOUBLE NOT NULL,
    dollars_saved_per_day         DOUBLE NOT NULL,
    dollars_saved_per_day_lo      DOUBLE NOT NULL,
    dollars_saved_per_day_hi      DOUBLE NOT NULL,
    dollars_saved_per_year        DOUBLE NOT NULL,
    dollars_saved_per_year_lo     DOUBLE NOT NULL,
    dollars_saved_per_year_hi     DOUBLE NOT NULL,
    device                        VARCHAR NOT NULL, -- device type the costs were measured on
    dollars_per_gpu_hour          DOUBLE NOT NULL,  -- price used
    utilisation                   DOUBLE NOT NULL   -- share of paid hours doing useful work
);

-- One row per publish: when the snapshot was made and from what.
CREATE TABLE snapshot_log (
    published_at  TIMESTAMP NOT NULL,
    days          INTEGER NOT NULL,
    chat_log_rows BIGINT NOT NULL
);
