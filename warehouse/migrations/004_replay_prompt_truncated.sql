-- 004: a prompt longer than the model's context keeps its last tokens (the question and the
-- cue to answer sit at the end); such replays are flagged so they can be counted and excluded.
ALTER TABLE replays ADD COLUMN prompt_truncated BOOLEAN DEFAULT false;
