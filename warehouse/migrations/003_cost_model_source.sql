-- 003: where a cost model row comes from. 'replay': fitted by the cost_models asset on
-- replay_batches (replaced on every run); 'calibrate-gpu': measured by `planb calibrate-gpu`
-- on random weights of an architecture that is not downloaded (kept until calibrated again),
-- so a model replayed by no one (the logged backend) still has a cost.
ALTER TABLE cost_models ADD COLUMN source VARCHAR DEFAULT 'replay';
-- What was measured, for calibrate-gpu rows: config file, dtype, batch sizes, token shapes.
ALTER TABLE cost_models ADD COLUMN detail VARCHAR;
