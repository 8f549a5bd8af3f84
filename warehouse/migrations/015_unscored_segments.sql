-- 015: a segment whose sampled pairs are all unscored (open-ended answers, no judge: an imported
-- text-only table's surface, say) has no unchanged share, as it has no agreement: NULL, not a
-- failed import. The whole window always has one as long as one pair is scored.
ALTER TABLE routing_projection ALTER COLUMN unchanged_share DROP NOT NULL;
