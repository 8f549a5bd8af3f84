-- 002: agreement scored by every metric and versioned by its rule; the judge's calls and cost.
-- A change of rule (thresholds, metric definitions, embedding model, judge) is a new
-- scoring_version: the agreement asset re-scores, and everything downstream reads only the
-- rows of the configured version, so versions are never mixed. Rows of older versions stay,
-- for comparison, until that day is re-scored with them again.

ALTER TABLE agreement ADD COLUMN rouge_l DOUBLE;     -- ROUGE-L F of normalised tokens in [0, 1]; NULL on version-1 rows
-- share of the shorter answer's content tokens (no stop words, no words of the question) in the longer one
ALTER TABLE agreement ADD COLUMN content_containment DOUBLE;
ALTER TABLE agreement ADD COLUMN judge DOUBLE;       -- judge score in [0, 1] (mean of both orders' verdicts); NULL when not asked
ALTER TABLE agreement ADD COLUMN decided_by VARCHAR; -- what made the label: identical, one_empty, a metric name, or judge

-- One row per scoring_version: the rule behind it, in words and as JSON.
CREATE TABLE scoring_versions (
    scoring_version  VARCHAR NOT NULL,
    rule             VARCHAR NOT NULL,    -- e.g. "short (both answers <= 3 tokens): token_f1 >= 0.5; long: cosine >= 0.8"
    rule_json        VARCHAR NOT NULL,    -- thresholds, metric and embedding versions, embedding model, judge model key
    first_scored_at  TIMESTAMP NOT NULL
);

-- The judge's answers, one row per pair and answer order, with their cost like any replay
-- (the judge's batches go to replay_batches under its model_key; the model to models, role judge).
CREATE TABLE judge_calls (
    day              DATE NOT NULL,
    request_id       VARCHAR NOT NULL,
    small_key        VARCHAR NOT NULL,
    large_key        VARCHAR NOT NULL,
    judge_key        VARCHAR NOT NULL,    -- model_key of the judge's configuration
    scoring_version  VARCHAR NOT NULL,
    answer_order     VARCHAR NOT NULL,    -- small_first / large_first
    output           VARCHAR,             -- the judge's reply
    verdict          DOUBLE NOT NULL,     -- 1 yes, 0 no, 0.5 anything else
    prompt_tokens    INTEGER,
    output_tokens    INTEGER,
    seconds          DOUBLE,              -- its batch's time shared out by tokens
    batch_id         VARCHAR,
    device           VARCHAR NOT NULL,
    error            VARCHAR              -- NULL when the call succeeded
);
