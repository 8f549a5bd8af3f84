-- 019: an imported set's pairs, readable on the Examples page like replayed ones (issue 24): the
-- request, both answers (PII redacted as logs are), their quality and the label, its segments, and
-- each router's score. At most import_replays.example_pairs pairs a set, a seeded random sample.
CREATE TABLE imported_pairs (
    dataset        VARCHAR NOT NULL,
    request_id     VARCHAR NOT NULL,
    prompt         VARCHAR NOT NULL,
    small_output   VARCHAR NOT NULL,
    large_output   VARCHAR NOT NULL,
    quality_small  DOUBLE,              -- NULL: unscored (open-ended, no judge)
    quality_large  DOUBLE,
    label          BOOLEAN,             -- the small answer is at least as good (agrees, for text agreement)
    surface        VARCHAR,
    mode           VARCHAR,
    language       VARCHAR,
    PRIMARY KEY (dataset, request_id)
);
CREATE TABLE imported_router_scores (
    dataset        VARCHAR NOT NULL,
    request_id     VARCHAR NOT NULL,
    router         VARCHAR NOT NULL,
    score          DOUBLE,              -- routed small when score >= threshold
    PRIMARY KEY (dataset, request_id, router)
);
