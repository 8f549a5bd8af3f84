-- 009: each pair's kind of answer, unscored pairs, and the pairwise quality-parity judge.
-- Rows scored before this migration keep kind NULL (the rule of their scoring_version had no kinds).

-- short (a few words), core (a long answer with a checkable core: a number, an entity, a date,
-- a choice, yes or no) or open (advice, writing, explanation, code: judged on quality parity).
ALTER TABLE agreement ADD COLUMN kind VARCHAR;
-- NULL = unscored: an open-ended pair with no judge configured. Unscored pairs are counted and
-- shown as such and left out of agreement (never counted as disagree).
ALTER TABLE agreement ALTER COLUMN agree DROP NOT NULL;
-- The embedding cosine is computed for short pairs only (it decides nothing for core and open
-- pairs): NULL for those.
ALTER TABLE agreement ALTER COLUMN cosine DROP NOT NULL;
-- Answer characters left out of the judge's prompts for this pair (both answers; 0 when the judge
-- saw them whole), and whether the engine kept only the end of a prompt too long for the judge's
-- context. NULL when the judge was not asked.
ALTER TABLE agreement ADD COLUMN judge_chars_cut INTEGER;
ALTER TABLE agreement ADD COLUMN judge_prompt_truncated BOOLEAN;

-- The judge is pairwise since 009: it is asked which answer is better, ties allowed.
-- preference: the model its reply prefers in this answer_order (small, large or tie; NULL when
-- the reply names none). verdict now means "the small answer is at least as good": 1 (small or
-- tie), 0 (large), 0.5 (no verdict). A pair whose preference differs between its two orders
-- flipped with the position: the share of such pairs is the judge's position bias.
ALTER TABLE judge_calls ADD COLUMN preference VARCHAR;
ALTER TABLE judge_calls ADD COLUMN prompt_truncated BOOLEAN DEFAULT false;
ALTER TABLE judge_calls ADD COLUMN chars_cut INTEGER DEFAULT 0;  -- answer characters left out of this prompt
