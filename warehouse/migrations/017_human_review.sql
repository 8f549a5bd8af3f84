-- 017: side-by-side human review (issue 23). The review sample the pipeline draws (scoring/review/
-- sample.py), and, copied in at each run from the reviews store (data/reviews.sqlite, outside the
-- warehouse and the snapshot: warehouse/reviews.py), the verdicts, each pair's label and the two
-- reviewers' agreement.

-- The replayed pairs drawn for review: a stratified simple random sample per (answer kind, day),
-- a second phase within replay_sample, redrawn (identically, from the seed) at each run.
CREATE TABLE review_sample (
    day                 DATE NOT NULL,
    request_id          VARCHAR NOT NULL,
    kind                VARCHAR NOT NULL,    -- short, core, open (unknown: scored before 009)
    stratum             VARCHAR NOT NULL,    -- kind|day
    stratum_size        INTEGER NOT NULL,    -- replayed pairs of the stratum (N_h)
    stratum_sample_size INTEGER NOT NULL,    -- drawn (n_h)
    inclusion_prob      DOUBLE NOT NULL,     -- n_h / N_h: given the pair was replayed
    small_side          VARCHAR NOT NULL,    -- the side the small answer is shown on: left / right
    reviewers_wanted    INTEGER NOT NULL,    -- 1, or 2 for the share double-assigned
    queue_rank          INTEGER NOT NULL,    -- review order: open pairs first, then by the draw's number
    seed                BIGINT NOT NULL,
    small_key           VARCHAR NOT NULL,
    large_key           VARCHAR NOT NULL,
    scoring_version     VARCHAR NOT NULL,    -- whose kinds the strata are
    drawn_at            TIMESTAMP NOT NULL
);

-- Every verdict in the reviews store when the pipeline last read it (the store keeps them all).
CREATE TABLE review_verdicts (
    request_id  VARCHAR NOT NULL,
    reviewer    VARCHAR NOT NULL,
    verdict     VARCHAR NOT NULL,            -- left_better, right_better, same, cant_judge, small_better, large_better
    small_side  VARCHAR,                     -- the side the small answer was shown on
    reviewed_at TIMESTAMP NOT NULL,
    source      VARCHAR NOT NULL,            -- dashboard, or import:<file>
    preferred   VARCHAR,                     -- small, large, same; NULL: can't judge
    parity      DOUBLE                       -- 1 small at least as good, 0 large better, NULL can't judge
);

-- One row per pair drawn for review or reviewed: its label (scoring/review/labels.py: each
-- reviewer's latest verdict, the first reviewer's that judges) and its review inclusion probability
-- (NULL for a pair reviewed but not in the current draw, which no estimate may use).
CREATE TABLE review_labels (
    day              DATE,
    request_id       VARCHAR NOT NULL,
    review_parity    DOUBLE,                 -- NULL: not reviewed yet, or nobody could judge
    review_inclusion DOUBLE,
    reviewers        INTEGER NOT NULL,       -- 0: drawn, not reviewed yet
    reviewers_wanted INTEGER,
    labelled_by      VARCHAR
);

-- The agreement of two reviewers of the same pair (the first two who judged it): Cohen's kappa of
-- their labels with its 95% bootstrap interval (NULL under 30 pairs), one row per pipeline run.
CREATE TABLE review_agreement (
    pairs           INTEGER NOT NULL,
    kappa           DOUBLE,
    kappa_lo        DOUBLE,
    kappa_hi        DOUBLE,
    same_preference DOUBLE,                  -- share of those pairs with the same preference (small / same / large)
    note            VARCHAR,
    computed_at     TIMESTAMP NOT NULL
);
