-- 007: the price table the projection used, so the dashboard can reprice GPU-hours from the
-- snapshot alone (its sidebar edits price, GPU type and utilisation), and whether the large
-- model was priced per token.

-- One row per GPU type of pricing.dollars_per_hour, replaced by every routing_projection run.
CREATE TABLE gpu_prices (
    gpu_type          VARCHAR NOT NULL,  -- a key of pricing.dollars_per_hour: cpu, H100, H200 ...
    dollars_per_hour  DOUBLE NOT NULL,   -- list price per paid GPU-hour
    as_of             DATE,              -- when the price was read (pricing.price_sources)
    source            VARCHAR,           -- where it was read
    measured          BOOLEAN NOT NULL   -- the type of a device the cost models were measured on
);

-- true: the large model is a hosted API priced per token (pricing.large_hosted), so dollars are
-- not GPU-hours x price and the dashboard does not reprice them.
ALTER TABLE routing_projection ADD COLUMN large_hosted BOOLEAN DEFAULT false;
